"""Fixtures: an app per test on a shared schema (SQLite file, or PostgreSQL when
FIELDLAB_TEST_DATABASE_URL is set), a test client that sends CSRF tokens like a browser does,
login helpers and model factories."""

import os
import socket
from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from flask import has_app_context
from flask.testing import FlaskClient
from hypothesis import settings
from itsdangerous import URLSafeTimedSerializer
from jinja2 import BytecodeCache
from sqlalchemy import text

from fieldlab import create_app, import_models
from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.timeutil import local, utcnow
from tests import factories

# Every model known before the first mapper configures, also in tests that build no app (the
# relationship Team.result names a model of a feature above teams).
import_models()

# Hypothesis: in CI ("ci", chosen when CI is set, as .ci/run and most CI services do) every run tries
# the same examples and keeps no database of failures, so a red run means a change broke something,
# never an unlucky draw. On a developer's machine ("dev") each run tries new examples and replays the
# ones that failed before (from .hypothesis/). HYPOTHESIS_PROFILE picks one by name. The tests' own
# @settings (max_examples, health checks) apply on top of the profile.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
    "ci" if os.environ.get("CI", "").lower() not in {"", "0", "false", "no"} else "dev")
settings.load_profile(HYPOTHESIS_PROFILE)

# pytest-timeout: the journeys in a real browser wait for pages, htmx and the HTML checker; on the
# shared 2-core machine under load one can take minutes, so they get more than the default.
BROWSER_TIMEOUT = 900


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(BROWSER_TIMEOUT))


def pytest_report_header(config):
    return f"hypothesis profile: {HYPOTHESIS_PROFILE}"


TEST_DATABASE_URL = os.environ.get("FIELDLAB_TEST_DATABASE_URL")
SECRET_KEY = "test-secret-key-for-fieldlab-tests-only"
CSRF_RAW_TOKEN = "test-csrf-raw-token"


def csrf_token_for(secret_key: str = SECRET_KEY, raw_token: str = CSRF_RAW_TOKEN) -> str:
    """The signed token Flask-WTF expects for the raw token in the session."""
    return URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token").dumps(raw_token)


class BrowserLikeClient(FlaskClient):
    """Sends the CSRF token with every unsafe request, as the real forms and htmx do.
    Pass `csrf=False` to send none (for the tests that check the refusal).

    Every request runs in its own app context, as on a real server: its own `g` (Flask-Login
    caches the logged-in user there, so a shared `g` would let one client's login leak into the
    next request of any other client) and its own database session (so a route that forgets to
    commit fails its test). What the test arranged in its own session is committed first."""

    def open(self, *args, csrf=True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in {"GET", "HEAD", "OPTIONS"}:
            # The token must match the session's: a page visited before may have put its own there.
            with self.session_transaction() as session:
                raw_token = session.setdefault("csrf_token", CSRF_RAW_TOKEN)
            headers = dict(kwargs.pop("headers", None) or {})
            token = csrf_token_for(self.application.config["SECRET_KEY"], raw_token)
            headers.setdefault("X-CSRFToken", token)
            kwargs["headers"] = headers
        if has_app_context():
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "fieldlab-test.sqlite")


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates shared by the apps of a test run: each test builds a new app with a new
    Jinja environment, and compiling base.html and the macros again for every test cost more than
    the tests themselves. Entries are keyed by the template's source checksum, so an edit is seen."""

    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedBytecodeCache()


def make_test_app(database_url, instance_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SERVER_NAME": "localhost",
        "BASE_URL": "http://localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SMTP_HOST": "",
        "READS_ONLY_CHECK": True,
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = BrowserLikeClient
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create the tables once per run from the models (a separate test checks the migrations)."""
    app = make_test_app(database_url, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return True


def _empty_all_tables():
    """DELETE, children first, on both databases: on PostgreSQL a TRUNCATE of every table costs
    about 0.4 s per test (new files for each table), a DELETE of a few rows about 0.02 s."""
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))


@pytest.fixture
def app_config():
    """Override in a test module (or parametrise) to change the app's configuration."""
    return {}


@pytest.fixture
def app(_schema, database_url, tmp_path, app_config):
    app = make_test_app(database_url, tmp_path / "instance", **app_config)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def now():
    """The moment this test starts (UTC, whole seconds). Read per test, never when a module is imported:
    the routes use the real clock, and a module-level reading is an hour old in a long run and
    yesterday's after midnight. A package's conftest may move it (to noon, a few minutes back)."""
    return utcnow().replace(microsecond=0)


@pytest.fixture
def today(now):
    """The date in Amsterdam at `now`: the day the routes take as today."""
    return local(now).date()


@pytest.fixture
def fresh_app(tmp_path):
    """An app on an empty SQLite database in its own instance folder, as on a fresh machine."""
    instance = tmp_path / "instance"
    app = make_test_app(f"sqlite:///{instance / 'fieldlab.sqlite'}", instance)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make():
    """The factories: `make.user(Role.FACILITATOR)`, `make.lab(...)`, `make.team(...)`."""
    return factories


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user, password=factories.PASSWORD, **kwargs):
        """Log in through the form, with the second step when the user has two-factor sign-in."""
        response = self.client.post("/inloggen", data={"email": user.email, "password": password, **kwargs})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        if response.headers["Location"].endswith("/inloggen/code"):
            response = self.client.post("/inloggen/code", data={"code": factories.totp_code_for(user)})
            assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.client.post("/uitloggen")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def login_as(app, client, auth):
    """Create a user with this role, commit, log in through the login form; returns the user."""

    def login(role: Role = Role.PARTICIPANT, **fields):
        user = factories.make_user(role, **fields)
        db.session.commit()
        auth.login(user)
        return user

    return login


class SmtpSink:
    """An aiosmtpd handler that keeps every message it receives, parsed."""

    def __init__(self):
        self.messages = []
        self.port = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """Addresses at refused.example are refused, as a real server refuses unknown mailboxes."""
        if address.endswith("@refused.example"):
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=email_policy.default)
        message.envelope_recipients = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd); `.messages` holds what arrived.
    Use it with `app_config` returning {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port}."""
    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()
