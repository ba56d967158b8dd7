"""The Lab report: everything a Lab did, gathered in a fixed number of queries for one template.

Reports only read. What a reader sees is decided here, once, with the rules of
`fieldlab/auth/permissions.py` (`report.problem_details`, `report.team_details`,
`evaluation_form.results`), so the page and the PDF (rendered from the same HTML) never differ.
Evaluation figures come from `evaluations.aggregation.form_results`, which applies the anonymity
threshold (nothing but counts below 3 responses); this module never counts grades itself.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from fieldlab.auth.models import User
from fieldlab.auth.permissions import can, is_facilitator
from fieldlab.boards.charts import LineChart
from fieldlab.boards.models import CHALLENGE_DAYS, BoardCard, Challenge, Column, Indicator, ProgressUpdate, Status
from fieldlab.boards.tracking import Series, cards_done_series, indicator_series
from fieldlab.evaluations.aggregation import FormResults, form_results
from fieldlab.evaluations.charts import BarChart, bar_chart
from fieldlab.evaluations.models import EvaluationForm
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, LabKind, Participation
from fieldlab.organisations.models import Sector
from fieldlab.outcomes.models import ResultIndicator, TeamResult
from fieldlab.problems.models import Problem
from fieldlab.returndays.models import ReturnDay, ReturnDayStatus
from fieldlab.speedlabs.models import SpeedlabSession
from fieldlab.speedlabs.rounds import RankedIdea, ranking
from fieldlab.speedlabs.services import participants as speedlab_participants
from fieldlab.teams.models import Membership, Team, TeamRole
from fieldlab.timeutil import LOCAL_ZONE


@dataclass
class ProblemEntry:
    problem: Problem
    details: bool  # False: the title only (vertrouwelijk, or not the reader's to read)
    team_names: list[str]


@dataclass
class MemberRow:
    name: str
    organisation: str
    sector: str
    level: str
    leader: bool


@dataclass
class UpdateRow:
    at: datetime
    status: Status
    went_well: str
    stuck: str
    help_needed: str


@dataclass
class TeamCourse:
    """One team's 100 days. With `details` False only names and counts are filled in."""

    team: Team
    problem_title: str
    details: bool
    members: list[MemberRow]
    starts_on: date | None
    day: int | None
    day_100_on: date | None
    goal: str
    cards_total: int
    cards_done: int
    status_counts: list[tuple[Status, int]]
    latest_status: Status | None
    updates: list[UpdateRow] = field(default_factory=list)
    cards_done_series: Series | None = None
    indicators: list[Series] = field(default_factory=list)
    # The day-100 result (submitted or draft) with its 6-month answer; its texts only with `details`.
    result: TeamResult | None = None
    finished: bool = False  # day 100 has passed: "afgerond", as the board says, not "dag 100 van 100"

    @property
    def submitted_result(self) -> TeamResult | None:
        return self.result if self.result is not None and self.result.is_submitted else None

    @property
    def cards_done_chart(self) -> LineChart | None:
        return self.cards_done_series.chart if self.cards_done_series and self.cards_done_series.points else None


@dataclass
class AttendanceRow:
    """The RSVP count of one return day: what its attendance list (CSV) holds, counted."""

    return_day: ReturnDay
    team_name: str
    invited: int
    yes: int
    no: int
    maybe: int

    @property
    def unanswered(self) -> int:
        return self.invited - self.yes - self.no - self.maybe


@dataclass
class EvaluationEntry:
    form: EvaluationForm
    subject: str
    results: FormResults
    histogram: BarChart | None


@dataclass
class SpeedlabEntry:
    """One speedlab of the Lab: its counts for every reader, its ideas by dots for those who may
    read its summary (the facilitators and the problem owner)."""

    session: SpeedlabSession
    participants: int
    ideas: int
    ranked: list[RankedIdea] | None  # None: not the reader's to see

    TOP = 10


def _speedlabs(lab: Lab, reader: User) -> list[SpeedlabEntry]:
    sessions = db.session.scalars(select(SpeedlabSession).where(SpeedlabSession.lab_id == lab.id)
                                  .order_by(SpeedlabSession.starts_at, SpeedlabSession.id)).all()
    return [SpeedlabEntry(session=session, participants=len(speedlab_participants(session)), ideas=len(session.ideas),
                          ranked=ranking(session)[:SpeedlabEntry.TOP] if can(reader, "speedlab.summary", session)
                          else None)
            for session in sessions]


