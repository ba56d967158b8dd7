"""The board's two most frequent requests, answered before Flask builds a request.

Every open board asks `GET /teams/<id>/bord/ververs?versie=N` every few seconds, and nearly every
answer is 204: nothing changed. Dragging a card (`POST .../kaarten/<id>/verplaatsen` from htmx) is
the board's most frequent write, and its answer is empty. Inside Flask each cost several times a
bare Flask app's request (context, routing, hooks, session, Flask-Login loading the user as an
object, WTForms, the response object) for one or a handful of indexed statements (issue #16 asks
0.60 and 0.15 of a bare app). This WSGI middleware answers those two cases itself and hands
everything else, unchanged, to the app:

- the same route (matched by the app's own URL map, so a changed rule changes both),
- the same session (read by the app's own session interface: signature, key fallbacks, age),
- the same strong session protection (`auth.services.session_identifier`, which the app's
  Flask-Login uses too),
- the same SQL check of the token, the active flag and the two-factor gate, with the right to read
  the board (`refreshing.board_unchanged`) or to change it (`card_changes.member_board`),
- for the drag, the same CSRF check as Flask-WTF's (the token from the form or the header, signed
  with the same key and salt, bound to the session, the Referer on HTTPS) and the same move
  (`card_changes.move_card_on`, in the app's context and session, so the board's lock, the SQLite
  writers' turn and the board event are the app's own),
- the same response headers as the app's answer (built once per scheme by the app's own hooks).

Any doubt (another method, no or a bad cookie or token, another browser, a remember cookie to be
set, a changed board, a card not on it, a value the move form would refuse, a database error, a
session the app would write a cookie for) goes to the app, which decides as it always did: 401,
400, 404, 422, the two-factor setup, or the new columns. The session is only read, and only a
session the app's own answer would not write either. A drag's body is read here only when it is
small and of the form's own type; the app then reads the same bytes.
"""

import hmac
from collections.abc import Mapping
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from flask_wtf.csrf import same_origin
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_cookie
from werkzeug.routing import MapAdapter

from fieldlab.auth.services import SessionLogin, session_identifier, session_login
from fieldlab.boards import card_changes
from fieldlab.boards.models import Column
from fieldlab.boards.refreshing import board_unchanged
from fieldlab.extensions import db
from fieldlab.session_cookie import SessionInterface as CookieSessions
from fieldlab.session_cookie import add_vary
from fieldlab.timeutil import utcnow
from fieldlab.web import add_security_headers, to_int

REFRESH_ENDPOINT = "boards.board_refresh"
MOVE_ENDPOINT = "boards.move_card"
VERSION_ARGUMENT = "versie"
# What a drag posts (`column`, `position`, perhaps the token) fits in far less; a larger body is
# left unread for the app.
MOVE_BODY_LIMIT = 1024
FORM_TYPE = "application/x-www-form-urlencoded"
COLUMNS = frozenset(column.value for column in Column)
# The answer to a drag, as `routes.move_card` gives it: the page refreshes its columns.
BOARD_CHANGED = "board-changed"
# Flask-WTF's own salt for its tokens (flask_wtf.csrf.generate_csrf and validate_csrf).
CSRF_SALT = "wtf-csrf-token"


