"""The activity feed: one sentence per board event, who did what, and when.

The sentences are translated once per feed, not once per event, and the template only prints
them: the feed is rendered again after every change on a board (fieldlab/fragments.py keeps it
until the next one).
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date, get_locale, get_timezone, ngettext
from flask_babel import gettext as _

from fieldlab.boards.models import BoardEvent, Column, EventKind, Status
from fieldlab.formats import pattern_for


@dataclass(frozen=True)
class FeedLine:
    text: str
    at: datetime
    moment: str


def _sentences() -> dict[str, str]:
    """Per event kind the sentence with its %(…)s places, in the request's language."""
    return {
        EventKind.CARD_ADDED: _("%(who)s voegde ‘%(title)s’ toe."),
        EventKind.CARD_EDITED: _("%(who)s wijzigde ‘%(title)s’."),
        EventKind.CARD_MOVED: _("%(who)s verplaatste ‘%(title)s’ naar %(column)s."),
        EventKind.CHALLENGE_EDITED: _("%(who)s wijzigde het doel en plan."),
        EventKind.START_DATE_SET: _("%(who)s zette de startdatum op %(date)s."),
        EventKind.INDICATOR_ADDED: _("%(who)s voegde indicator ‘%(name)s’ toe."),
        EventKind.INDICATOR_VALUE: _("%(who)s registreerde %(value)s voor ‘%(name)s’."),
        EventKind.PROGRESS_UPDATE: _("%(who)s schreef een voortgangsupdate (%(status)s)."),
        EventKind.LEADER_CHOSEN: _("%(who)s legde vast dat %(name)s teamleider is."),
    }


def _label(enum, key) -> str:
    return enum(key).label if key in {member.value for member in enum} else ""


def short_moment_formatter():
    """`flask_babel.format_datetime(moment, "short")` for many moments in a row: the locale's
    patterns are looked up once, not for every event (that was a third of the feed's time)."""
    from babel.dates import get_date_format, get_datetime_format, get_time_format, parse_pattern

    locale, zone = get_locale(), get_timezone()
    ours = pattern_for("datetime", "short")
    if ours is not None:
        pattern = parse_pattern(ours)
        return lambda at: pattern.apply(at.astimezone(zone), locale)
    layout = get_datetime_format("short", locale=locale).replace("'", "")
    date_pattern = parse_pattern(get_date_format("short", locale=locale))
    time_pattern = parse_pattern(get_time_format("short", locale=locale))

    def moment(at: datetime) -> str:
        local = at.astimezone(zone)
        return layout.replace("{0}", time_pattern.apply(local, locale)).replace("{1}", date_pattern.apply(local, locale))

    return moment


def feed_lines(events: list[BoardEvent]) -> list[FeedLine]:
    sentences = _sentences()
    moment = short_moment_formatter()
    someone = _("Iemand")
    lines = []
    for event in events:
        detail = event.detail or {}
        who = event.actor.name if event.actor else someone
        values = {"who": who, "title": detail.get("title", ""), "name": detail.get("name", ""),
                  "value": detail.get("value", ""), "column": _label(Column, detail.get("target")),
                  "status": _label(Status, detail.get("status")), "date": ""}
        if event.kind == EventKind.START_DATE_SET and detail.get("starts_on"):
            values["date"] = format_date(date.fromisoformat(detail["starts_on"]), "long")
        sentence = sentences.get(event.kind)
        text = sentence % values if sentence else who
        if event.kind == EventKind.RETURN_DAYS_REVIEW:  # "1, 50": one day or more
            text = ngettext("De startdatum is verschoven: de facilitator is gevraagd de vastgelegde "
                            "terugkomdag van dag %(name)s opnieuw te plannen.",
                            "De startdatum is verschoven: de facilitator is gevraagd de vastgelegde "
                            "terugkomdagen van dag %(name)s opnieuw te plannen.",
                            len(values["name"].split(",")), name=values["name"])
        lines.append(FeedLine(text=text, at=event.at, moment=moment(event.at)))
    return lines
