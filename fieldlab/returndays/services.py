"""Terugkomdagen, the core: when a return day is. The proposed dates (day 1, 50 and 100 of a
challenge, moved off weekends and public holidays), a Lab's settings (how long before the day the
invitations go out; one shared day for all its teams or one per team), the steps scheduled relative
to each day, and the next day a vraagstuk page shows.

It stands alone because every other part of return days needs these dates and none of them is
needed here: invitations, decisions, the pack, moves and steps build on this module, never the
other way round.

Services take the acting user and the time explicitly and flush; the route or the job wrapper
commits.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import holidays
from flask import url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from fieldlab.audit import services as audit
from fieldlab.auth.models import User
from fieldlab.auth.permissions import can
from fieldlab.boards.models import RETURN_DAY_NUMBERS, Challenge
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.problems.services import NextReturnDay
from fieldlab.returndays.models import (
    DEFAULT_INVITATION_DAYS_BEFORE,
    JobKind,
    LabReturnDaySetting,
    ReturnDay,
    ReturnDayJob,
    ReturnDayStatus,
    of_teams_or_shared,
)
from fieldlab.teams.models import Team
from fieldlab.timeutil import LOCAL_ZONE, as_utc, local

DEFAULT_START = time(9, 30)
DEFAULT_END = time(16, 0)
# Scheduled steps happen at this local time on their day (the evaluation request: at the day's end).
STEP_TIME = time(9, 0)
REMINDER_DAYS_BEFORE = 5
PRACTICAL_DAYS_BEFORE = 1
NUDGE_DAYS_BEFORE = 3


class ReturnDayError(Exception):
    """A rule of return days was broken; the message is Dutch and meant for the user."""


# --- Proposing dates ----------------------------------------------------------------------

@dataclass
class Proposal:
    day_number: int
    natural_date: date
    proposed_date: date

    @property
    def reason(self) -> str:
        """Why the proposal is not day n itself, said when it is read: a page in the reader's
        language, a mail in its recipient's."""
        return moved_because(self.natural_date, self.proposed_date)


# The holiday names in the UI's languages (the `holidays` package's own translations).
HOLIDAY_LANGUAGES = {"nl": "nl", "en": "en_US"}


def _holidays_for(year: int, language: str = "nl"):
    return holidays.NL(years=[year, year + 1], language=language)


def working_day_from(day: date) -> date:
    """The day itself when it is a working day, else the next one (weekends, Dutch public holidays)."""
    public = _holidays_for(day.year)
    candidate = day
    while candidate.weekday() >= 5 or candidate in public:
        candidate += timedelta(days=1)
    return candidate


def next_working_day(day: date) -> tuple[date, str]:
    """`working_day_from(day)`, with the reason in the current language."""
    candidate = working_day_from(day)
    return candidate, moved_because(day, candidate)


def moved_because(natural: date | None, proposed: date | None) -> str:
    """"valt op Koningsdag, voorgesteld: woensdag 28 april 2027" in the current language; empty
    when the day was not moved."""
    if natural is None or proposed is None or natural == proposed:
        return ""
    language = HOLIDAY_LANGUAGES.get(getattr(get_locale(), "language", "nl"), "nl")
    cause = _holidays_for(natural.year, language).get(natural) or format_date(natural, "EEEE")
    return _("valt op %(cause)s, voorgesteld: %(day)s", cause=cause, day=format_date(proposed, "EEEE d MMMM y"))


def proposal_reason(return_day: ReturnDay) -> str:
    """Why a return day's proposal moved, for its page: from day n and the proposal, in the reader's
    language; a row written before day n was kept has its reason as Dutch text."""
    if return_day.natural_on is not None:
        return moved_because(return_day.natural_on, return_day.proposed_on)
    return return_day.proposal_reason


def proposals_for(starts_on: date) -> list[Proposal]:
    proposals = []
    for number in RETURN_DAY_NUMBERS:
        natural = starts_on + timedelta(days=number - 1)
        proposals.append(Proposal(number, natural, working_day_from(natural)))
    return proposals


