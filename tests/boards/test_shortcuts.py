"""The unchanged board refresh and a dragged card, answered before Flask (`fieldlab.boards.shortcuts`).

tests/boards/test_fast_refresh.py holds what the refresh answers in every case, and
tests/boards/test_move_and_add_forms.py what a move does (both go through the shortcut and, for
every doubt, through the app); this module checks what only the shortcut can get wrong: that it
really answers without Flask, with the app's own headers, the app's own session identifier,
cookie age and CSRF check, and that it leaves everything else to the app, the drag's body
included."""

import time
from hashlib import sha512

import itsdangerous
import pytest
from flask import request, request_started
from flask.sessions import SecureCookieSessionInterface
from flask_login.utils import _create_identifier
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from werkzeug.test import Client

from fieldlab.auth import services as auth_services
from fieldlab.auth.services import session_identifier, session_login
from fieldlab.boards import card_changes
from fieldlab.boards.models import BoardCard, BoardEvent, Challenge, EventKind
from fieldlab.boards.shortcuts import BoardShortcuts
from fieldlab.extensions import db
from tests.boards.test_fast_refresh import (
    HX,
    SESSION_COOKIE,
    logged_in_client,
    refresh_counted,
    refresh_url,
    session_cookie,
    version_of,
)
from tests.conftest import csrf_token_for


@pytest.fixture
def flask_requests(app):
    """The requests Flask itself handled (its `request_started` signal)."""
    seen = []

    def record(sender, **extra):
        seen.append((request.method, request.path))

    request_started.connect(record, app)
    yield seen
    request_started.disconnect(record, app)


def shortcut_of(app) -> BoardShortcuts:
    return app.extensions["fieldlab.board_shortcuts"]


def test_an_unchanged_refresh_never_reaches_flask_and_a_changed_one_does(app, board_world, flask_requests, now):
    client = logged_in_client(app, board_world.member)
    flask_requests.clear()
    url = refresh_url(board_world.team, version_of(board_world.team))
    response, statements = refresh_counted(client, url)
    assert response.status_code == 204
    assert len(statements) == 1
    assert flask_requests == []

    card_changes.add_card(board_world.challenge, title="Nieuwe kaart", owner_id=board_world.member.id,
                          by=board_world.member, now=now)
    db.session.commit()
    response = client.get(url, headers=HX)
    assert response.status_code == 200
    assert "Nieuwe kaart" in response.get_data(as_text=True)
    assert flask_requests == [("GET", f"/teams/{board_world.team.id}/bord/ververs")]


@pytest.mark.parametrize("method", ["HEAD", "POST", "PUT"])
def test_other_methods_go_to_the_app(app, board_world, flask_requests, method):
    client = logged_in_client(app, board_world.member)
    flask_requests.clear()
    client.open(refresh_url(board_world.team, version_of(board_world.team)), method=method, headers=HX)
    assert [seen_method for seen_method, _ in flask_requests] == [method]


@pytest.mark.parametrize("path", ["/teams/{id}/bord/ververs/", "/teams/{id}/bord", "/x/teams/{id}/bord/ververs",
                                  "/teams/99999999999/bord/ververs"])
def test_addresses_that_are_not_exactly_the_refresh_go_to_the_app(app, board_world, flask_requests, path):
    client = logged_in_client(app, board_world.member)
    flask_requests.clear()
    client.get(path.format(id=board_world.team.id) + f"?versie={version_of(board_world.team)}", headers=HX)
    assert len(flask_requests) == 1


