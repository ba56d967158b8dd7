"""The day-100 result: when it may be written, who writes and submits it, the opdrachtgever's view
and the six-month sustainability answer.

Rules in one place:
- the form opens on challenge day 85 and stays open after day 100 until the team leader submits;
- every member edits; an edit based on an older version is refused with the other text shown;
- only the team leader submits, and only a complete result (every question answered);
- once submitted the text is the team's record: it no longer changes, the opdrachtgever adds its
  view, and the owner named under borging is asked six months after day 100 whether the
  intervention is still in use (a follow-up step, see `jobs.py`).
"""

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fieldlab.audit import services as audit
from fieldlab.boards.models import CHALLENGE_DAYS, Challenge, Indicator
from fieldlab.extensions import db
from fieldlab.outcomes.models import (
    RESULT_OPENS_ON_DAY,
    SUSTAINABILITY_MONTHS,
    GoalReached,
    ResultIndicator,
    ResultStatus,
    StillInUse,
    SustainabilityAnswer,
    TeamResult,
)
from fieldlab.teams.models import Membership, Team, TeamRole
from fieldlab.timeutil import LOCAL_ZONE


class ResultError(Exception):
    """A rule of the result refused the action; `message` is the Dutch sentence to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StaleResultError(ResultError):
    """Somebody else saved the result since this person opened it."""

    def __init__(self, current: TeamResult):
        super().__init__(_("Een teamgenoot heeft het resultaat intussen opgeslagen. Hieronder staat zijn "
                           "versie; uw tekst staat nog in het formulier."))
        self.current = current


# --- When and who -----------------------------------------------------------------------------

def opens_on(challenge: Challenge | None) -> date | None:
    """The date the result form opens (day 85), or None without a start date."""
    return challenge.date_of_day(RESULT_OPENS_ON_DAY) if challenge is not None else None


def day_100(challenge: Challenge | None) -> date | None:
    return challenge.date_of_day(CHALLENGE_DAYS) if challenge is not None else None


def is_open(team: Team, *, today: date) -> bool:
    """Members may write from day 85 on; a submitted result no longer changes."""
    start = opens_on(team.challenge)
    if start is None or today < start:
        return False
    return team.result is None or not team.result.is_submitted


def is_leader(team: Team, user) -> bool:
    return any(membership.user_id == user.id and membership.role == TeamRole.LEADER
               for membership in team.memberships)


def has_leader(team: Team) -> bool:
    return any(membership.role == TeamRole.LEADER for membership in team.memberships)


# --- Writing the result -----------------------------------------------------------------------

@dataclass
class IndicatorInput:
    indicator_id: int
    final_value: Decimal | None
    note: str = ""


@dataclass
class ResultInput:
    goal_reached: str | None = None
    goal_explanation: str = ""
    changes: str = ""
    lessons: str = ""
    continuation: str = ""
    owner_name: str = ""
    owner_organisation: str = ""
    owner_email: str = ""
    reveals_weakness: bool | None = None
    weakness_summary: str = ""
    indicators: list[IndicatorInput] = field(default_factory=list)


def load_team(team_id: int) -> Team | None:
    """A team with what every result page needs, in a fixed number of queries."""
    return db.session.scalar(
        select(Team).where(Team.id == team_id).options(
            selectinload(Team.memberships).selectinload(Membership.user),
            selectinload(Team.challenge).selectinload(Challenge.indicators).selectinload(Indicator.values),
            selectinload(Team.result).selectinload(TeamResult.indicators),
            selectinload(Team.result).selectinload(TeamResult.sustainability),
        )
    )


def latest_value(indicator: Indicator) -> Decimal | None:
    """The last value recorded on the board: what the result form proposes as the final value."""
    return indicator.values[-1].value if indicator.values else None


def start_result(team: Team, *, by, now: datetime) -> TeamResult:
    """The team's result, created as a draft the first time with the final values pre-filled
    from the board. Indicators added to the board later join the draft too."""
    result = team.result
    if result is None:
        result = TeamResult(team=team, status=ResultStatus.DRAFT, updated_at=now, updated_by_id=by.id)
        db.session.add(result)
    if not result.is_submitted and team.challenge is not None:
        known = {row.indicator_id for row in result.indicators}
        for indicator in team.challenge.indicators:
            if indicator.id not in known:
                result.indicators.append(ResultIndicator(indicator=indicator, final_value=latest_value(indicator)))
    db.session.flush()
    return result


def save_result(team: Team, data: ResultInput, *, expected_version: int, by, now: datetime) -> TeamResult:
    """Store a member's edit of the draft. Refused when the form is closed or when the edit is
    based on an older version than the stored one (StaleResultError carries the stored text)."""
    if not is_open(team, today=now.astimezone(LOCAL_ZONE).date()):
        raise ResultError(_("Het resultaat kan nu niet worden gewijzigd."))
    result = start_result(team, by=by, now=now)
    if result.version != expected_version:
        raise StaleResultError(result)
    for name in ("goal_reached", "goal_explanation", "changes", "lessons", "continuation", "owner_name",
                 "owner_organisation", "owner_email", "reveals_weakness", "weakness_summary"):
        value = getattr(data, name)
        setattr(result, name, value.strip() if isinstance(value, str) else value)
    if not result.reveals_weakness:
        result.weakness_summary = ""
    by_indicator = {row.indicator_id: row for row in result.indicators}
    for item in data.indicators:
        row = by_indicator.get(item.indicator_id)
        if row is not None:
            row.final_value = item.final_value
            row.note = item.note.strip()
    result.version += 1
    result.updated_at = now
    result.updated_by_id = by.id
    db.session.flush()
    return result


def missing_answers(result: TeamResult) -> list[str]:
    """What still has to be filled in before the leader can submit, in the form's order."""
    missing = []
    if not result.goal_reached:
        missing.append(_("Doel bereikt (ja, deels of nee)"))
    if not result.goal_explanation:
        missing.append(_("Toelichting op het doel"))
    if not result.changes:
        missing.append(_("Wat de interventie heeft veranderd, en voor wie"))
    if not result.lessons:
        missing.append(_("Lessen"))
    if not result.continuation:
        missing.append(_("Wat er na dag 100 gebeurt"))
    if not (result.owner_name and result.owner_organisation and result.owner_email):
        missing.append(_("Eigenaar na dag 100 (naam, organisatie en e-mailadres)"))
    if result.reveals_weakness is None:
        missing.append(_("Structurele zwakte in wettelijke processen (ja of nee)"))
    elif result.reveals_weakness and not result.weakness_summary:
        missing.append(_("De zwakte in één zin"))
    missing.extend(_("Eindwaarde van indicator %(name)s", name=row.indicator.name)
                   for row in result.indicators if row.final_value is None)
    return missing


