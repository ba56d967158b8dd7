"""The unchanged board refresh, answered before Flask builds a request.

Every open board asks `GET /teams/<id>/bord/ververs?versie=N` every few seconds, and nearly every
answer is 204: nothing changed. Inside Flask that answer cost about four times a bare Flask app's
request (context, routing, hooks, session, Flask-Login, response object) for one indexed SQL
statement (issue #16 asks for 0.60 of a bare app). This WSGI middleware answers that case itself
and hands everything else, unchanged, to the app:

- the same route (matched by the app's own URL map, so a changed rule changes both),
- the same session (read by the app's own session interface: signature, key fallbacks, age),
- the same strong session protection (`auth.services.session_identifier`, which the app's
  Flask-Login uses too),
- the same SQL check of the token, the active flag, the two-factor gate and the right to read the
  board (`refreshing.board_unchanged`),
- the same response headers as the app's 204 (built once per scheme by the app's own hooks).

Any doubt (another method, no or a bad cookie, another browser, a remember cookie to be set, a
changed board, a database error, a session the app would write a cookie for) goes to the app,
which decides as it always did: 401, 404, the two-factor setup, or the new columns. Nothing here
writes: the session is only read, and only a session the app's own 204 would not write either.
"""

from urllib.parse import parse_qsl

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_cookie
from werkzeug.routing import MapAdapter

from fieldlab.auth.services import session_identifier, session_login
from fieldlab.boards.refreshing import board_unchanged
from fieldlab.extensions import db
from fieldlab.session_cookie import SessionInterface as CookieSessions
from fieldlab.session_cookie import add_vary
from fieldlab.web import add_security_headers, to_int

ENDPOINT = "boards.board_refresh"
VERSION_ARGUMENT = "versie"


class RefreshShortcut:
    """WSGI middleware around the app's own `wsgi_app` (inside ProxyFix, so it sees the address
    and scheme the app sees). `inner` is what it wraps."""

    def __init__(self, app: Flask, inner):
        self.app = app
        self.inner = inner
        # Built at the first request, in the worker: the URL map is complete then, and the engine
        # is the worker's own (not one created before gunicorn forked).
        self._adapter: MapAdapter | None = None
        self._path_suffix = ""
        self._engine: Engine | None = None
        self._headers: dict[str, list[tuple[str, str]]] = {}

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and self.unchanged(environ):
            start_response("204 NO CONTENT", self.headers(environ))
            return []
        return self.inner(environ, start_response)

    def unchanged(self, environ) -> bool:
        """True only when the app would answer 204 too: the board is still at the caller's version
        and the session is live and may read it."""
        team_id = self._team_id(environ.get("PATH_INFO") or "")
        if team_id is None:
            return False
        version = to_int(next((value for key, value in parse_qsl(environ.get("QUERY_STRING") or "",
                                                                   keep_blank_values=True)
                               if key == VERSION_ARGUMENT), None))
        if version is None:
            return False
        app = self.app
        cookie = parse_cookie(environ).get(app.config["SESSION_COOKIE_NAME"])
        if not cookie:
            return False
        interface = app.session_interface
        if not isinstance(interface, CookieSessions):
            return False
        # Read as the app's session interface reads it for a request, its signature checked once
        # per cookie (`session_cookie.SessionInterface.read_only`).
        session = interface.read_only(app, cookie)
        if session is None or session.get("_permanent") or app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
            # The app would write a cookie on this answer (a permanent session's new expiry, a
            # refreshed remember cookie); the app's sessions are neither, but settings may change.
            return False
        login = session_login(session, session_identifier(environ))
        if login is None:
            return False
        try:
            return board_unchanged(self._database(), login, team_id, version,
                                   two_factor_roles=app.config["TWO_FACTOR_REQUIRED_ROLES"])
        except SQLAlchemyError:
            # The app meets the same error on its own path and answers it as it answers any.
            return False

    def _team_id(self, path: str) -> int | None:
        adapter = self._adapter
        if adapter is None:
            adapter = self._adapter = self.app.url_map.bind("localhost")
            rule = self.app.url_map._rules_by_endpoint[ENDPOINT][0]
            self._path_suffix = rule.rule.rsplit(">", 1)[-1]
        # Most requests are not refreshes: a string test before the URL map's matcher.
        if not path.endswith(self._path_suffix):
            return None
        try:
            endpoint, values = adapter.match(path, method="GET")
        except HTTPException:
            return None
        return values["team_id"] if endpoint == ENDPOINT else None

    def _database(self) -> Engine:
        engine = self._engine
        if engine is None:
            with self.app.app_context():
                engine = db.engine
            if engine.dialect.name == "postgresql":
                # One SELECT needs no transaction: psycopg's BEGIN and the pool's ROLLBACK on return
                # were two more round trips to the server (measured in-process: 1.6 ms of wall time
                # and 0.56 ms of CPU per check, 0.35 and 0.25 without). Same pool; the connection's
                # isolation is set and reset on the client. On SQLite, Python's driver begins no
                # transaction for a SELECT anyway, and switching its mode per checkout cost more.
                engine = engine.execution_options(isolation_level="AUTOCOMMIT")
            self._engine = engine
        return engine

    def headers(self, environ) -> list[tuple[str, str]]:
        """The app's own 204 headers for a refresh (security headers, Vary), built once per scheme:
        HSTS is only sent over HTTPS; nothing else in them depends on the request."""
        scheme = environ.get("wsgi.url_scheme", "http")
        headers = self._headers.get(scheme)
        if headers is None:
            with self.app.request_context(environ):
                response = self.app.response_class(status=204)
                # In the app's order: its after-request hooks, then the session's Vary.
                add_security_headers(response)
                add_vary(response.headers, "Cookie")
                headers = response.get_wsgi_headers(environ).to_wsgi_list()
            self._headers = {**self._headers, scheme: headers}
        return headers


def install(app: Flask) -> None:
    """Wrap the app's `wsgi_app`; call before any proxy middleware wraps it (`fieldlab.create_app`
    installs ProxyFix last)."""
    shortcut = RefreshShortcut(app, app.wsgi_app)
    # Flask's documented way to add a middleware (mypy sees wsgi_app as a method).
    app.wsgi_app = shortcut  # type: ignore[method-assign]
    app.extensions["fieldlab.refresh_shortcut"] = shortcut
