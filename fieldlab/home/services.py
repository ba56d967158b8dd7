"""What is next for me: the home page's content per role."""

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from sqlalchemy import Integer, Row, bindparam, func, select
from sqlalchemy.orm import selectinload

from fieldlab.auth.models import Role, User
from fieldlab.auth.permissions import remembered_alumnus
from fieldlab.boards import services as board_services
from fieldlab.boards.models import CHALLENGE_DAYS, Challenge, ProgressUpdate, date_of_day, day_on
from fieldlab.evaluations.sending import OpenEvaluation, open_requests_for
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, ParticipantProfile, Participation
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.problems.models import Problem, ProblemStatus
from fieldlab.returndays.models import ReturnDay, ReturnDayStatus, of_teams_or_shared
from fieldlab.signals.models import Signal
from fieldlab.signals.services import awaiting_confirmation_by
from fieldlab.speedlabs import services as speedlab_services
from fieldlab.speedlabs.models import SpeedlabSession
from fieldlab.teams.models import Membership, Team
from fieldlab.timeutil import utcnow


@dataclass(frozen=True)
class TeamSummary:
    """A team as home shows it: its names and its challenge's start, one row of a statement
    (loaded as Team, Challenge and Lab objects, they cost about fifteen times the statement)."""

    id: int
    name: str
    lab_id: int
    lab_name: str
    challenge_id: int | None
    starts_on: date | None


@dataclass
class TeamProgress:
    """One team's place in its 100-day challenge, as the home page shows it."""

    team: TeamSummary
    day: int | None
    day_50: date | None
    day_100: date | None
    starts_on: date | None
    # Day 50 and day 100 still to come: (day number, challenge day, its confirmed return day or
    # None). The return day is the date to keep free, which a weekend or holiday may have moved
    # off the challenge day (`with_return_days`).
    coming: list[tuple[int, date, Row | None]] = field(default_factory=list)
    # For a leidinggevende: the team's latest progress update (its traffic light and the help it
    # asks of the managers), which otherwise only the board's Voortgang and /borden show.
    latest: ProgressUpdate | None = None

    @property
    def total_days(self) -> int:
        return CHALLENGE_DAYS

    def fragment_key(self, language: str) -> tuple:
        """Everything `home/_team_progress.html` shows, for keeping it (`fragments`): the same for
        every member or manager of the team on one day in one language."""
        latest = self.latest
        return ("team-progress", language, self.team.id, self.team.name, self.team.lab_name, self.day,
                self.starts_on,
                tuple((number, day, (found.id, found.starts_at) if found is not None else None)
                      for number, day, found in self.coming),
                (latest.id, latest.status, latest.created_at, latest.help_needed) if latest is not None else None)

    @property
    def finished(self) -> bool:
        return self.day is not None and self.day > CHALLENGE_DAYS


def team_progress(team: TeamSummary, today: date) -> TeamProgress:
    if team.challenge_id is None:
        return TeamProgress(team, None, None, None, None)
    return TeamProgress(team, day_on(team.starts_on, today), date_of_day(team.starts_on, 50),
                        date_of_day(team.starts_on, 100), team.starts_on)


@cache
def _confirmed_return_days_statement():
    """Confirmed return days after day 50 and 100 of these teams, or shared by their Labs: the few
    columns the home page shows, as rows on the session's connection (through the ORM, loading them
    as objects cost as much as the statement)."""
    return select(ReturnDay.id, ReturnDay.lab_id, ReturnDay.team_id, ReturnDay.day_number, ReturnDay.starts_at,
                  ReturnDay.ends_at).where(
        ReturnDay.status == ReturnDayStatus.CONFIRMED, ReturnDay.day_number.in_((50, 100)),
        of_teams_or_shared(bindparam("team_ids", expanding=True), bindparam("lab_ids", expanding=True)))


def with_return_days(progress: list[TeamProgress], *, today: date, now: datetime) -> list[TeamProgress]:
    """Fill in each team's day 50 and 100 still to come, with its confirmed return day (its own,
    else its Lab's shared one): one statement for all the teams, none when no team has a start
    date. A day is past when its return day has ended, or, without one, when the challenge day is."""
    started = [item for item in progress if item.starts_on is not None and not item.finished]
    if not started:
        return progress
    days = db.session.connection().execute(_confirmed_return_days_statement(), {
        "team_ids": [item.team.id for item in started], "lab_ids": sorted({item.team.lab_id for item in started})})
    own: dict[tuple[int, int], Row] = {}
    shared: dict[tuple[int, int], Row] = {}
    for day in days:
        if day.team_id is None:
            shared[(day.lab_id, day.day_number)] = day
        else:
            own[(day.team_id, day.day_number)] = day
    for item in started:
        for number, challenge_day in ((50, item.day_50), (100, item.day_100)):
            return_day = own.get((item.team.id, number)) or shared.get((item.team.lab_id, number))
            if (return_day.ends_at > now) if return_day is not None else (challenge_day >= today):
                item.coming.append((number, challenge_day, return_day))
    return progress


