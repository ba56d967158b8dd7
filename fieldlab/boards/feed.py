"""The activity feed: one sentence per board event, who did what, and when.

The sentences are translated once per feed, not once per event, and the template only prints
them: the feed is rendered again after every change on a board (fieldlab/fragments.py keeps it
until the next one).
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from fieldlab.boards.models import BoardEvent, Column, EventKind, Status
from fieldlab.formats import moment_formatter, spoken_list


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


def feed_lines(events: list[BoardEvent]) -> list[FeedLine]:
    sentences = _sentences()
    moment = moment_formatter("short")
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
                            len(values["name"].split(",")), name=spoken_list(values["name"]))
        lines.append(FeedLine(text=text, at=event.at, moment=moment(event.at)))
    return lines