def test_the_shortcut_sends_the_headers_of_the_apps_own_204(app, board_world):
    """The same 204 from the app itself (the wrapped `wsgi_app`, reached around the shortcut)."""
    client = logged_in_client(app, board_world.member)
    url = refresh_url(board_world.team, version_of(board_world.team))
    from_shortcut = client.get(url, headers=HX)

    around = Client(shortcut_of(app).inner)
    around.set_cookie(SESSION_COOKIE, session_cookie(client), domain="localhost")
    from_app = around.get(url, headers=HX, environ_base=client.environ_base)

    assert from_shortcut.status_code == from_app.status_code == 204
    assert sorted(from_shortcut.headers.items()) == sorted(from_app.headers.items())
    assert "Content-Security-Policy" in from_shortcut.headers
    assert "Cookie" in from_shortcut.headers["Vary"]


@pytest.mark.parametrize("app_config", [{"PROXY_FIX_HOPS": 1}])
def test_behind_a_proxy_the_shortcut_sees_the_scheme_the_app_sees(app, board_world):
    """ProxyFix wraps the shortcut, so a request that reached the proxy over HTTPS gets HSTS on
    the shortcut's 204 as on every page of the app; over plain http neither has it."""
    client = logged_in_client(app, board_world.member)
    url = refresh_url(board_world.team, version_of(board_world.team))
    secure = client.get(url, headers={**HX, "X-Forwarded-Proto": "https"})
    page = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 204
    assert secure.headers["Strict-Transport-Security"] == page.headers["Strict-Transport-Security"]
    plain = client.get(url, headers=HX)
    assert plain.status_code == 204
    assert "Strict-Transport-Security" not in plain.headers


@pytest.mark.parametrize("environ", [
    {},
    {"REMOTE_ADDR": "192.0.2.7"},
    {"REMOTE_ADDR": "192.0.2.7", "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131"},
    {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5, 10.0.0.1", "HTTP_USER_AGENT": "Firefox"},
    {"REMOTE_ADDR": "::1", "HTTP_X_FORWARDED_FOR": " 2001:db8::1 ", "HTTP_USER_AGENT": "Ünïcode-browser"},
    {"HTTP_USER_AGENT": ""},
])
def test_the_session_identifier_is_flask_logins_own(app, environ):
    """Byte for byte what Flask-Login computes, so sessions from before the change stay valid
    and an upgrade of Flask-Login that changes its identifier shows here."""
    with app.test_request_context("/", environ_base=environ):
        if "REMOTE_ADDR" not in environ:
            request.environ.pop("REMOTE_ADDR", None)
        if "HTTP_USER_AGENT" not in environ:
            request.environ.pop("HTTP_USER_AGENT", None)
        assert session_identifier(request.environ) == _create_identifier()
    assert len(session_identifier(environ)) == len(sha512().hexdigest())


def test_a_session_waiting_for_its_remember_cookie_goes_to_the_app():
    session = {"_user_id": "7:token", "_id": "abc"}
    assert session_login(session, "abc").user_id == 7
    assert session_login(session, "another browser") is None
    assert session_login({**session, "_remember": "set"}, "abc") is None
    assert session_login({"_user_id": "x:token", "_id": "abc"}, "abc") is None
    assert session_login({"_user_id": "7:", "_id": "abc"}, "abc") is None


def test_a_session_cookie_older_than_the_session_lifetime_is_refused_by_both(app, board_world, monkeypatch,
                                                                             flask_requests):
    """A cookie signed 12 hours and a minute ago (PERMANENT_SESSION_LIFETIME is 12 hours): the
    shortcut reads it with the app's own session interface, which refuses it, and the app answers
    as it does for no login at all."""
    signed_at = int(time.time()) - 12 * 3600 - 60
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: signed_at)
    client = logged_in_client(app, board_world.member)
    monkeypatch.undo()
    flask_requests.clear()
    response = client.get(refresh_url(board_world.team, version_of(board_world.team)), headers=HX)
    assert response.status_code == 401
    assert len(flask_requests) == 1

    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: signed_at + 120)
    fresh_enough = logged_in_client(app, board_world.member)
    monkeypatch.undo()
    flask_requests.clear()
    assert fresh_enough.get(refresh_url(board_world.team, version_of(board_world.team)),
                            headers=HX).status_code == 204
    assert flask_requests == []


