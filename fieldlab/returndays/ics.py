"""iCalendar files: the invitation attached to each e-mail (METHOD:REQUEST or CANCEL, one
attendee, a UID stable per return day and invitee, SEQUENCE from the return day) and the private
feed a calendar app subscribes to (METHOD:PUBLISH). Times are Europe/Amsterdam with a VTIMEZONE.
"""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from fieldlab.timeutil import LOCAL_ZONE, local

PRODID = "-//LIEC Field Lab Hub//Fieldlab//NL"


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _finish(calendar: Calendar) -> str:
    calendar.add_missing_timezones()
    return calendar.to_ical().decode("utf-8")


def invitation_uid(invitation) -> str:
    return f"returnday-{invitation.return_day_id}-{invitation.who}@fieldlab"


def title_of(return_day) -> str:
    if return_day.team is not None:
        return _("Terugkomdag dag %(number)s · %(team)s · %(lab)s", number=return_day.day_number,
                 team=return_day.team.name, lab=return_day.lab.name)
    return _("Terugkomdag dag %(number)s · %(lab)s", number=return_day.day_number, lab=return_day.lab.name)


def location_of(return_day) -> str:
    return ", ".join(part for part in (return_day.place, return_day.online_link) if part)


def _event(return_day, *, uid: str, now: datetime, description: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("sequence", return_day.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", local(return_day.starts_at).replace(tzinfo=LOCAL_ZONE))
    event.add("dtend", local(return_day.ends_at).replace(tzinfo=LOCAL_ZONE))
    event.add("summary", title_of(return_day))
    if location_of(return_day):
        event.add("location", location_of(return_day))
    event.add("description", description)
    event.add("status", "CANCELLED" if return_day.status == "cancelled" else "CONFIRMED")
    return event


def invitation_calendar(invitation, *, method: str, now: datetime) -> str:
    from fieldlab.returndays.services import organizer, rsvp_link

    return_day = invitation.return_day
    lines = [return_day.agenda] if return_day.agenda else []
    if method == "REQUEST":
        lines.append(_("Laat weten of u komt: %(link)s", link=rsvp_link(invitation)))
    calendar = _calendar(method)
    event = _event(return_day, uid=invitation_uid(invitation), now=now, description="\n\n".join(lines))
    if method == "CANCEL":
        event["status"] = vText("CANCELLED")
    organizer_name, organizer_address = organizer()
    organizer_address_value = vCalAddress(f"mailto:{organizer_address}")
    organizer_address_value.params["cn"] = vText(organizer_name)
    event.add("organizer", organizer_address_value)
    attendee = vCalAddress(f"mailto:{invitation.email}")
    attendee.params["cn"] = vText(invitation.display_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText({"yes": "ACCEPTED", "no": "DECLINED", "maybe": "TENTATIVE"}
                                        .get(invitation.response or "", "NEEDS-ACTION"))
    attendee.params["rsvp"] = vText("TRUE")
    event.add("attendee", attendee)
    calendar.add_component(event)
    return _finish(calendar)


def attachment(content: str, method: str) -> dict:
    return {"filename": "terugkomdag.ics" if method == "REQUEST" else "terugkomdag-afgelast.ics",
            "content_type": f"text/calendar; method={method}; charset=utf-8", "content": content}


def feed_calendar(entries, *, name: str, now: datetime) -> str:
    """The subscription feed: return days and programme days (see calendar_entries)."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Amsterdam")
    for entry in entries:
        if entry.return_day is not None:
            event = _event(entry.return_day, uid=f"returnday-{entry.return_day.id}@fieldlab", now=now,
                           description=entry.return_day.agenda)
        else:
            event = Event()
            event.add("uid", entry.uid)
            event.add("dtstamp", now)
            event.add("dtstart", entry.day)
            event.add("dtend", entry.day + timedelta(days=1))
            event.add("summary", entry.title)
        calendar.add_component(event)
    return _finish(calendar)
