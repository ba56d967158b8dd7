"""Fieldlab: runs Field Lab programmes from the first vraagstuk to the day-100 terugkomdag."""

import importlib
import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from fieldlab import csrf_tokens, extensions, fragments, pool, reads_only, reference_cache, scheduler, web
from fieldlab.config import DefaultConfig, environment_settings, normalise_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then the environment, then `config`."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("FIELDLAB_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(environment_settings())
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure_database_url(app)
    _configure_secret_key(app)
    pool.configure(app.config["DATABASE_PING_AFTER_IDLE"])
    _configure_sqlite(app.config["SQLITE_SYNCHRONOUS"])

    import_models()

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(PROJECT_ROOT / "migrations"),
                                render_as_batch=True)
    extensions.csrf.init_app(app)
    csrf_tokens.init_app(app)
    extensions.htmx.init_app(app)
    extensions.limiter.init_app(app)
    web.init_app(app)
    fragments.init_app(app)
    reference_cache.init_app(app)

    # Each feature's routes, hooks and labels are wired in by its own `wiring` module, not by the
    # package's `__init__`: importing a feature's models or services stays light and free of cycles,
    # and only this factory imports the wiring, once every package exists.
    for feature in FEATURES:
        importlib.import_module(f"{feature}.wiring").init_app(app)
    reads_only.init_app(app)  # its hook goes first, ahead of the login's query

    # Cycle: cli imports create_app from this module (its FlaskGroup builds the app).
    from fieldlab import cli

    cli.init_app(app)
    scheduler.init_app(app)
    web.install_proxy_fix(app)
    return app


# Feature packages, in import order (a feature uses only those above it).
FEATURES = (
    "fieldlab.auth",
    "fieldlab.organisations",
    "fieldlab.audit",
    "fieldlab.expertise",
    "fieldlab.mail",
    "fieldlab.followups",
    "fieldlab.home",
    "fieldlab.problems",
    "fieldlab.labs",
    "fieldlab.teams",
    "fieldlab.boards",
    "fieldlab.returndays",
    "fieldlab.speedlabs",
    "fieldlab.evaluations",
    "fieldlab.outcomes",
    "fieldlab.privacy",
    "fieldlab.signals",
    "fieldlab.reports",
)

MODEL_MODULES = (
    "fieldlab.organisations.models",
    "fieldlab.auth.models",
    "fieldlab.audit.models",
    "fieldlab.expertise.models",
    "fieldlab.mail.models",
    "fieldlab.followups.models",
    "fieldlab.labs.models",
    "fieldlab.problems.models",
    "fieldlab.teams.models",
    "fieldlab.boards.models",
    "fieldlab.returndays.models",
    "fieldlab.speedlabs.models",
    "fieldlab.evaluations.models",
    "fieldlab.outcomes.models",
    "fieldlab.submissions",
    "fieldlab.signals.models",
    "fieldlab.privacy.models",
)


def import_models() -> None:
    """Every table must be known before mappers configure and before Alembic compares schemas."""

    for module in MODEL_MODULES:
        importlib.import_module(module)


def _configure_database_url(app: Flask) -> None:
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = "sqlite:///" + str(Path(app.instance_path) / "fieldlab.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)


def _configure_secret_key(app: Flask) -> None:
    """Generate the secret key once into instance/ so sessions and mailed links survive a restart."""
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(48))
    app.config["SECRET_KEY"] = key_file.read_text().strip()


_SQLITE = {"synchronous": "NORMAL"}
SQLITE_SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


def _configure_sqlite(synchronous: str) -> None:
    level = str(synchronous).upper()
    if level not in SQLITE_SYNCHRONOUS_LEVELS:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS_LEVELS)}")
    _SQLITE["synchronous"] = level


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL and a busy timeout let a handful of users write at once without 'database is locked'.
    synchronous=NORMAL (SQLITE_SYNCHRONOUS): in WAL mode a commit is then written but not flushed
    to disk; the flush comes at the checkpoint. Measured, the flush was 45% of a card move's time.
    A crash of the app or the process loses nothing and the file stays consistent (SQLite's own
    advice for WAL); a power cut or OS crash may undo the last commits before the checkpoint.
    FULL flushes every commit."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute(f"PRAGMA synchronous={_SQLITE['synchronous']}")
        cursor.close()
