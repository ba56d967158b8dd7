"""iCalendar (RFC 5545/5546) pieces shared by every invitation the app sends: return days and
speedlabs. METHOD:REQUEST or CANCEL, Europe/Amsterdam times with a VTIMEZONE, one attendee, a UID
that stays the same per occasion and person, and a SEQUENCE the occasion raises on every change."""

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from fieldlab.timeutil import LOCAL_ZONE, local

PRODID = "-//LIEC Field Lab Hub//Fieldlab//NL"
PARTSTAT = {"yes": "ACCEPTED", "no": "DECLINED", "maybe": "TENTATIVE"}


def uid(kind: str, occasion_id: int, *, user_id: int | None = None, guest_id: int | None = None) -> str:
    """The one identity of an occasion in one person's calendar, used by every channel that puts it
    there: the mailed REQUEST and CANCEL and the subscription feed (DESIGN §5, §9). A person with an
    account is `user<id>` everywhere, so the feed (which knows only the user) and the invitation
    mail (which knows the invitation) name the same event and a calendar shows it once; someone
    without an account is `guest<invitation id>` (they have no feed).
    `returnday-5-user4@fieldlab`, `speedlab-3-guest12@fieldlab`."""
    who = f"user{user_id}" if user_id else f"guest{guest_id}"
    return f"{kind}-{occasion_id}-{who}@fieldlab"


def organizer_address() -> vCalAddress:
    organizer_name, organizer_email = organizer()
    value = vCalAddress(f"mailto:{organizer_email}")
    value.params["cn"] = vText(organizer_name)
    return value


def organizer() -> tuple[str, str]:
    """Name and address of the organiser: the app's sender (MAIL_FROM)."""
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    return name or "Fieldlab", address


def new_calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def finish(calendar: Calendar) -> str:
    calendar.add_missing_timezones()
    return calendar.to_ical().decode("utf-8")


def event(*, uid: str, sequence: int, now: datetime, starts_at: datetime, ends_at: datetime, summary: str,
          location: str = "", description: str = "", cancelled: bool = False, url: str = "") -> Event:
    item = Event()
    item.add("uid", uid)
    item.add("sequence", sequence)
    item.add("dtstamp", now)
    item.add("dtstart", local(starts_at).replace(tzinfo=LOCAL_ZONE))
    item.add("dtend", local(ends_at).replace(tzinfo=LOCAL_ZONE))
    item.add("summary", summary)
    if location:
        item.add("location", location)
    if description:
        item.add("description", description)
    if url:
        item.add("url", url)
    item.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return item


@dataclass
class Attendee:
    name: str
    email: str
    response: str | None = None  # yes / no / maybe, as the RSVP recorded it


def invitation(method: str, item: Event, attendee: Attendee) -> str:
    """One event for one person, with the app as organiser: what an invitation e-mail carries."""
    if method == "CANCEL":
        item["status"] = vText("CANCELLED")
    item.add("organizer", organizer_address())
    attendee_value = vCalAddress(f"mailto:{attendee.email}")
    attendee_value.params["cn"] = vText(attendee.name)
    attendee_value.params["role"] = vText("REQ-PARTICIPANT")
    attendee_value.params["partstat"] = vText(PARTSTAT.get(attendee.response or "", "NEEDS-ACTION"))
    attendee_value.params["rsvp"] = vText("TRUE")
    item.add("attendee", attendee_value)
    calendar = new_calendar(method)
    calendar.add_component(item)
    return finish(calendar)
