"""One module decides every access question: roles x actions as a matrix, then the object rules."""

import inspect
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from fieldlab import import_models
from fieldlab.auth import permissions
from fieldlab.auth.models import Role, User
from fieldlab.auth.permissions import actions, can
from fieldlab.extensions import db
from fieldlab.mail.services import queue_message
from fieldlab.problems.models import Confidentiality, ProblemStatus
from tests.conftest import Auth

# The rules below build users without an app: every model must be mapped first (Team refers to
# models of later features by name), as create_app would do.
import_models()

F, C, P, M = Role.FACILITATOR, Role.COMMISSIONER, Role.PARTICIPANT, Role.MANAGER

# Actions that need no object: which roles may do them. A new action fails the test below until it
# has a row here, so nobody adds a door without saying who may open it.
ROLE_MATRIX = {
    "users.manage": {F},
    "organisations.add": {F},
    "audit.view": {F},
    "outbox.view": {F},
    "labs.manage": {F},
    "problem.submit": {C},
    "problems.list": {F, C},
    "labs.list": {F, P},
    "profile.edit": {P},
    "alumni.view": {F},
    "calendar.view": {F},
    "returndays.plan": {F},
    "speedlab.manage": {F},
    "evaluations.view": {F, C},
    "evaluations.manage": {F},
    "privacy.manage": {F},
    # Alumni (participants of a Lab whose programme ended) too: see test_alumni_read_the_library.
    "library.view": {F, C},
    "signals.overview": {F},
    "signals.create": {F},
    "reports.list": {F},
    "reports.hub": {F},
}


def takes_an_object(action: str) -> bool:
    return len(inspect.signature(permissions._RULES[action]).parameters) > 1


def role_actions() -> list[str]:
    return [action for action in actions() if not takes_an_object(action)]


def test_every_action_without_object_is_in_the_matrix():
    missing = sorted(set(role_actions()) - set(ROLE_MATRIX))
    assert not missing, f"add these actions to ROLE_MATRIX with the roles that may do them: {missing}"


def person(*roles, active=True) -> User:
    """A user that is never saved: role rules look at roles and the active flag only."""
    user = User(name="Iemand", email="iemand@example.org", active=active)
    user.set_roles(roles)
    return user


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", sorted(ROLE_MATRIX))
def test_role_matrix(role, action):
    assert can(person(role), action) is (role in ROLE_MATRIX[action])


@pytest.mark.parametrize("action", sorted(ROLE_MATRIX))
def test_holding_several_roles_adds_up(action):
    assert can(person(*Role), action) is True


@pytest.mark.parametrize("action", sorted(ROLE_MATRIX))
def test_deactivated_user_with_every_role_may_do_nothing(action):
    assert can(person(*Role, active=False), action) is False


@pytest.mark.parametrize("user", [None, SimpleNamespace(is_authenticated=False, active=True)])
def test_anonymous_may_do_nothing(user):
    assert all(can(user, action) is False for action in actions())


def test_unknown_action_is_an_error_not_a_yes():
    with pytest.raises(KeyError):
        can(person(F), "board.delete_everything")


# --- Object rules ---------------------------------------------------------------------------


@pytest.fixture
def world(app, make):
    """Two Labs. Lab A: team Kompas (anna, bart) on a confidential vraagstuk, team Baken (carla) on
    an internal one; dirk takes part in Lab A without a team; eva in Lab B. Manager marco follows
    bart; opdrachtgever olga owns both vraagstukken of Lab A, her colleague otto (same organisation)
    submitted nothing; opdrachtgever petra is from another organisation."""
    gemeente = make.make_organisation("Gemeente Tilburg")
    elders = make.make_organisation("Gemeente Breda")
    people = SimpleNamespace(
        facilitator=make.make_user(F),
        anna=make.make_user(P),
        bart=make.make_user(P),
        carla=make.make_user(P),
        dirk=make.make_user(P),
        eva=make.make_user(P),
        marco=make.make_user(M),
        maud=make.make_user(M),
        olga=make.make_user(C, organisation=gemeente),
        otto=make.make_user(C, organisation=gemeente),
        petra=make.make_user(C, organisation=elders),
    )
    lab_a = make.make_lab(name="Lab A", facilitators=[people.facilitator])
    lab_b = make.make_lab(name="Lab B")
    confidential = make.make_problem(
        people.olga, lab=lab_a, status=ProblemStatus.ACCEPTED, confidentiality=Confidentiality.CONFIDENTIAL
    )
    internal = make.make_problem(people.olga, lab=lab_a, status=ProblemStatus.ACCEPTED)
    kompas = make.make_team(lab_a, members=[people.anna, people.bart], problem=confidential, name="Kompas")
    baken = make.make_team(lab_a, members=[people.carla], problem=internal, name="Baken")
    make.add_participant(lab_a, people.dirk)
    next(p for p in lab_a.participations if p.user_id == people.bart.id).manager = people.marco
    other_team = make.make_team(lab_b, members=[people.eva], name="Elders")
    draft = make.make_problem(people.olga, status=ProblemStatus.SUBMITTED)
    db.session.flush()
    return SimpleNamespace(
        lab_a=lab_a,
        lab_b=lab_b,
        kompas=kompas,
        baken=baken,
        other_team=other_team,
        confidential=confidential,
        internal=internal,
        draft=draft,
        **vars(people),
    )