def sustainability_due(team: Team) -> datetime | None:
    """Six months after day 100, at 09:00 Dutch time: when the owner is asked."""
    last_day = day_100(team.challenge)
    if last_day is None:
        return None
    month = last_day.month - 1 + SUSTAINABILITY_MONTHS
    year, month = last_day.year + month // 12, month % 12 + 1
    day = min(last_day.day, _days_in_month(year, month))
    return datetime(year, month, day, 9, 0, tzinfo=LOCAL_ZONE)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


# Set by jobs.register(): schedules the sustainability question (the follow-up step table lives in
# the followups package, which the job module wires in; services stay free of the scheduler).
_on_submitted: list = []


def on_submitted(listener) -> None:
    if listener not in _on_submitted:
        _on_submitted.append(listener)


def submit_result(team: Team, *, by, now: datetime) -> TeamResult:
    """The team leader submits the complete result; it is then the team's record."""
    if not is_leader(team, by):
        raise ResultError(_("Alleen de teamleider kan het resultaat indienen."))
    result = team.result
    if result is None or result.is_submitted:
        raise ResultError(_("Er is geen concept om in te dienen."))
    if not is_open(team, today=now.astimezone(LOCAL_ZONE).date()):
        raise ResultError(_("Het resultaat kan nu niet worden ingediend."))
    missing = missing_answers(result)
    if missing:
        raise ResultError(_("Nog niet compleet: %(missing)s.", missing=", ".join(missing)))
    result.status = ResultStatus.SUBMITTED
    result.submitted_at = now
    result.submitted_by_id = by.id
    result.version += 1
    audit.record("result_submitted", actor=by, obj=result, now=now, team=team.name)
    for listener in _on_submitted:
        listener(result, now=now)
    db.session.flush()
    return result


def add_commissioner_view(result: TeamResult, *, grade: int, follow_up: str, by, now: datetime) -> TeamResult:
    """The opdrachtgever's view at the day-100 return day: satisfaction 1–10 and the follow-up
    it commits to. It may be corrected later; the last word counts."""
    if not result.is_submitted:
        raise ResultError(_("Het team heeft het resultaat nog niet ingediend."))
    if not 1 <= grade <= 10:
        raise ResultError(_("Geef een cijfer van 1 tot en met 10."))
    result.commissioner_grade = grade
    result.commissioner_follow_up = follow_up.strip()
    result.commissioner_by_id = by.id
    result.commissioner_at = now
    audit.record("result_commissioner_view", actor=by, obj=result, now=now, grade=grade)
    db.session.flush()
    return result


# --- The six-month sustainability question ------------------------------------------------------

def open_sustainability_question(result: TeamResult, *, now: datetime) -> SustainabilityAnswer:
    """The row the mailed link answers, with a fresh nonce (once: asking twice keeps the first)."""
    answer = result.sustainability
    if answer is None:
        answer = SustainabilityAnswer(result=result, asked_at=now, asked_email=result.owner_email,
                                      nonce=secrets.token_urlsafe(16))
        db.session.add(answer)
        db.session.flush()
    return answer


@dataclass
class SustainabilityInput:
    still_in_use: str
    led_to: str
    spread: bool
    spread_regions: str = ""


def answer_sustainability(answer: SustainabilityAnswer, data: SustainabilityInput, *, now: datetime) -> None:
    """Store the owner's answer and spend the link's nonce: the link works once."""
    if answer.nonce is None or answer.answered_at is not None:
        raise ResultError(_("Deze vraag is al beantwoord. Dank u wel."))
    if data.still_in_use not in set(StillInUse):
        raise ResultError(_("Kies of de interventie nog in gebruik is."))
    answer.still_in_use = data.still_in_use
    answer.led_to = data.led_to.strip()
    answer.spread = data.spread
    answer.spread_regions = data.spread_regions.strip() if data.spread else ""
    answer.answered_at = now
    answer.nonce = None
    audit.record("sustainability_answered", obj=answer.result, now=now)
    db.session.flush()


def find_open_answer(answer_id: int, nonce: str) -> SustainabilityAnswer | None:
    answer = db.session.get(SustainabilityAnswer, answer_id)
    if answer is None or answer.nonce is None or not secrets.compare_digest(answer.nonce, nonce):
        return None
    return answer


__all__ = ["GoalReached", "IndicatorInput", "ResultError", "ResultInput", "StaleResultError",
           "SustainabilityInput", "add_commissioner_view", "answer_sustainability", "day_100",
           "find_open_answer", "has_leader", "is_leader", "is_open", "latest_value", "load_team",
           "missing_answers", "on_submitted", "open_sustainability_question", "opens_on", "save_result",
           "start_result", "submit_result", "sustainability_due"]