@dataclass
class LabReport:
    lab: Lab
    today: date
    full: bool  # the reader is a facilitator: nothing is reduced
    problems: list[ProblemEntry]
    teams: list[TeamCourse]
    participants: int
    organisations: list[tuple[str, int]]
    sectors: list[tuple[str, int]]
    levels: list[tuple[str, int]]
    attendance: list[AttendanceRow]
    evaluations: list[EvaluationEntry]
    hidden_evaluations: int
    speedlabs: list[SpeedlabEntry] = field(default_factory=list)

    @property
    def has_teams(self) -> bool:
        """Only a Lab for teams forms teams and runs 100-day challenges; a Lab for individual
        participants and a speedlab leave those sections out rather than print them empty."""
        return self.lab.kind == LabKind.TEAMS

    @property
    def has_return_days(self) -> bool:
        return self.lab.kind != LabKind.SPEEDLAB

    @property
    def results(self) -> list[TeamCourse]:
        """Teams with a submitted day-100 result, for the results section."""
        return [course for course in self.teams if course.submitted_result is not None]

    @property
    def reduced(self) -> bool:
        return any(not entry.details for entry in self.problems) or any(not team.details for team in self.teams)


def _level_label(user: User) -> str:
    profile = getattr(user, "profile", None)
    return profile.level_label if profile is not None else ""


def _team_course(team: Team, *, reader: User, cards: list[BoardCard], updates: list[ProgressUpdate],
                 result: TeamResult | None, today: date) -> TeamCourse:
    details = can(reader, "report.team_details", team)
    challenge: Challenge | None = team.challenge
    members = sorted(
        (MemberRow(name=membership.user.name,
                   organisation=membership.user.organisation.name if membership.user.organisation else "",
                   sector=membership.user.organisation.sector if membership.user.organisation else "",
                   level=_level_label(membership.user), leader=membership.role == TeamRole.LEADER)
         for membership in team.memberships),
        key=lambda row: (not row.leader, row.name.lower()))
    counts = Counter(Status(progress.status) for progress in updates)
    day = challenge.day_on(today) if challenge else None
    course = TeamCourse(
        team=team, problem_title=team.problem.title if team.problem else "", details=details, members=members,
        starts_on=challenge.starts_on if challenge else None,
        day=min(day, CHALLENGE_DAYS) if day else None,
        day_100_on=challenge.date_of_day(CHALLENGE_DAYS) if challenge else None,
        goal=challenge.goal if challenge and details else "",
        cards_total=len(cards), cards_done=sum(1 for card in cards if card.column_key == Column.DONE),
        status_counts=[(status, counts.get(status, 0)) for status in Status],
        latest_status=Status(updates[0].status) if updates else None, result=result,
        finished=bool(day and day > CHALLENGE_DAYS),
    )
    if challenge is not None:
        course.cards_done_series = cards_done_series(challenge, cards, today=today)
    if details:
        course.updates = [UpdateRow(at=progress.created_at, status=Status(progress.status),
                                    went_well=progress.went_well, stuck=progress.stuck,
                                    help_needed=progress.help_needed) for progress in updates]
        course.indicators = indicator_series(challenge) if challenge is not None else []
    return course


def _lab_teams(lab: Lab) -> list[Team]:
    return list(db.session.scalars(
        select(Team).where(Team.lab_id == lab.id).order_by(Team.name)
        .options(selectinload(Team.problem),
                 selectinload(Team.memberships).selectinload(Membership.user).selectinload(User.organisation),
                 selectinload(Team.memberships).selectinload(Membership.user).selectinload(User.profile),
                 selectinload(Team.challenge).selectinload(Challenge.indicators).selectinload(Indicator.values))))


def _attendance(lab: Lab) -> list[AttendanceRow]:
    return_days = db.session.scalars(
        select(ReturnDay).where(ReturnDay.lab_id == lab.id, ReturnDay.status != ReturnDayStatus.PROPOSED)
        .options(selectinload(ReturnDay.invitations), selectinload(ReturnDay.team))
        .order_by(ReturnDay.day_number, ReturnDay.starts_at)).all()
    rows = []
    for return_day in return_days:
        answers = Counter(invitation.response for invitation in return_day.active_invitations)
        rows.append(AttendanceRow(return_day=return_day, team_name=return_day.team.name if return_day.team else "",
                                  invited=len(return_day.active_invitations), yes=answers.get("yes", 0),
                                  no=answers.get("no", 0), maybe=answers.get("maybe", 0)))
    return rows


