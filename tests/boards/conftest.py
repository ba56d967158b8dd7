"""A Lab with one team on a vraagstuk, and every kind of person around it."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest

from fieldlab.auth.models import Role, User
from fieldlab.boards import card_changes
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.teams.models import Team
from fieldlab.timeutil import LOCAL_ZONE, local, utcnow
from tests import factories


def noon_today() -> datetime:
    """Today at noon in Amsterdam: the routes use the real clock, so the world is built around it."""
    return datetime.combine(local(utcnow()).date(), time(12), LOCAL_ZONE).astimezone(UTC)


@pytest.fixture
def now():
    """This test's noon today (see `noon_today`); `today` follows it."""
    return noon_today()


@dataclass
class World:
    now: datetime  # the moment it was built around (noon today)
    lab: Lab
    team: Team
    other_team: Team
    member: User
    teammate: User
    facilitator: User
    commissioner: User
    manager: User
    lab_participant: User
    other_manager: User
    outsider_commissioner: User
    stranger: User

    @property
    def challenge(self):
        return self.team.challenge


def build_world(*, now: datetime | None = None, starts_on: date | None = None) -> World:
    now = now or noon_today()
    today = local(now).date()
    organisation = factories.make_organisation()
    facilitator = factories.make_user(Role.FACILITATOR, name="Fien Facilitator")
    commissioner = factories.make_user(Role.COMMISSIONER, name="Olga Opdrachtgever", organisation=organisation)
    outsider_commissioner = factories.make_user(Role.COMMISSIONER, name="Otto Anders")
    manager = factories.make_user(Role.MANAGER, name="Mark Manager")
    other_manager = factories.make_user(Role.MANAGER, name="Mila Andere Manager")
    member = factories.make_user(Role.PARTICIPANT, name="Anna Teamlid", organisation=organisation)
    teammate = factories.make_user(Role.PARTICIPANT, name="Bram Teamgenoot")
    lab_participant = factories.make_user(Role.PARTICIPANT, name="Carla Ander Team")
    stranger = factories.make_user(Role.PARTICIPANT, name="Dirk Buitenstaander")
    lab = factories.make_lab(name="Field Lab Mensenhandel", facilitators=[facilitator])
    problem = factories.make_problem(commissioner, lab=lab, title="Uitbuiting in de bouw")
    factories.add_participant(lab, member, manager=manager)
    factories.add_participant(lab, lab_participant, manager=other_manager)
    with db.session.no_autoflush:  # the factory touches lab.participations before adding the team
        team = factories.make_team(lab, members=[member, teammate], name="Team Kompas", problem=problem,
                                   starts_on=starts_on or today - timedelta(days=36))
        other_team = factories.make_team(lab, members=[lab_participant], name="Team Baken",
                                         starts_on=today - timedelta(days=36))
    db.session.flush()
    return World(now, lab, team, other_team, member, teammate, facilitator, commissioner, manager, lab_participant,
                 other_manager, outsider_commissioner, stranger)


@pytest.fixture
def world(app, now):
    built = build_world(now=now)
    db.session.commit()
    return built


@pytest.fixture
def member_client(client, auth, world):
    """The test client, logged in as a member of the team."""
    auth.login(world.member)
    return client


def add_cards(world: World, count: int, *, by=None):
    by = by or world.member
    return [card_changes.add_card(world.challenge, title=f"Actie {number}", owner_id=world.member.id,
                              due_day=(number % 100) + 1, by=by, now=world.now) for number in range(count)]


@pytest.fixture
def board_world(world):
    """The world with two cards on the team's board, committed."""
    add_cards(world, 2)
    db.session.commit()
    return world