class BoardShortcuts:
    """WSGI middleware around the app's own `wsgi_app` (inside ProxyFix, so it sees the address
    and scheme the app sees). `inner` is what it wraps."""

    def __init__(self, app: Flask, inner):
        self.app = app
        self.inner = inner
        # Built at the first request, in the worker: the URL map is complete then, and the engine
        # is the worker's own (not one created before gunicorn forked).
        self._adapter: MapAdapter | None = None
        self._suffixes: dict[str, str] = {}
        self._engine: Engine | None = None
        self._headers: dict[tuple[str, int], list[tuple[str, str]]] = {}
        self._csrf_serializers: dict[str | bytes, URLSafeTimedSerializer] = {}

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method == "GET" and self.unchanged(environ):
            start_response("204 NO CONTENT", self.headers(environ, 204))
            return []
        if method == "POST" and self.moved(environ):
            start_response("200 OK", self.headers(environ, 200))
            return [b""]
        return self.inner(environ, start_response)

    # --- The refresh ----------------------------------------------------------------------------

    def unchanged(self, environ) -> bool:
        """True only when the app would answer 204 too: the board is still at the caller's version
        and the session is live and may read it."""
        values = self._route(environ, REFRESH_ENDPOINT, "GET")
        if values is None:
            return False
        version = to_int(next((value for key, value in parse_qsl(environ.get("QUERY_STRING") or "",
                                                                   keep_blank_values=True)
                               if key == VERSION_ARGUMENT), None))
        if version is None:
            return False
        session = self._session(environ)
        login = self._login(environ, session)
        if login is None:
            return False
        try:
            return board_unchanged(self._database(), login, values["team_id"], version,
                                   two_factor_roles=self.app.config["TWO_FACTOR_REQUIRED_ROLES"])
        except SQLAlchemyError:
            # The app meets the same error on its own path and answers it as it answers any.
            return False

    # --- A dragged card ---------------------------------------------------------------------------

    def moved(self, environ) -> bool:
        """True when the card was moved as the app's own drag would move it (then the answer is
        the app's empty 200); False, with nothing written, for the app to decide."""
        if environ.get("HTTP_HX_REQUEST") != "true":
            return False  # the plain form: a redirect and a flash message
        values = self._route(environ, MOVE_ENDPOINT, "POST")
        if values is None or environ.get("HTTP_HX_TARGET") == f"board-card-{values['card_id']}":
            return False  # the inline form: its answer is the card itself
        fields = self._form(environ)
        if fields is None:
            return False
        column, position = fields.get("column"), fields.get("position", "")
        if column not in COLUMNS or not (position == "" or (position.isascii() and position.isdigit())):
            return False  # the form's messages are the app's
        index = int(position) - 1 if position else None
        if index is not None and index < 0:
            return False
        session = self._session(environ)
        login = self._login(environ, session)
        if login is None or not self._csrf_holds(environ, session, fields):
            return False
        return self._move(login, values["team_id"], values["card_id"], Column(column), index)

    def _form(self, environ) -> dict[str, str] | None:
        """A small urlencoded body, read once and put back for the app; each field's first value,
        as WTForms takes it. None when the body is not such a form."""
        if (environ.get("CONTENT_TYPE") or "").partition(";")[0].strip().lower() != FORM_TYPE:
            return None
        length = to_int(environ.get("CONTENT_LENGTH"))
        if length is None or length > MOVE_BODY_LIMIT:
            return None
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = BytesIO(body)
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body),
                              max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            return None
        fields: dict[str, str] = {}
        for key, value in pairs:
            fields.setdefault(key, value)
        return fields

    def _csrf_holds(self, environ, session, fields) -> bool:
        """Flask-WTF's check (`flask_wtf.csrf.CSRFProtect.protect`), which the app runs before
        every POST: a token from the form field or else a header, signed under the CSRF key with
        Flask-WTF's salt, within its time limit, for this session's own secret; over HTTPS also
        a Referer of the same origin. Only where the app checks at all: otherwise the app decides."""
        config = self.app.config
        if not (config.get("WTF_CSRF_ENABLED", True) and config.get("WTF_CSRF_CHECK_DEFAULT", True)):
            return False
        if config.get("TRUSTED_HOSTS"):
            return False  # the app's request checks the host first; the shortcut leaves that to it
        field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        secret = session.get(field)
        # Where Flask-WTF looks, in its order: the field, a prefixed field, then the headers.
        token = fields.get(field) or next(
            (value for key, value in fields.items() if key.endswith(field) and value), None) or next(
            (value for header in config.get("WTF_CSRF_HEADERS", ("X-CSRFToken", "X-CSRF-Token"))
             if (value := environ.get("HTTP_" + header.upper().replace("-", "_")))), None)
        if not isinstance(secret, str) or not token:
            return False
        key = config.get("WTF_CSRF_SECRET_KEY") or self.app.secret_key
        if not key:
            return False
        serializer = self._csrf_serializers.get(key)
        if serializer is None:
            serializer = URLSafeTimedSerializer(key, salt=CSRF_SALT)
            self._csrf_serializers = {**self._csrf_serializers, key: serializer}
        try:
            signed = serializer.loads(token, max_age=config.get("WTF_CSRF_TIME_LIMIT", 3600))
        except BadData:
            return False
        if not isinstance(signed, str) or not hmac.compare_digest(secret, signed):
            return False
        if environ.get("wsgi.url_scheme") == "https" and config.get("WTF_CSRF_SSL_STRICT", True):
            referrer, host = environ.get("HTTP_REFERER"), environ.get("HTTP_HOST")
            if not referrer or not host or not same_origin(referrer, f"https://{host}/"):
                return False
        return True

    def _move(self, login: SessionLogin, team_id: int, card_id: int, column: Column, index: int | None) -> bool:
        """The app's move in the app's context and session (the board's lock, the SQLite writers'
        turn, the event), for a live member of the team; rolled back for the app on any doubt."""
        with self.app.app_context():
            try:
                challenge_id = card_changes.member_board(
                    login, team_id, two_factor_roles=self.app.config["TWO_FACTOR_REQUIRED_ROLES"])
                if challenge_id is None:
                    return False
                moved = card_changes.move_card_on(challenge_id, card_id, column=column, position=index,
                                                  by=card_changes.Mover(login.user_id), now=utcnow())
                if moved is None:
                    db.session.rollback()
                    return False
                db.session.commit()
                return True
            except SQLAlchemyError:
                db.session.rollback()
                return False

    # --- Shared ----------------------------------------------------------------------------------

    def _session(self, environ):
        """The session the cookie carries, read as the app's session interface reads it for a
        request (its signature checked once per cookie: `session_cookie.SessionInterface.read_only`);
        None when there is none or the app would write a cookie on its answer."""
        app = self.app
        cookie = parse_cookie(environ).get(app.config["SESSION_COOKIE_NAME"])
        if not cookie:
            return None
        interface = app.session_interface
        if not isinstance(interface, CookieSessions):
            return None
        session = interface.read_only(app, cookie)
        if session is None or session.get("_permanent") or app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
            # The app would write a cookie on this answer (a permanent session's new expiry, a
            # refreshed remember cookie); the app's sessions are neither, but settings may change.
            return None
        return session

    @staticmethod
    def _login(environ, session) -> SessionLogin | None:
        return None if session is None else session_login(session, session_identifier(environ))

    def _route(self, environ, endpoint: str, method: str) -> Mapping[str, Any] | None:
        """The URL's values when it is `endpoint`'s, by the app's own URL map."""
        adapter = self._adapter
        if adapter is None:
            adapter = self._adapter = self.app.url_map.bind("localhost")
            self._suffixes = {name: self.app.url_map._rules_by_endpoint[name][0].rule.rsplit(">", 1)[-1]
                              for name in (REFRESH_ENDPOINT, MOVE_ENDPOINT)}
        path = environ.get("PATH_INFO") or ""
        # Most requests are neither: a string test before the URL map's matcher.
        if not path.endswith(self._suffixes[endpoint]):
            return None
        try:
            matched, values = adapter.match(path, method=method)
        except HTTPException:
            return None
        return values if matched == endpoint else None

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

    def headers(self, environ, status: int) -> list[tuple[str, str]]:
        """The app's own headers for a refresh's 204 or a drag's 200 (security headers, Vary, the
        drag's HX-Trigger), built once per scheme: HSTS is only sent over HTTPS; nothing else in
        them depends on the request."""
        scheme = environ.get("wsgi.url_scheme", "http")
        headers = self._headers.get((scheme, status))
        if headers is None:
            with self.app.request_context(environ):
                if status == 204:
                    response = self.app.response_class(status=204)
                else:
                    response = self.app.response_class("", status=status)
                    response.headers["HX-Trigger"] = BOARD_CHANGED
                # In the app's order: its after-request hooks, then the session's Vary.
                add_security_headers(response)
                add_vary(response.headers, "Cookie")
                headers = response.get_wsgi_headers(environ).to_wsgi_list()
            self._headers = {**self._headers, (scheme, status): headers}
        return headers


def install(app: Flask) -> None:
    """Wrap the app's `wsgi_app`; call before any proxy middleware wraps it (`fieldlab.create_app`
    installs ProxyFix last)."""
    shortcuts = BoardShortcuts(app, app.wsgi_app)
    # Flask's documented way to add a middleware (mypy sees wsgi_app as a method).
    app.wsgi_app = shortcuts  # type: ignore[method-assign]
    app.extensions["fieldlab.board_shortcuts"] = shortcuts