def propose_return_days(challenge: Challenge, *, by=None, now: datetime | None = None) -> list[Proposal]:
    """The three proposed return days of a challenge (day 1, 50, 100), nothing written."""
    if challenge.starts_on is None:
        return []
    return proposals_for(challenge.starts_on)


def settings_for(lab: Lab) -> LabReturnDaySetting:
    setting = db.session.get(LabReturnDaySetting, lab.id)
    if setting is None:
        setting = LabReturnDaySetting(lab_id=lab.id, invitation_days_before=DEFAULT_INVITATION_DAYS_BEFORE,
                                      shared=False)
        db.session.add(setting)
        db.session.flush()
    return setting


def update_settings(lab: Lab, *, invitation_days_before: int, shared: bool, by, now: datetime) -> None:
    setting = settings_for(lab)
    changed_days = setting.invitation_days_before != invitation_days_before
    setting.invitation_days_before = invitation_days_before
    setting.shared = shared
    db.session.flush()
    if changed_days:
        for return_day in return_days_of_lab(lab):
            if return_day.status == ReturnDayStatus.CONFIRMED:
                schedule_return_day_jobs(return_day, now=now)
    audit.record("returnday_settings_changed", actor=by, obj=lab, now=now,
                 invitation_days_before=invitation_days_before, shared=shared)


def local_moment(day: date, at: time) -> datetime:
    return as_utc(datetime.combine(day, at, tzinfo=LOCAL_ZONE))


def existing_return_day(lab: Lab, team: Team | None, day_number: int) -> ReturnDay | None:
    query = select(ReturnDay).where(ReturnDay.lab_id == lab.id, ReturnDay.day_number == day_number)
    query = query.where(ReturnDay.team_id.is_(None) if team is None else ReturnDay.team_id == team.id)
    return db.session.scalar(query)


def plan_return_days(challenge: Challenge, *, by=None, now: datetime) -> list[ReturnDay]:
    """Write the proposals of a challenge as proposed return days, for the facilitator to confirm.

    Called when a challenge gets (or changes) its start date. Days the facilitator already
    confirmed or cancelled keep their date (fieldlab.returndays.moves flags the confirmed ones that
    no longer match); proposed ones follow the new start date. In a Lab with shared return days the
    proposals are the Lab's, from the earliest start date of its teams, whichever team moved.
    """
    team = challenge.team
    lab = team.lab
    shared = settings_for(lab).shared
    source = (first_challenge(lab) or challenge) if shared else challenge
    planned = []
    for proposal in propose_return_days(source, by=by, now=now):
        return_day = existing_return_day(lab, None if shared else team, proposal.day_number)
        if return_day is not None and return_day.status != ReturnDayStatus.PROPOSED:
            planned.append(return_day)
            continue
        if return_day is None:
            return_day = ReturnDay(lab=lab, team=None if shared else team, day_number=proposal.day_number,
                                   status=ReturnDayStatus.PROPOSED, place=lab.place or "", agenda="")
            db.session.add(return_day)
        return_day.proposed_on, return_day.natural_on = proposal.proposed_date, proposal.natural_date
        return_day.proposal_reason = ""
        return_day.starts_at = local_moment(proposal.proposed_date, DEFAULT_START)
        return_day.ends_at = local_moment(proposal.proposed_date, DEFAULT_END)
        planned.append(return_day)
    db.session.flush()
    return planned


def first_challenge(lab: Lab) -> Challenge | None:
    dated = [team.challenge for team in lab.teams if team.challenge and team.challenge.starts_on]
    return min(dated, key=lambda challenge: challenge.starts_on, default=None)


def return_days_of_lab(lab: Lab) -> list[ReturnDay]:
    return db.session.scalars(
        select(ReturnDay).where(ReturnDay.lab_id == lab.id).order_by(ReturnDay.starts_at)).all()


