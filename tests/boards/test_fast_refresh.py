"""The board refresh's cheap path: `GET /teams/<id>/bord/ververs?versie=N` answers 204 in one SQL
query, without loading the user, only when the session is still live (token, active, two-factor
gate, browser identifier) and the viewer may read the board. Every doubt falls through to the
normal path, which answers what the rest of the app would (401, 404, a 303 to the two-factor setup)."""

import itertools
from urllib.parse import unquote

import pytest
from flask import g
from sqlalchemy import and_, select

from fieldlab.auth import services as auth_services
from fieldlab.auth import twofactor
from fieldlab.auth.models import Role, User
from fieldlab.auth.permissions import can
from fieldlab.boards import card_changes, refreshing
from fieldlab.boards.models import Challenge
from fieldlab.extensions import db
from fieldlab.labs.models import Participation
from fieldlab.teams.models import Membership, Team
from fieldlab.teams.visibility import board_readers_clause
from tests import factories
from tests.boards.test_query_counts import QueryCounter
from tests.conftest import Auth

HX = {"HX-Request": "true"}
SESSION_COOKIE = "fieldlab_session"
TWO_FACTOR_SETUP = "/account/tweestapsverificatie"


def refresh_url(team, version) -> str:
    return f"/teams/{team.id}/bord/ververs?versie={version}"


def version_of(team) -> int:
    return db.session.scalar(select(Challenge.board_version).where(Challenge.team_id == team.id))


def logged_in_client(app, user):
    """A client of its own (its own cookie jar), logged in through the login form."""
    client = app.test_client()
    Auth(client).login(user)
    return client


def session_cookie(client) -> str:
    return client.get_cookie(SESSION_COOKIE).value


def client_with_cookie(app, value: str):
    """Another browser that was handed a copy of someone's session cookie."""
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, value, domain="localhost")
    return client


def refresh_counted(client, url, headers=None):
    """The response and the SQL statements of one request, as in production: nothing cached in `g`."""
    db.session.expire_all()
    g.pop("_login_user", None)
    with QueryCounter(db.engine) as counter:
        response = client.get(url, headers=headers or HX)
    return response, counter.statements


@pytest.fixture
def member_client(client, auth, board_world):
    auth.login(board_world.member)
    return client


# --- Unchanged: 204, one query ------------------------------------------------------------------

@pytest.mark.parametrize("viewer", ["member", "teammate", "manager", "commissioner", "facilitator"])
def test_unchanged_board_answers_204_with_an_empty_body_in_one_query(app, board_world, viewer):
    client = logged_in_client(app, getattr(board_world, viewer))
    response, statements = refresh_counted(client, refresh_url(board_world.team, version_of(board_world.team)))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert len(statements) == 1, statements


@pytest.mark.parametrize("viewer", ["member", "manager", "commissioner", "facilitator"])
def test_changed_board_answers_the_columns_not_204(app, board_world, viewer, now):
    client = logged_in_client(app, getattr(board_world, viewer))
    old = version_of(board_world.team)
    card_changes.add_card(board_world.challenge, title="Nieuw na het openen", owner_id=board_world.member.id,
                      by=board_world.member, now=now)
    db.session.commit()
    response = client.get(refresh_url(board_world.team, old), headers=HX)
    assert response.status_code == 200
    assert "Nieuw na het openen" in response.get_data(as_text=True)


# --- Sessions that ended -------------------------------------------------------------------------

def test_a_copied_session_cookie_works_until_logout_then_gets_401(app, client, auth, board_world):
    auth.login(board_world.member)
    copied = session_cookie(client)
    url = refresh_url(board_world.team, version_of(board_world.team))
    assert client_with_cookie(app, copied).get(url, headers=HX).status_code == 204

    assert auth.logout().status_code == 303
    response = client_with_cookie(app, copied).get(url, headers=HX)
    assert response.status_code == 401
    # Opened as a page, the address sends the browser to the login page, and from there to the
    # board (not to the bare columns fragment).
    page = client_with_cookie(app, copied).get(url)
    assert page.status_code == 302 and "/inloggen" in page.headers["Location"]
    assert unquote(page.headers["Location"]).endswith(f"next=/teams/{board_world.team.id}/bord")


def test_a_session_of_a_deactivated_user_gets_401(app, client, auth, board_world):
    auth.login(board_world.member)
    copied = session_cookie(client)
    url = refresh_url(board_world.team, version_of(board_world.team))
    auth_services.set_active(board_world.member, False, by=board_world.facilitator)
    db.session.commit()
    assert client.get(url, headers=HX).status_code == 401
    assert client_with_cookie(app, copied).get(url, headers=HX).status_code == 401


