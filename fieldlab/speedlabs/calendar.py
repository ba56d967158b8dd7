"""A small iCalendar builder for speedlab invitations (RFC 5545/5546 iTIP).

Kept self-contained so it can later merge with the return-day machinery: METHOD:REQUEST (or
CANCEL), a VTIMEZONE for Europe/Amsterdam, a UID that stays the same per session and person, and
a SEQUENCE the session raises on every change of date, time or place.
"""

from datetime import date, datetime

from flask import current_app
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from fieldlab.timeutil import LOCAL_ZONE, local

PRODID = "-//LIEC Field Lab Hub//Fieldlab//NL"


def invitation_uid(session_id: int, invitation_id: int) -> str:
    return f"speedlab-{session_id}-invitation-{invitation_id}@fieldlab"


def build_invitation_ics(*, uid: str, sequence: int, summary: str, starts_at: datetime, ends_at: datetime,
                         location: str, description: str, attendee_name: str, attendee_email: str,
                         url: str = "", now: datetime, method: str = "REQUEST") -> str:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    year = local(starts_at).year
    calendar.add_component(Timezone.from_tzid(LOCAL_ZONE.key, first_date=date(year - 1, 1, 1),
                                              last_date=date(year + 1, 12, 31)))
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", now)
    event.add("dtstart", local(starts_at))
    event.add("dtend", local(ends_at))
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if url:
        event.add("url", url)
    organizer = vCalAddress("mailto:" + _sender_address())
    organizer.params["cn"] = vText("Fieldlab")
    event.add("organizer", organizer)
    attendee = vCalAddress("mailto:" + attendee_email)
    attendee.params["cn"] = vText(attendee_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("NEEDS-ACTION")
    attendee.params["rsvp"] = vText("TRUE")
    event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def _sender_address() -> str:
    sender = current_app.config.get("MAIL_FROM", "fieldlab@localhost")
    return sender.split("<")[-1].rstrip(">").strip() if "<" in sender else sender