def test_a_cookie_the_shortcut_has_read_stops_working_when_it_outlives_the_session(app, board_world, monkeypatch,
                                                                                  flask_requests):
    """The shortcut checks a cookie's signature once and keeps it; its age still counts: twelve
    hours and a minute after the login, the same open board's refresh goes to the app (401)."""
    client = logged_in_client(app, board_world.member)
    url = refresh_url(board_world.team, version_of(board_world.team))
    flask_requests.clear()
    for _ in range(3):
        assert client.get(url, headers=HX).status_code == 204
    assert flask_requests == []

    later = int(time.time()) + 12 * 3600 + 60
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: later)
    assert client.get(url, headers=HX).status_code == 401
    assert len(flask_requests) == 1


def test_with_another_session_interface_the_app_answers(app, board_world, monkeypatch, flask_requests):
    """The shortcut reads only the session it knows how to read (Fieldlab's cookie); should the
    app be given another interface, every refresh is the app's."""
    client = logged_in_client(app, board_world.member)
    monkeypatch.setattr(app, "session_interface", SecureCookieSessionInterface())
    flask_requests.clear()
    assert client.get(refresh_url(board_world.team, version_of(board_world.team)), headers=HX).status_code == 204
    assert len(flask_requests) == 1


def test_a_database_error_goes_to_the_app_which_answers_it(app, board_world, monkeypatch, flask_requests):
    """The shortcut does not answer what it could not check; the app meets the same failure and
    answers it with its own error page (here the statement fails only in the shortcut)."""
    client = logged_in_client(app, board_world.member)
    shortcut = shortcut_of(app)
    broken = db.create_engine("sqlite:///file:/nonexistent/dir/db.sqlite?mode=ro&uri=true")
    monkeypatch.setattr(shortcut, "_engine", broken)
    flask_requests.clear()
    response = client.get(refresh_url(board_world.team, version_of(board_world.team)), headers=HX)
    assert response.status_code == 204  # answered by the app's own path
    assert len(flask_requests) == 1
    broken.dispose()


@pytest.mark.parametrize("app_config", [{"REMEMBER_COOKIE_REFRESH_EACH_REQUEST": True}])
def test_when_the_app_would_refresh_the_remember_cookie_every_request_it_answers_itself(app, board_world,
                                                                                        flask_requests):
    client = logged_in_client(app, board_world.member)
    flask_requests.clear()
    response = client.get(refresh_url(board_world.team, version_of(board_world.team)), headers=HX)
    assert response.status_code == 204
    assert len(flask_requests) == 1


def test_a_permanent_session_goes_to_the_app_which_renews_its_cookie(app, board_world, flask_requests):
    """The app's sessions are not permanent; should one be, the app's answer carries the renewed
    cookie, so the shortcut must not answer in its place."""
    client = logged_in_client(app, board_world.member)
    with client.session_transaction() as session:
        session.permanent = True
    flask_requests.clear()
    response = client.get(refresh_url(board_world.team, version_of(board_world.team)), headers=HX)
    assert response.status_code == 204
    assert len(flask_requests) == 1
    assert SESSION_COOKIE in response.headers.get("Set-Cookie", "")