def who_may(world, action, obj) -> set[str]:
    names = ["facilitator", "anna", "bart", "carla", "dirk", "eva", "marco", "maud", "olga", "otto", "petra"]
    return {name for name in names if can(getattr(world, name), action, obj)}


def test_lab_view(world):
    assert who_may(world, "lab.view", world.lab_a) == {
        "facilitator",
        "anna",
        "bart",
        "carla",
        "dirk",
        "marco",
        "olga",
    }
    assert who_may(world, "lab.view", world.lab_b) == {"facilitator", "eva"}


def test_result_is_read_like_the_board_written_by_members_judged_by_the_opdrachtgever(world):
    assert who_may(world, "result.view", world.kompas) == who_may(world, "board.view", world.kompas)
    assert who_may(world, "result.edit", world.kompas) == {"anna", "bart"}
    assert who_may(world, "result.commissioner_view", world.kompas) == {"olga"}
    assert who_may(world, "result.commissioner_view", world.other_team) == set()


def test_alumni_read_the_library_current_participants_and_managers_do_not(world, today):
    from datetime import timedelta

    assert who_may(world, "library.view", None) == {"facilitator", "olga", "otto", "petra"}
    world.lab_b.programme_ends_on = today - timedelta(days=1)
    db.session.flush()
    assert "eva" in who_may(world, "library.view", None)


def test_board_view_is_for_the_team_its_managers_and_its_opdrachtgever(world):
    assert who_may(world, "board.view", world.kompas) == {"facilitator", "anna", "bart", "marco", "olga"}
    assert who_may(world, "board.view", world.baken) == {"facilitator", "carla", "olga"}
    assert who_may(world, "board.view", world.other_team) == {"facilitator", "eva"}


def test_open_lab_shows_every_board_to_its_participants_only(world):
    world.lab_a.boards_open_to_participants = True

    assert who_may(world, "board.view", world.kompas) == {
        "facilitator",
        "anna",
        "bart",
        "carla",
        "dirk",
        "marco",
        "olga",
    }
    assert "eva" not in who_may(world, "board.view", world.baken), "a participant of another Lab"


def test_board_edit_is_for_team_members_only(world):
    world.lab_a.boards_open_to_participants = True

    assert who_may(world, "board.edit", world.kompas) == {"anna", "bart"}
    assert who_may(world, "board.edit", world.baken) == {"carla"}


def test_confidential_problem_is_seen_by_its_team_not_by_the_rest_of_the_lab(world):
    assert who_may(world, "problem.view", world.confidential) == {
        "facilitator",
        "anna",
        "bart",
        "olga",
        "otto",
    }


def test_internal_problem_is_seen_by_every_participant_of_its_lab(world):
    assert who_may(world, "problem.view", world.internal) == {
        "facilitator",
        "anna",
        "bart",
        "carla",
        "dirk",
        "olga",
        "otto",
    }


def test_problem_without_lab_is_seen_by_its_organisation_and_facilitators(world):
    assert who_may(world, "problem.view", world.draft) == {"facilitator", "olga", "otto"}