def test_inactive_flag_alone_stops_the_cheap_path_even_with_the_old_token(client, auth, board_world):
    """The SQL checks `active` itself, not only the rotated token."""
    auth.login(board_world.member)
    url = refresh_url(board_world.team, version_of(board_world.team))
    assert client.get(url, headers=HX).status_code == 204
    board_world.member.active = False  # no end_all_sessions: the token in the cookie is still current
    db.session.commit()
    assert client.get(url, headers=HX).status_code == 401


def test_a_session_from_before_a_password_change_gets_401(app, client, auth, board_world):
    auth.login(board_world.member)
    copied = session_cookie(client)
    url = refresh_url(board_world.team, version_of(board_world.team))
    auth_services.change_password(board_world.member, "een heel nieuw wachtwoord 42")
    db.session.commit()
    assert client_with_cookie(app, copied).get(url, headers=HX).status_code == 401


def test_a_session_of_an_erased_person_gets_401(client, auth, board_world, now):
    from fieldlab.privacy.erasure import anonymise

    auth.login(board_world.teammate)
    url = refresh_url(board_world.team, version_of(board_world.team))
    anonymise(board_world.teammate, now=now)
    db.session.commit()
    assert client.get(url, headers=HX).status_code == 401


def test_without_any_login_the_refresh_gets_401(client, board_world):
    assert client.get(refresh_url(board_world.team, version_of(board_world.team)), headers=HX).status_code == 401


# --- Who may read --------------------------------------------------------------------------------

@pytest.mark.parametrize("viewer", ["stranger", "outsider_commissioner", "other_manager"])
@pytest.mark.parametrize("right_version", [True, False])
def test_logged_in_outsider_gets_404_with_the_right_and_a_wrong_version(app, board_world, viewer, right_version):
    client = logged_in_client(app, getattr(board_world, viewer))
    version = version_of(board_world.team) if right_version else version_of(board_world.team) + 7
    response = client.get(refresh_url(board_world.team, version), headers=HX)
    assert response.status_code == 404
    assert "Actie 0" not in response.get_data(as_text=True)


def test_participant_of_the_same_lab_gets_404_until_boards_are_open_then_204(app, board_world):
    client = logged_in_client(app, board_world.lab_participant)
    url = refresh_url(board_world.team, version_of(board_world.team))
    assert client.get(url, headers=HX).status_code == 404
    board_world.lab.boards_open_to_participants = True
    db.session.commit()
    response, statements = refresh_counted(client, url)
    assert response.status_code == 204 and len(statements) == 1
    board_world.lab.boards_open_to_participants = False
    db.session.commit()
    assert client.get(url, headers=HX).status_code == 404


def test_a_team_member_of_another_team_gets_404_on_this_board(app, board_world):
    """The refresh is per board: being a member somewhere does not open other boards."""
    client = logged_in_client(app, board_world.lab_participant)
    assert client.get(refresh_url(board_world.other_team, version_of(board_world.other_team)),
                      headers=HX).status_code == 204
    assert client.get(refresh_url(board_world.team, version_of(board_world.team)), headers=HX).status_code == 404


def test_a_facilitator_role_taken_away_closes_the_board_on_the_next_refresh(app, board_world):
    person = factories.make_user(Role.FACILITATOR, Role.PARTICIPANT, name="Tijdelijk Facilitator")
    db.session.commit()
    client = logged_in_client(app, person)
    url = refresh_url(board_world.team, version_of(board_world.team))
    assert client.get(url, headers=HX).status_code == 204
    auth_services.change_roles(person, [Role.PARTICIPANT], by=board_world.facilitator)
    db.session.commit()
    assert client.get(url, headers=HX).status_code == 404


# --- Strong session protection -----------------------------------------------------------------

def test_the_same_cookie_from_another_browser_is_logged_out(client, auth, board_world):
    """Flask-Login's strong protection: the session's identifier is a hash of address and
    User-Agent; another User-Agent empties the session (the session is not permanent)."""
    auth.login(board_world.member)
    url = refresh_url(board_world.team, version_of(board_world.team))
    assert client.get(url, headers=HX).status_code == 204
    response = client.get(url, headers={**HX, "User-Agent": "Een andere browser/1.0"})
    assert response.status_code == 401
    # The emptied session was sent back: the original browser is logged out too.
    assert client.get(url, headers=HX).status_code == 401