def test_on_postgresql_the_check_runs_without_a_transaction_and_the_pool_stays_transactional(app, board_world):
    """On PostgreSQL the shortcut's one SELECT runs in autocommit (no BEGIN, no ROLLBACK: two round
    trips fewer); the connection goes back to the shared pool transactional for everyone else."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: FIELDLAB_TEST_DATABASE_URL is not set to a PostgreSQL database")
    client = logged_in_client(app, board_world.member)
    url = refresh_url(board_world.team, version_of(board_world.team))
    assert client.get(url, headers=HX).status_code == 204
    with shortcut_of(app)._database().connect() as connection:
        assert connection.connection.driver_connection.autocommit is True
        assert connection.execute(text("select current_setting('transaction_isolation')")).scalar()
    with db.engine.connect() as connection:
        assert connection.connection.driver_connection.autocommit is False
    assert client.get(url, headers=HX).status_code == 204


# --- A dragged card ---------------------------------------------------------------------------------

def move_url(team, card_id: int) -> str:
    return f"/teams/{team.id}/bord/kaarten/{card_id}/verplaatsen"


def place_of(card_id: int) -> tuple[str, int]:
    db.session.expire_all()
    card = db.session.get(BoardCard, card_id)
    return card.column_key, card.position


def board_version(board_world) -> int:
    return db.session.scalar(select(Challenge.board_version).where(Challenge.id == board_world.challenge.id))


def last_event(board_world) -> BoardEvent:
    return db.session.scalars(select(BoardEvent).where(BoardEvent.challenge_id == board_world.challenge.id)
                              .order_by(BoardEvent.id.desc())).first()


def token_of(client) -> str:
    """The token the client's pages carry (the session's own secret, signed)."""
    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", "een-eigen-geheim")
    return csrf_token_for(client.application.config["SECRET_KEY"], raw)


@pytest.fixture
def drag_world(board_world):
    """The board's two cards, top first, both in Gepland."""
    cards = db.session.scalars(select(BoardCard).where(BoardCard.challenge_id == board_world.challenge.id)
                               .order_by(BoardCard.position)).all()
    return board_world, cards


def test_a_members_drag_never_reaches_flask_and_moves_the_card_as_the_app_does(app, drag_world, flask_requests):
    board_world, (first, second) = drag_world
    client = logged_in_client(app, board_world.member)
    version = board_version(board_world)
    flask_requests.clear()

    response = client.post(move_url(board_world.team, first.id), data={"column": "doing", "position": "1"},
                           headers=HX)
    assert response.status_code == 200 and response.data == b""
    assert response.headers["HX-Trigger"] == "board-changed"
    assert flask_requests == []
    assert place_of(first.id) == ("doing", 0) and place_of(second.id) == ("planned", 0)
    assert board_version(board_world) == version + 1
    event = last_event(board_world)
    assert (event.kind, event.actor_id, event.card_id) == (EventKind.CARD_MOVED, board_world.member.id, first.id)
    assert event.detail == {"title": first.title, "source": "planned", "target": "doing", "position": 1}

    # Back, at the bottom (no position), then to the top of its column: the app's rules for both.
    assert client.post(move_url(board_world.team, first.id), data={"column": "planned", "position": ""},
                       headers=HX).status_code == 200
    assert place_of(second.id) == ("planned", 0) and place_of(first.id) == ("planned", 1)
    assert client.post(move_url(board_world.team, first.id), data={"column": "planned", "position": "1"},
                       headers=HX).status_code == 200
    assert place_of(first.id) == ("planned", 0) and place_of(second.id) == ("planned", 1)
    assert board_version(board_world) == version + 3
    assert flask_requests == []
    # The open board sees the move on its next refresh.
    assert client.get(refresh_url(board_world.team, version), headers=HX).status_code == 200


def test_the_drags_answer_has_the_headers_of_the_apps_own(app, drag_world):
    """The same drag answered by the app itself (the wrapped `wsgi_app`, reached around the shortcut)."""
    board_world, (first, _) = drag_world
    client = logged_in_client(app, board_world.member)
    url = move_url(board_world.team, first.id)
    from_shortcut = client.post(url, data={"column": "doing", "position": "1"}, headers=HX)

    around = Client(shortcut_of(app).inner)
    around.set_cookie(SESSION_COOKIE, session_cookie(client), domain="localhost")
    from_app = around.post(url, data={"column": "planned", "position": "1"},
                           headers={**HX, "X-CSRFToken": token_of(client)}, environ_base=client.environ_base)

    assert from_shortcut.status_code == from_app.status_code == 200
    assert from_shortcut.data == from_app.data == b""
    assert sorted(from_shortcut.headers.items()) == sorted(from_app.headers.items())
    assert place_of(first.id) == ("planned", 0)
    assert last_event(board_world).actor_id == board_world.member.id


