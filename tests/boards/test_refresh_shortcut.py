"""The unchanged board refresh answered before Flask (`fieldlab.boards.refresh_shortcut`).

tests/boards/test_fast_refresh.py holds what the refresh answers in every case (it goes through
the shortcut and, for every doubt, through the app); this module checks what only the shortcut
can get wrong: that it really answers without Flask, with the app's own headers, the app's own
session identifier and cookie age, and that it leaves everything else to the app."""

import time
from hashlib import sha512

import itsdangerous
import pytest
from flask import request, request_started
from flask.sessions import SecureCookieSessionInterface
from flask_login.utils import _create_identifier
from sqlalchemy import text
from werkzeug.test import Client

from fieldlab.auth.services import session_identifier, session_login
from fieldlab.boards import card_changes
from fieldlab.boards.refresh_shortcut import RefreshShortcut
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


@pytest.fixture
def flask_requests(app):
    """The requests Flask itself handled (its `request_started` signal)."""
    seen = []

    def record(sender, **extra):
        seen.append((request.method, request.path))

    request_started.connect(record, app)
    yield seen
    request_started.disconnect(record, app)


def shortcut_of(app) -> RefreshShortcut:
    return app.extensions["fieldlab.refresh_shortcut"]


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