def test_the_same_cookie_from_another_address_is_logged_out(app, client, auth, board_world):
    auth.login(board_world.member)
    copied = session_cookie(client)
    url = refresh_url(board_world.team, version_of(board_world.team))
    elsewhere = client_with_cookie(app, copied)
    response = elsewhere.get(url, headers=HX, environ_overrides={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 401
    # The copy stayed with the thief's client; the owner's own session is untouched.
    assert client.get(url, headers=HX).status_code == 204


# --- The two-factor gate -------------------------------------------------------------------------

def test_facilitator_without_two_factor_is_sent_to_the_setup_not_given_204(client, auth, board_world, now):
    facilitator = factories.make_user(Role.FACILITATOR, name="Nog Geen Tweestaps", two_factor=False)
    db.session.commit()
    auth.login(facilitator)
    url = refresh_url(board_world.team, version_of(board_world.team))
    for headers in (HX, {}):
        response = client.get(url, headers=headers)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(TWO_FACTOR_SETUP)
    # The same person after setting it up: the cheap path answers.
    facilitator.totp_secret = factories.TOTP_SECRET
    facilitator.totp_enabled_at = now
    db.session.commit()
    assert client.get(url, headers=HX).status_code == 204


def test_facilitator_whose_two_factor_was_switched_off_after_login_gets_the_setup(client, auth, board_world):
    auth.login(board_world.facilitator)
    url = refresh_url(board_world.team, version_of(board_world.team))
    assert client.get(url, headers=HX).status_code == 204
    board_world.facilitator.totp_enabled_at = None  # the session token stays the same
    db.session.commit()
    response = client.get(url, headers=HX)
    assert response.status_code == 303 and response.headers["Location"].endswith(TWO_FACTOR_SETUP)


@pytest.mark.parametrize("app_config", [{"TWO_FACTOR_REQUIRED_ROLES": ("facilitator", "manager")}])
def test_the_two_factor_roles_setting_is_honoured_by_the_cheap_path(client, auth, board_world):
    auth.login(board_world.manager)  # a manager without two-factor sign-in
    response = client.get(refresh_url(board_world.team, version_of(board_world.team)), headers=HX)
    assert response.status_code == 303 and response.headers["Location"].endswith(TWO_FACTOR_SETUP)


ROLE_SETTINGS = [(), ("facilitator",), ("facilitator", "manager"), tuple(role.value for role in Role)]


@pytest.mark.parametrize("required_roles", ROLE_SETTINGS)
def test_the_gate_clause_agrees_with_required_for_under_every_roles_setting(app, world, now, required_roles):
    """The clause the cheap path runs against the Python rule, for every person of the world with
    and without two-factor sign-in, under no, one, two and every required role."""
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = required_roles
    people = [world.member, world.manager, world.commissioner, world.facilitator, world.stranger]
    for with_two_factor in (False, True):
        for person in people:
            person.totp_enabled_at = now if with_two_factor else None
        db.session.commit()
        for person in people:
            in_sql = db.session.scalar(select(User.id).where(
                User.id == person.id, twofactor.gate_passed_clause(person.id, required_roles)))
            by_rule = person.has_two_factor or not twofactor.required_for(person)
            assert (in_sql is not None) == by_rule, (person.email, required_roles, with_two_factor)
    assert twofactor.required_for(world.facilitator) == ("facilitator" in required_roles)


# --- board_readers_clause agrees with can(user, "board.view", team) ------------------------------

def readable_in_sql(user) -> set[int]:
    return set(db.session.scalars(select(Team.id).where(board_readers_clause(user.id))))


def readable_by_rule(user, teams) -> set[int]:
    return {team.id for team in teams if can(user, "board.view", team)}


WORLD_VIEWERS = {
    # viewer: (may read the board with boards closed, with boards open to the Lab's participants)
    "member": (True, True),
    "teammate": (True, True),
    "manager": (True, True),
    "commissioner": (True, True),
    "facilitator": (True, True),
    "stranger": (False, False),
    "lab_participant": (False, True),
    "other_manager": (False, False),
    "outsider_commissioner": (False, False),
}


@pytest.mark.parametrize("boards_open", [False, True])
@pytest.mark.parametrize("viewer", sorted(WORLD_VIEWERS))
def test_board_readers_clause_matches_the_board_view_rule_for_every_viewer(world, viewer, boards_open):
    world.lab.boards_open_to_participants = boards_open
    db.session.commit()
    user = getattr(world, viewer)
    in_sql = db.session.scalar(select(Team.id).where(and_(Team.id == world.team.id, board_readers_clause(user.id))))
    by_rule = can(user, "board.view", world.team)
    assert (in_sql is not None) == by_rule == WORLD_VIEWERS[viewer][boards_open]


RELATIONS = ("member", "manager", "commissioner", "lab_participant", "facilitator")


@pytest.mark.parametrize("boards_open", [False, True])
def test_board_readers_clause_matches_the_rule_for_every_combination_of_relations(world, boards_open):
    """Exhaustive: for each of the 32 combinations of relations a person can have to a team, a
    team and a person with exactly those; then every person against every team in the database."""
    lab = factories.make_lab(name="Lab van alle combinaties", boards_open_to_participants=boards_open)
    world.lab.boards_open_to_participants = boards_open
    for number, flags in enumerate(itertools.product((False, True), repeat=len(RELATIONS))):
        relation = dict(zip(RELATIONS, flags, strict=True))
        viewer = factories.make_user(*([Role.FACILITATOR] if relation["facilitator"] else [Role.PARTICIPANT]),
                                     name=f"Kijker {number}")
        commissioner = viewer if relation["commissioner"] else factories.make_user(Role.COMMISSIONER)
        problem = factories.make_problem(commissioner, lab=lab)
        someone = factories.make_user(Role.PARTICIPANT)
        team = factories.make_team(lab, members=[someone], name=f"Team {number}", problem=problem)
        if relation["member"]:
            db.session.add(Membership(team=team, user=viewer))
        if relation["manager"]:
            managed = factories.make_user(Role.PARTICIPANT)
            db.session.add(Membership(team=team, user=managed))
            db.session.add(Participation(lab=lab, user=managed, manager=viewer))
        if relation["lab_participant"]:
            db.session.add(Participation(lab=lab, user=viewer))
        db.session.flush()
    # One person in two Labs with a manager in each: a manager reads only the team in their own Lab.
    both = factories.make_user(Role.PARTICIPANT, name="In Twee Labs")
    first_manager = factories.make_user(Role.MANAGER, name="Manager In Het Eerste Lab")
    second_manager = factories.make_user(Role.MANAGER, name="Manager In Het Tweede Lab")
    db.session.add(Participation(lab=world.lab, user=both, manager=first_manager))
    db.session.add(Participation(lab=lab, user=both, manager=second_manager))
    db.session.add(Membership(team=world.team, user=both))
    db.session.add(Membership(team=factories.make_team(lab, name="Team Van Twee Labs"), user=both))
    db.session.commit()
    db.session.expire_all()

    teams = db.session.scalars(select(Team)).all()
    users = db.session.scalars(select(User)).all()
    readers = 0
    for user in users:
        expected = readable_by_rule(user, teams)
        assert readable_in_sql(user) == expected, user.name
        readers += len(expected)
    assert lab.boards_open_to_participants is boards_open
    assert readers > len(users)  # not vacuous: plenty of people read some board


def test_board_unchanged_is_false_for_an_inactive_user_even_where_the_clause_lets_them_read(board_world):
    """`board_readers_clause` knows nothing of `active`; the one query of the cheap path must."""
    member = board_world.member
    login = auth_services.SessionLogin(member.id, member.session_token)
    roles = ("facilitator",)
    version = version_of(board_world.team)
    assert refreshing.board_unchanged(db.engine, login, board_world.team.id, version, two_factor_roles=roles)
    assert not refreshing.board_unchanged(db.engine, login, board_world.team.id, version + 1, two_factor_roles=roles)
    assert not refreshing.board_unchanged(db.engine, auth_services.SessionLogin(member.id, "not-the-token"),
                                        board_world.team.id, version, two_factor_roles=roles)
    member.active = False
    db.session.commit()
    still_a_reader = select(Team.id).where(Team.id == board_world.team.id, board_readers_clause(member.id))
    assert db.session.scalar(still_a_reader) == board_world.team.id
    assert not refreshing.board_unchanged(db.engine, login, board_world.team.id, version, two_factor_roles=roles)


# --- Hostile versions ------------------------------------------------------------------------------

@pytest.mark.parametrize("versie", ["99999999999999999999", "2147483648", "-1", "abc", "", "1e3", "0x10",
                                    "9" * 400, "%00", "1.5"])
def test_a_nonsense_version_never_gives_a_500_but_the_current_columns(member_client, board_world, versie):
    response = member_client.get(f"/teams/{board_world.team.id}/bord/ververs?versie={versie}", headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="board-columns"') and "Actie 0" in html


@pytest.mark.parametrize("versie", ["99999999999999999999", "abc", "-5"])
def test_a_nonsense_version_still_gets_404_for_an_outsider(app, board_world, versie):
    client = logged_in_client(app, board_world.stranger)
    response = client.get(f"/teams/{board_world.team.id}/bord/ververs?versie={versie}", headers=HX)
    assert response.status_code == 404


def test_a_board_without_a_challenge_yet_answers_204_for_version_0(app, world):
    team = factories.make_team(world.lab, members=[world.stranger], name="Team Zonder Start")
    db.session.commit()
    client = logged_in_client(app, world.stranger)
    assert client.get(refresh_url(team, 0), headers=HX).status_code == 204
    assert client.get(refresh_url(team, 3), headers=HX).status_code == 200