NOTHING_MOVED = None


@pytest.mark.parametrize("data, headers, status, moved", [
    ({"column": "doing", "position": "1"}, {}, 303, ("doing", 0)),  # the plain form: redirect and flash
    ({"column": "doing", "position": "1"}, "inline", 200, ("doing", 0)),  # the inline form: the card back
    ({"column": "nonsense", "position": "1"}, HX, 422, NOTHING_MOVED),
    ({"column": "doing", "position": "0"}, HX, 422, NOTHING_MOVED),
    ({"column": "doing", "position": "-1"}, HX, 422, NOTHING_MOVED),
    ({"column": "doing", "position": "een"}, HX, 422, NOTHING_MOVED),
    ({"column": "doing", "position": "\u0663"}, HX, 200, ("doing", 0)),  # a digit WTForms reads (Arabic three)
    ({"column": "doing", "position": "1", "filler": "x" * 2000}, HX, 200, ("doing", 0)),  # a large body
])
def test_what_the_drag_shortcut_does_not_take_goes_to_the_app_with_its_body(app, drag_world, flask_requests,
                                                                             data, headers, status, moved):
    """The app answers as it always did, from the same body the shortcut may have read."""
    board_world, (first, _) = drag_world
    client = logged_in_client(app, board_world.member)
    version = board_version(board_world)
    headers = {**HX, "HX-Target": f"board-card-{first.id}"} if headers == "inline" else headers
    flask_requests.clear()
    response = client.post(move_url(board_world.team, first.id), data=data, headers=headers)
    assert response.status_code == status
    assert len(flask_requests) == 1
    if moved is NOTHING_MOVED:
        assert place_of(first.id) == ("planned", 0) and board_version(board_world) == version
    else:
        assert place_of(first.id) == moved and board_version(board_world) == version + 1


def test_a_drag_posted_as_multipart_or_json_is_the_apps_to_read(app, drag_world, flask_requests):
    board_world, (first, _) = drag_world
    client = logged_in_client(app, board_world.member)
    flask_requests.clear()
    multipart = client.post(move_url(board_world.team, first.id), headers=HX, content_type="multipart/form-data",
                            data={"column": "doing", "position": "1"})
    assert multipart.status_code == 200 and place_of(first.id) == ("doing", 0)
    as_json = client.post(move_url(board_world.team, first.id), headers=HX, json={"column": "done"})
    # Flask-WTF reads a JSON body as the form: the app moves it.
    assert as_json.status_code == 200 and place_of(first.id) == ("done", 0)
    assert len(flask_requests) == 2


