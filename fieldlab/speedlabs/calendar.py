"""The iCalendar file of a speedlab invitation: the shared builder (fieldlab.ical) with the app's
one UID rule (per session and person, `speedlab-3-user7@fieldlab`) and the session's SEQUENCE."""

from datetime import datetime

from fieldlab import ical


def invitation_uid(invitation) -> str:
    return ical.uid("speedlab", invitation.session_id, user_id=invitation.user_id, guest_id=invitation.id)


def build_invitation_ics(*, uid: str, sequence: int, summary: str, starts_at: datetime, ends_at: datetime,
                         location: str, description: str, attendee_name: str, attendee_email: str,
                         url: str = "", now: datetime, method: str = "REQUEST") -> str:
    event = ical.event(uid=uid, sequence=sequence, now=now, starts_at=starts_at, ends_at=ends_at, summary=summary,
                       location=location, description=description, url=url, cancelled=method == "CANCEL")
    return ical.invitation(method, event, ical.Attendee(attendee_name, attendee_email))