def _evaluations(lab: Lab, reader: User, return_days: list[ReturnDay], *,
                 now: datetime) -> tuple[list[EvaluationEntry], int]:
    day_ids = [return_day.id for return_day in return_days]
    forms = db.session.scalars(
        select(EvaluationForm).where(or_(EvaluationForm.lab_id == lab.id, EvaluationForm.return_day_id.in_(day_ids)))
        .where(EvaluationForm.opened_at.is_not(None))
        .options(selectinload(EvaluationForm.questions)).order_by(EvaluationForm.opened_at, EvaluationForm.id)).all()
    by_id = {return_day.id: return_day for return_day in return_days}
    entries, hidden = [], 0
    for form in forms:
        if not can(reader, "evaluation_form.results", form):
            hidden += 1
            continue
        results = form_results(form, now=now)
        if form.return_day_id is not None and form.return_day_id in by_id:
            return_day = by_id[form.return_day_id]
            subject = _("Terugkomdag dag %(day)s", day=return_day.day_number)
            if return_day.team is not None:
                subject = f"{subject} · {return_day.team.name}"
        else:
            subject = _("Programma")
        histogram = None
        if results.shown and results.histogram:
            histogram = bar_chart([(str(grade), count) for grade, count in results.histogram])
        entries.append(EvaluationEntry(form=form, subject=subject, results=results, histogram=histogram))
    return entries, hidden


def lab_report(lab: Lab, *, reader: User, now: datetime) -> LabReport:
    """The report of one Lab as `reader` may read it at `now` (its day is the day the course is
    counted to; the moment decides which evaluation forms are closed)."""
    today = now.astimezone(LOCAL_ZONE).date()
    teams = _lab_teams(lab)
    challenge_ids = [team.challenge.id for team in teams if team.challenge is not None]
    cards_of: dict[int, list[BoardCard]] = {}
    updates_of: dict[int, list[ProgressUpdate]] = {}
    if challenge_ids:
        for card in db.session.scalars(select(BoardCard).where(BoardCard.challenge_id.in_(challenge_ids))):
            cards_of.setdefault(card.challenge_id, []).append(card)
        for progress in db.session.scalars(
                select(ProgressUpdate).where(ProgressUpdate.challenge_id.in_(challenge_ids))
                .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())):
            updates_of.setdefault(progress.challenge_id, []).append(progress)
    results = {result.team_id: result for result in db.session.scalars(
        select(TeamResult).where(TeamResult.team_id.in_([team.id for team in teams]))
        .options(selectinload(TeamResult.indicators).selectinload(ResultIndicator.indicator),
                 selectinload(TeamResult.sustainability)))}
    courses = [
        _team_course(team, reader=reader, cards=cards_of.get(team.challenge.id, []) if team.challenge else [],
                     updates=updates_of.get(team.challenge.id, []) if team.challenge else [],
                     result=results.get(team.id), today=today)
        for team in teams]

    problems = db.session.scalars(select(Problem).where(Problem.lab_id == lab.id).order_by(Problem.title)
                                  .options(selectinload(Problem.organisation))).all()
    problem_entries = [
        ProblemEntry(problem=problem, details=can(reader, "report.problem_details", problem),
                     team_names=[team.name for team in teams if team.problem_id == problem.id])
        for problem in problems]

    participants = db.session.scalars(
        select(User).join(Participation, Participation.user_id == User.id).where(Participation.lab_id == lab.id)
        .options(selectinload(User.organisation), selectinload(User.profile))).all()
    organisations = Counter(user.organisation.name if user.organisation else _("onbekende organisatie")
                            for user in participants)
    sectors = Counter(user.organisation.sector if user.organisation else "" for user in participants)
    levels = Counter(_level_label(user) or _("onbekend") for user in participants)

    attendance = _attendance(lab)
    evaluations, hidden = _evaluations(lab, reader, [row.return_day for row in attendance], now=now)
    return LabReport(
        lab=lab, today=today, full=is_facilitator(reader),
        problems=problem_entries, teams=courses, participants=len(participants),
        organisations=sorted(organisations.items(), key=lambda item: (-item[1], item[0].lower())),
        sectors=[(_("publiek") if key == Sector.PUBLIC else _("privaat") if key == Sector.PRIVATE
                  else _("onbekend"), count) for key, count in sorted(sectors.items())],
        levels=sorted(levels.items(), key=lambda item: (-item[1], item[0])),
        attendance=attendance, evaluations=evaluations, hidden_evaluations=hidden,
        speedlabs=_speedlabs(lab, reader) if lab.kind == LabKind.SPEEDLAB else [],
    )