def test_the_first_of_two_values_counts_for_both(app, drag_world, flask_requests):
    board_world, (first, _) = drag_world
    client = logged_in_client(app, board_world.member)
    flask_requests.clear()
    response = client.post(move_url(board_world.team, first.id), headers=HX,
                           data="column=done&column=doing&position=1",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and flask_requests == []
    assert place_of(first.id) == ("done", 0)


@pytest.mark.parametrize("token", ["missing", "forged", "another session's", "signed with another key"])
def test_a_drag_without_this_sessions_token_is_refused_by_the_app_and_moves_nothing(app, drag_world,
                                                                                    flask_requests, token):
    board_world, (first, _) = drag_world
    client = logged_in_client(app, board_world.member)
    other = logged_in_client(app, board_world.teammate)
    version = board_version(board_world)
    headers = {
        "missing": {},
        "forged": {"X-CSRFToken": "vervalst"},
        "another session's": {"X-CSRFToken": csrf_token_for(app.config["SECRET_KEY"], "een-ander-geheim")},
        "signed with another key": {"X-CSRFToken": csrf_token_for("een andere sleutel", "een-eigen-geheim")},
    }[token]
    with client.session_transaction() as session:
        session["csrf_token"] = "een-eigen-geheim"
    with other.session_transaction() as session:
        session["csrf_token"] = "een-ander-geheim"
    assert other.post(move_url(board_world.team, first.id), data={"column": "blocked"}, headers={
        **HX, "X-CSRFToken": csrf_token_for(app.config["SECRET_KEY"], "een-ander-geheim")}, csrf=False).status_code == 200
    version = board_version(board_world)
    flask_requests.clear()
    response = client.post(move_url(board_world.team, first.id), data={"column": "doing", "position": "1"},
                           headers={**HX, **headers}, csrf=False)
    assert response.status_code == 400
    assert len(flask_requests) == 1
    assert place_of(first.id) == ("blocked", 0) and board_version(board_world) == version


def test_the_token_may_come_in_the_form_as_with_flask_wtf(app, drag_world, flask_requests):
    board_world, (first, _) = drag_world
    client = logged_in_client(app, board_world.member)
    flask_requests.clear()
    response = client.post(move_url(board_world.team, first.id), headers=HX, csrf=False,
                           data={"column": "doing", "position": "1", "csrf_token": token_of(client)})
    assert response.status_code == 200 and flask_requests == []
    assert place_of(first.id) == ("doing", 0)
    # As Flask-WTF: a token in the form (also under a prefixed name) counts before the header's.
    for field in ("csrf_token", "move-csrf_token"):
        refused = client.post(move_url(board_world.team, first.id), headers={**HX, "X-CSRFToken": token_of(client)},
                              csrf=False, data={"column": "done", "position": "1", field: "vervalst"})
        assert refused.status_code == 400 and place_of(first.id) == ("doing", 0)
    assert len(flask_requests) == 2


@pytest.mark.parametrize("app_config", [{"TRUSTED_HOSTS": ["localhost"]}])
def test_with_trusted_hosts_set_the_app_checks_the_host_and_answers(app, drag_world, flask_requests):
    board_world, (first, _) = drag_world
    client = logged_in_client(app, board_world.member)
    flask_requests.clear()
    response = client.post(move_url(board_world.team, first.id), data={"column": "doing", "position": "1"},
                           headers=HX)
    assert response.status_code == 200 and len(flask_requests) == 1
    assert place_of(first.id) == ("doing", 0)


@pytest.mark.parametrize("who, status", [("manager", 403), ("lab_participant", 404), ("stranger", 404)])
def test_someone_who_may_not_change_the_board_gets_the_apps_answer(app, drag_world, flask_requests, who, status):
    board_world, (first, _) = drag_world
    client = logged_in_client(app, getattr(board_world, who))
    version = board_version(board_world)
    flask_requests.clear()
    response = client.post(move_url(board_world.team, first.id), data={"column": "doing", "position": "1"},
                           headers=HX)
    assert response.status_code == status
    assert len(flask_requests) == 1
    assert place_of(first.id) == ("planned", 0) and board_version(board_world) == version


def test_a_card_of_another_board_is_not_moved_and_the_board_is_left_as_it_was(app, drag_world, flask_requests, now):
    """The shortcut finds no such card after it took the board's lock: it rolls back (the version
    it raised with the lock too) and the app answers 404."""
    board_world, _ = drag_world
    elsewhere = card_changes.add_card(board_world.other_team.challenge, title="Kaart van Baken",
                                      owner_id=board_world.lab_participant.id, by=board_world.lab_participant,
                                      now=now)
    db.session.commit()
    client = logged_in_client(app, board_world.member)
    version = board_version(board_world)
    flask_requests.clear()
    response = client.post(move_url(board_world.team, elsewhere.id), data={"column": "doing", "position": "1"},
                           headers=HX)
    assert response.status_code == 404
    assert len(flask_requests) == 1
    assert place_of(elsewhere.id) == ("planned", 0) and board_version(board_world) == version


def test_a_deactivated_members_drag_gets_the_apps_goodbye(app, drag_world, flask_requests):
    board_world, (first, _) = drag_world
    client = logged_in_client(app, board_world.member)
    auth_services.set_active(board_world.member, False, by=board_world.facilitator)
    db.session.commit()
    flask_requests.clear()
    response = client.post(move_url(board_world.team, first.id), data={"column": "doing", "position": "1"},
                           headers=HX)
    assert response.headers["HX-Redirect"] == "/account-gedeactiveerd"
    assert len(flask_requests) == 1 and place_of(first.id) == ("planned", 0)


def test_a_database_error_in_the_shortcut_leaves_the_drag_to_the_app(app, drag_world, flask_requests, monkeypatch):
    """Nothing the shortcut began stays written, and the app, reading the same body, moves the card."""
    board_world, (first, _) = drag_world
    client = logged_in_client(app, board_world.member)
    version = board_version(board_world)
    real_move = card_changes.move_card_on

    def fails_after_writing(*args, **kwargs):
        real_move(*args, **kwargs)
        raise OperationalError("UPDATE board_card", {}, Exception("de schijf is vol"))

    monkeypatch.setattr(card_changes, "move_card_on", fails_after_writing)
    flask_requests.clear()
    response = client.post(move_url(board_world.team, first.id), data={"column": "doing", "position": "1"},
                           headers=HX)
    assert len(flask_requests) == 1
    # The app met the same failure (the same function) and answered it as any database error.
    assert response.status_code == 500
    assert place_of(first.id) == ("planned", 0) and board_version(board_world) == version

    monkeypatch.setattr(card_changes, "member_board", lambda *args, **kwargs: (_ for _ in ()).throw(
        OperationalError("SELECT", {}, Exception("de verbinding viel weg"))))
    monkeypatch.setattr(card_changes, "move_card_on", real_move)
    flask_requests.clear()
    response = client.post(move_url(board_world.team, first.id), data={"column": "doing", "position": "1"},
                           headers=HX)
    assert response.status_code == 200 and len(flask_requests) == 1
    assert place_of(first.id) == ("doing", 0) and board_version(board_world) == version + 1


@pytest.mark.parametrize("app_config", [{"PROXY_FIX_HOPS": 1}])
def test_over_https_the_drag_needs_a_referrer_of_the_same_origin_as_flask_wtf_asks(app, drag_world, flask_requests):
    board_world, (first, _) = drag_world
    client = logged_in_client(app, board_world.member)
    secure = {**HX, "X-Forwarded-Proto": "https"}
    url = move_url(board_world.team, first.id)
    flask_requests.clear()
    assert client.post(url, data={"column": "doing", "position": "1"}, headers=secure).status_code == 400
    assert client.post(url, data={"column": "doing", "position": "1"},
                       headers={**secure, "Referer": "https://elders.example/bord"}).status_code == 400
    assert len(flask_requests) == 2 and place_of(first.id) == ("planned", 0)
    flask_requests.clear()
    response = client.post(url, data={"column": "doing", "position": "1"},
                           headers={**secure, "Referer": f"https://localhost/teams/{board_world.team.id}/bord"})
    assert response.status_code == 200 and flask_requests == []
    assert response.headers["Strict-Transport-Security"]
    assert place_of(first.id) == ("doing", 0)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": False}])
def test_where_the_app_checks_no_token_the_app_answers_every_drag(app, drag_world, flask_requests):
    board_world, (first, _) = drag_world
    client = logged_in_client(app, board_world.member)
    flask_requests.clear()
    response = client.post(move_url(board_world.team, first.id), data={"column": "doing", "position": "1"},
                           headers=HX)
    assert response.status_code == 200 and len(flask_requests) == 1
    assert place_of(first.id) == ("doing", 0)
