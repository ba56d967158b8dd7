"""A team on day 90 of its challenge (the result form is open), with an indicator on its board."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from fieldlab.auth.models import Role, User
from fieldlab.boards import tracking
from fieldlab.extensions import db
from fieldlab.teams.models import Team, TeamRole
from fieldlab.timeutil import LOCAL_ZONE, local, utcnow
from tests import factories


def noon_today() -> datetime:
    """Today at noon in Amsterdam: the routes use the real clock, so the team's days count from it."""
    return datetime.combine(local(utcnow()).date(), time(12), LOCAL_ZONE).astimezone(UTC)


@pytest.fixture
def now():
    """This test's noon today (see `noon_today`); `today` follows it."""
    return noon_today()


@dataclass
class ResultWorld:
    now: datetime  # the moment it was built around (noon today)
    team: Team
    leader: User
    member: User
    commissioner: User
    facilitator: User
    manager: User
    stranger: User
    indicator: object


def build(*, now: datetime | None = None, day: int = 90, theme="mensenhandel",
          title="Uitbuiting in de bouw") -> ResultWorld:
    now = now or noon_today()
    today = local(now).date()
    organisation = factories.make_organisation(name=f"Gemeente {title}")
    facilitator = factories.make_user(Role.FACILITATOR, name="Fien Facilitator")
    commissioner = factories.make_user(Role.COMMISSIONER, name="Olga Opdrachtgever", organisation=organisation)
    manager = factories.make_user(Role.MANAGER, name="Mark Manager")
    leader = factories.make_user(Role.PARTICIPANT, name="Lotte Leider", organisation=organisation)
    member = factories.make_user(Role.PARTICIPANT, name="Bram Teamlid")
    stranger = factories.make_user(Role.PARTICIPANT, name="Dirk Buitenstaander")
    lab = factories.make_lab(name=f"Field Lab {title}", facilitators=[facilitator], theme=theme)
    problem = factories.make_problem(commissioner, lab=lab, title=title, theme=theme,
                                     expertise_needed=["juridisch", "arbeidsuitbuiting"])
    factories.add_participant(lab, leader, manager=manager)
    with db.session.no_autoflush:
        team = factories.make_team(lab, members=[leader, member], name=f"Team {title[:20]}", problem=problem,
                                   starts_on=today - timedelta(days=day - 1))
    team.memberships[0].role = TeamRole.LEADER
    team.challenge.intervention_plan = "Gezamenlijke controles van onderaannemers met de Arbeidsinspectie."
    indicator = tracking.add_indicator(team.challenge, name="Gecontroleerde onderaannemers", baseline=Decimal(0),
                                     target=Decimal(30), by=leader, now=now - timedelta(days=20))
    tracking.record_indicator_value(indicator, measured_on=today - timedelta(days=3), value=Decimal(24), by=leader,
                                  now=now - timedelta(days=3))
    db.session.commit()
    return ResultWorld(now, team, leader, member, commissioner, facilitator, manager, stranger, indicator)


@pytest.fixture
def world(app, now):
    return build(now=now)


COMPLETE = {
    "goal_reached": "partly",
    "goal_explanation": "24 van de 30 onderaannemers gecontroleerd.",
    "changes": "Slachtoffers melden zich nu bij het meldpunt; de gemeente controleert samen met de inspectie.",
    "lessons": "Begin met de tolk.",
    "continuation": "De gemeente neemt het meldpunt over.",
    "owner_name": "Wim Wethouder",
    "owner_organisation": "Gemeente Eindhoven",
    "owner_email": "wim@example.org",
    "reveals_weakness": "yes",
    "weakness_summary": "Onderaanneming zonder registratie maakt uitbuiting onzichtbaar.",
}