@dataclass
class Dashboard:
    roles: set[Role]
    my_teams: list[TeamProgress] = field(default_factory=list)
    managed_teams: list[TeamProgress] = field(default_factory=list)
    my_problems: list[Problem] = field(default_factory=list)
    labs: list[Lab] = field(default_factory=list)
    my_labs: list[Row] = field(default_factory=list)  # id, name, programme_starts_on
    profile_incomplete: bool = False
    problems_to_review: int = 0
    outbox_queued: int = 0
    outbox_failed: int = 0
    open_evaluations: list[OpenEvaluation] = field(default_factory=list)
    signals_to_confirm: list[Signal] = field(default_factory=list)
    speedlabs: list[SpeedlabSession] = field(default_factory=list)


def _teams_query():
    """Teams as `TeamSummary` rows: the team, its Lab and its challenge in one statement."""
    return (select(Team.id, Team.name, Team.lab_id, Lab.name, Challenge.id, Challenge.starts_on)
            .select_from(Team).join(Lab, Lab.id == Team.lab_id).outerjoin(Challenge, Challenge.team_id == Team.id))


def _summaries(statement, parameters=None) -> list[TeamSummary]:
    return [TeamSummary(*row) for row in db.session.connection().execute(statement, parameters or {})]


# The statements every deelnemer's home page runs are built once, the person as a parameter:
# building them (joins, eager loads, ordering) cost about as much as running them.

@cache
def _my_teams_statement():
    return (_teams_query().join(Membership, Membership.team_id == Team.id)
            .where(Membership.user_id == bindparam("user_id", type_=Integer)).order_by(Team.name, Team.id))


@cache
def _my_labs_statement():
    """The deelnemer's Labs as the columns the page lists, rows on the session's connection: loaded
    as objects, this and the profile below cost more than the statements themselves."""
    return (select(Lab.id, Lab.name, Lab.programme_starts_on).join(Participation)
            .where(Participation.user_id == bindparam("user_id", type_=Integer))
            .order_by(Lab.programme_starts_on.desc(), Lab.name))


@cache
def _profile_level_statement():
    return select(ParticipantProfile.level).where(ParticipantProfile.user_id == bindparam("user_id", type_=Integer))


def dashboard_for(user: User, *, today: date, now: datetime | None = None) -> Dashboard:
    dashboard = Dashboard(roles=user.roles)
    now = now or utcnow()
    dashboard.open_evaluations = open_requests_for(user, now=now)
    my_teams = _summaries(_my_teams_statement(), {"user_id": user.id})
    dashboard.my_teams = with_return_days([team_progress(team, today) for team in my_teams], today=today, now=now)

    if user.has_role(Role.MANAGER):
        # A team in which someone I manage *in that team's Lab* takes part: the same rule as board.view.
        teams = _summaries(
            _teams_query().join(Membership, Membership.team_id == Team.id)
            .join(Participation, (Participation.lab_id == Team.lab_id) & (Participation.user_id == Membership.user_id))
            .where(Participation.manager_id == user.id)
            .distinct().order_by(Team.name, Team.id)
        )
        dashboard.managed_teams = with_return_days([team_progress(team, today) for team in teams], today=today,
                                                   now=now)
        latest = board_services.latest_updates([team.challenge_id for team in teams if team.challenge_id is not None])
        for item in dashboard.managed_teams:
            item.latest = latest.get(item.team.challenge_id) if item.team.challenge_id is not None else None

    if (user.has_role(Role.COMMISSIONER) or remembered_alumnus(user.id)) and speedlab_services.any_coming(now):
        # Speedlabs invite alumni and the problem owner: asked of them only, and only while a
        # speedlab is planned at all, so most home pages cost no statement more.
        dashboard.speedlabs = speedlab_services.coming_for(user, now=now)

    if user.has_role(Role.COMMISSIONER) or user.has_role(Role.MANAGER):
        # A signal's strategic representative speaks for an organisation: an opdrachtgever or a
        # leidinggevende, whom the signal's drafters name by their account.
        dashboard.signals_to_confirm = awaiting_confirmation_by(user)

    if user.has_role(Role.COMMISSIONER):
        dashboard.my_problems = db.session.scalars(
            select(Problem).where(Problem.commissioner_id == user.id)
            .options(selectinload(Problem.questions), selectinload(Problem.lab))
            .order_by(Problem.updated_at.desc())
        ).all()

    if user.has_role(Role.PARTICIPANT):
        connection = db.session.connection()
        dashboard.my_labs = connection.execute(_my_labs_statement(), {"user_id": user.id}).all()
        level = connection.execute(_profile_level_statement(), {"user_id": user.id}).scalar()
        dashboard.profile_incomplete = not level or user.organisation_id is None

    if user.has_role(Role.FACILITATOR):
        dashboard.labs = db.session.scalars(
            select(Lab).options(selectinload(Lab.teams)).order_by(Lab.programme_starts_on.desc(), Lab.name)
        ).all()
        dashboard.problems_to_review = db.session.scalar(
            select(func.count()).select_from(Problem).where(Problem.status == ProblemStatus.SUBMITTED)
        )
        counts = dict(db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all())
        dashboard.outbox_queued = counts.get(MessageStatus.QUEUED, 0)
        dashboard.outbox_failed = counts.get(MessageStatus.FAILED, 0)
    return dashboard