def teams_of(return_day: ReturnDay) -> list[Team]:
    return list(return_day.lab.teams) if return_day.team is None else [return_day.team]


# --- Scheduled steps ----------------------------------------------------------------------

def step_plan(return_day: ReturnDay) -> list[tuple[JobKind, int | None, time | None]]:
    """Which steps a return day has, each relative to it: (kind, days before, local time)."""
    days = settings_for(return_day.lab).invitation_days_before
    plan = [
        (JobKind.INVITE, days, STEP_TIME),
        (JobKind.REMINDER, REMINDER_DAYS_BEFORE, STEP_TIME),
        (JobKind.PRACTICAL, PRACTICAL_DAYS_BEFORE, STEP_TIME),
    ]
    if return_day.day_number in (50, 100):
        plan.append((JobKind.NUDGE, NUDGE_DAYS_BEFORE, STEP_TIME))
    plan.append((JobKind.EVALUATION, None, None))
    return plan


def step_moment(return_day: ReturnDay, days_before: int | None, at_local: time | None) -> datetime:
    if days_before is None:
        return return_day.ends_at
    day = local(return_day.starts_at).date() - timedelta(days=days_before)
    return local_moment(day, at_local)


def schedule_return_day_jobs(return_day: ReturnDay, *, now: datetime) -> list[ReturnDayJob]:
    """Write (or re-time) the steps of a confirmed return day. The scheduler's jobs follow these
    rows (see jobs.run_due): moving the day moves every step, cancelling removes them."""
    if return_day.status != ReturnDayStatus.CONFIRMED:
        return_day.jobs.clear()
        db.session.flush()
        return []
    existing = {job.kind: job for job in return_day.jobs}
    wanted = step_plan(return_day)
    for kind, days_before, at_local in wanted:
        job = existing.get(kind)
        if job is None:
            job = ReturnDayJob(kind=kind)
            return_day.jobs.append(job)
        job.days_before = days_before
        job.at_local = at_local
        job.run_at = step_moment(return_day, days_before, at_local)
    wanted_kinds = {kind for kind, _days, _at in wanted}
    for job in list(return_day.jobs):
        if job.kind not in wanted_kinds:
            return_day.jobs.remove(job)
    db.session.flush()
    return list(return_day.jobs)


def invitation_job(return_day: ReturnDay) -> ReturnDayJob:
    return next(job for job in return_day.jobs if job.kind == JobKind.INVITE)


# --- The next one, for a vraagstuk page ------------------------------------------------------

def next_return_day_for_problem(problem, today: date, viewer: User):
    """The next confirmed terugkomdag of a team working on this vraagstuk (or the Lab's shared
    one), for the vraagstuk page (connected to `problems.hooks.next_return_day_wanted`). The first
    one `viewer` may open (a deelnemer: their own team's day, not another team's); when they may
    open none, the next one without a link, since the page would answer 404."""
    if problem.lab is None:
        return None
    team_ids = [team.id for team in problem.lab.teams if team.problem_id == problem.id]
    if not team_ids:
        return None
    start_of_today = datetime.combine(today, time.min, tzinfo=LOCAL_ZONE)
    upcoming = db.session.scalars(
        select(ReturnDay)
        .where(ReturnDay.status == ReturnDayStatus.CONFIRMED, ReturnDay.starts_at >= start_of_today,
               of_teams_or_shared(team_ids, [problem.lab_id]))
        .order_by(ReturnDay.starts_at).limit(len(team_ids) + 1)
    ).all()
    if not upcoming:
        return None
    openable = [day for day in upcoming if can(viewer, "returnday.view", day)]
    return_day = openable[0] if openable else upcoming[0]
    label = _("Terugkomdag dag %(day)s", day=return_day.day_number)
    if return_day.team is not None:
        label = f"{label} · {return_day.team.name}"
    return NextReturnDay(starts_at=return_day.starts_at, label=label, place=return_day.place or return_day.online_link,
                         url=url_for("returndays.detail", return_day_id=return_day.id) if openable else None)
