"""iCalendar files: the invitation attached to each e-mail (METHOD:REQUEST or CANCEL, one
attendee, a UID stable per return day and invitee, SEQUENCE from the return day) and the private
feed a calendar app subscribes to (METHOD:PUBLISH). Times are Europe/Amsterdam with a VTIMEZONE.
"""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from icalendar import Event

from fieldlab import ical
from fieldlab.returndays.rsvp import rsvp_link


def invitation_uid(invitation) -> str:
    return ical.uid("returnday", invitation.return_day_id, user_id=invitation.user_id, guest_id=invitation.id)


def feed_uid(return_day, user) -> str:
    """The feed's UID for this person: the same as their invitation's (see fieldlab.ical.uid)."""
    return ical.uid("returnday", return_day.id, user_id=user.id)


def title_of(return_day) -> str:
    if return_day.team is not None:
        return _("Terugkomdag dag %(number)s · %(team)s · %(lab)s", number=return_day.day_number,
                 team=return_day.team.name, lab=return_day.lab.name)
    return _("Terugkomdag dag %(number)s · %(lab)s", number=return_day.day_number, lab=return_day.lab.name)


def location_of(return_day) -> str:
    return ", ".join(part for part in (return_day.place, return_day.online_link) if part)


def _event(return_day, *, uid: str, now: datetime, description: str):
    return ical.event(uid=uid, sequence=return_day.sequence, now=now, starts_at=return_day.starts_at,
                      ends_at=return_day.ends_at, summary=title_of(return_day), location=location_of(return_day),
                      description=description, cancelled=return_day.status == "cancelled")


def invitation_calendar(invitation, *, method: str, now: datetime) -> str:
    return_day = invitation.return_day
    lines = [return_day.agenda] if return_day.agenda else []
    if method == "CANCEL" and return_day.cancellation_reason:
        lines = [_("Afgelast: %(reason)s", reason=return_day.cancellation_reason)]
    if method == "REQUEST":
        lines.append(_("Laat weten of u komt: %(link)s", link=rsvp_link(invitation)))
    event = _event(return_day, uid=invitation_uid(invitation), now=now, description="\n\n".join(lines))
    return ical.invitation(method, event, ical.Attendee(invitation.display_name, invitation.email,
                                                        invitation.response))


def attachment(content: str, method: str) -> dict:
    return {"filename": "terugkomdag.ics" if method == "REQUEST" else "terugkomdag-afgelast.ics",
            "content_type": f"text/calendar; method={method}; charset=utf-8", "content": content}


def feed_calendar(entries, *, user, name: str, now: datetime) -> str:
    """The subscription feed of `user`: return days and programme days (see calendar_entries). A
    return day carries the UID, SEQUENCE and ORGANIZER of the invitation the same person got by
    mail, so a calendar that has both keeps one event."""
    calendar = ical.new_calendar("PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Amsterdam")
    for entry in entries:
        if entry.return_day is not None:
            event = _event(entry.return_day, uid=feed_uid(entry.return_day, user), now=now,
                           description=entry.return_day.agenda)
            event.add("organizer", ical.organizer_address())
        else:
            event = Event()
            event.add("uid", entry.uid)
            event.add("dtstamp", now)
            event.add("dtstart", entry.day)
            event.add("dtend", entry.day + timedelta(days=1))
            event.add("summary", entry.title)
        calendar.add_component(event)
    return ical.finish(calendar)