def test_problem_edit_only_by_opdrachtgevers_of_its_organisation_before_acceptance(world):
    # Colleagues of the same organisation share a draft (they may both have to work on it).
    assert who_may(world, "problem.edit", world.draft) == {"olga", "otto"}
    assert who_may(world, "problem.edit", world.internal) == set()


def test_lab_report_is_for_facilitators_its_opdrachtgevers_and_leidinggevenden(world):
    assert who_may(world, "lab_report.view", world.lab_a) == {"facilitator", "marco", "olga"}
    assert who_may(world, "lab_report.view", world.lab_b) == {"facilitator"}


def test_report_shows_a_confidential_vraagstuk_in_full_to_facilitators_only(world):
    assert who_may(world, "report.problem_details", world.confidential) == {"facilitator"}
    assert who_may(world, "report.team_details", world.kompas) == {"facilitator"}


def test_report_shows_an_internal_vraagstuk_to_who_may_open_it(world):
    assert who_may(world, "report.problem_details", world.internal) == who_may(world, "problem.view", world.internal)
    assert who_may(world, "report.team_details", world.baken) == who_may(world, "board.view", world.baken)


def test_report_shows_a_public_vraagstuk_to_every_reader(world):
    world.internal.confidentiality = Confidentiality.PUBLIC
    assert who_may(world, "report.problem_details", world.internal) == {
        "facilitator", "anna", "bart", "carla", "dirk", "eva", "marco", "maud", "olga", "otto", "petra"}


def test_deactivated_member_may_not_see_own_board(world):
    world.anna.active = False

    assert not can(world.anna, "board.view", world.kompas)
    assert not can(world.anna, "board.edit", world.kompas)


# --- Facilitator pages answer 403 to other roles and send anonymous visitors to log in ---------


def facilitator_pages(person_id: int, message_id: int) -> list[str]:
    return [
        "/accounts",
        "/accounts/uitnodigen",
        f"/accounts/{person_id}",
        "/organisaties/",
        "/logboek/",
        "/uitgaande-berichten/",
        f"/uitgaande-berichten/{message_id}",
        "/rapportages/",
        "/rapportages/hub/2025",
    ]


@pytest.fixture
def targets(app, make):
    person = make.make_user(name="Iemand")
    message = queue_message(
        key="test:permissions",
        to="iemand@example.org",
        template="password_reset",
        user=person,
        link="http://localhost/x",
        hours=2,
    )
    db.session.commit()
    return SimpleNamespace(person_id=person.id, message_id=message.id)


@pytest.mark.parametrize("role", [C, P, M])
def test_other_roles_get_403_on_facilitator_pages(client, login_as, targets, role):
    login_as(role)

    for path in facilitator_pages(targets.person_id, targets.message_id):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Geen toegang" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [C, P, M])
def test_other_roles_cannot_post_to_facilitator_actions(client, login_as, targets, role):
    login_as(role)

    assert client.post(f"/accounts/{targets.person_id}/deactiveren").status_code == 403
    assert client.post(f"/accounts/{targets.person_id}", data={"roles": ["facilitator"]}).status_code == 403
    assert (
        client.post("/organisaties/", data={"name": "X", "kind": "gemeente", "sector": "publiek"}).status_code
        == 403
    )
    person = db.session.get(User, targets.person_id)
    assert person.active and person.roles == {P}


def test_facilitator_opens_every_facilitator_page(client, login_as, targets):
    login_as(F)

    for path in facilitator_pages(targets.person_id, targets.message_id):
        assert client.get(path).status_code == 200, path


def test_anonymous_visitor_is_sent_to_login_from_facilitator_pages(client, targets):
    for path in facilitator_pages(targets.person_id, targets.message_id):
        response = client.get(path)
        assert response.status_code == 302, path
        location = urlsplit(response.location)
        assert location.path == "/inloggen"
        assert "next=" in location.query


def test_navigation_shows_facilitator_pages_only_to_facilitators(app, make):
    facilitator, participant = make.make_user(F), make.make_user(P)
    db.session.commit()
    pages = {}
    for user in (facilitator, participant):
        client = app.test_client()
        Auth(client).login(user)
        pages[user.id] = client.get("/").get_data(as_text=True)

    # The administration pages are gathered under Beheer in the menu.
    assert ">Beheer</a>" in pages[facilitator.id]
    assert ">Beheer</a>" not in pages[participant.id]
