"""Consistent copies of the database and their restore.

SQLite: the online backup API copies a consistent snapshot while the app keeps running (WAL).
PostgreSQL: pg_dump in its custom format (a consistent snapshot by MVCC) and pg_restore --clean.

Every failure is a BackupError with a readable reason (the command prints it, no traceback). A
SQLite restore first checks that the file is an intact Fieldlab database: the backup API copies
any SQLite file, an empty one too, so a truncated or wrong file would otherwise replace every row.
"""

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump/pg_restore are called with argument lists, never a shell
from datetime import datetime
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    pass


# Tables every Fieldlab database has: a file without them is not a backup of this app.
EXPECTED_TABLES = ("user", "outbox_message")


def _sqlite_path(url) -> Path:
    return Path(url.database).resolve()


def _libpq_url(url) -> str:
    """The address for pg_dump and pg_restore without the password: a command line is readable by
    every user of the machine (`ps`), so the password goes through the environment (`_libpq_env`)."""
    return URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
                      query=url.query).render_as_string(hide_password=False)


def _libpq_env(url) -> dict[str, str]:
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return environment


def default_backup_path(app: Flask, *, now: datetime) -> Path:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    suffix = ".sqlite" if url.get_backend_name() == "sqlite" else ".pgdump"
    folder = Path(app.instance_path) / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"fieldlab-{now:%Y%m%d-%H%M%S}{suffix}"


def backup(app: Flask, destination: Path) -> Path:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    destination = Path(destination)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"{destination.parent}: {error.strerror or error}") from error
    if url.get_backend_name() == "sqlite":
        try:
            # Read-only: a missing database is an error, not a new empty file that is then "backed up".
            source = sqlite3.connect(f"{_sqlite_path(url).as_uri()}?mode=ro", uri=True)
            try:
                target = sqlite3.connect(destination)
                try:
                    with target:
                        source.backup(target)
                finally:
                    target.close()
            finally:
                source.close()
        except (OSError, sqlite3.Error) as error:
            raise BackupError(f"{destination}: {error}") from error
        return destination
    if url.get_backend_name() == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={destination}", _libpq_url(url)], _libpq_env(url))
        return destination
    raise BackupError(f"no backup method for {url.get_backend_name()}")


def restore(app: Flask, source: Path) -> None:
    """Replace the database's content with the backup's. Stop the app and scheduler first."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    source = Path(source)
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if url.get_backend_name() == "sqlite":
        backup_connection = _open_sqlite_backup(source)
        try:
            live = sqlite3.connect(_sqlite_path(url))
            try:
                with live:
                    backup_connection.backup(live)
            finally:
                live.close()
        except sqlite3.Error as error:
            raise BackupError(f"{_sqlite_path(url)}: {error}") from error
        finally:
            backup_connection.close()
        return
    if url.get_backend_name() == "postgresql":
        try:
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                  f"--dbname={_libpq_url(url)}", str(source)], _libpq_env(url))
        except BackupError as error:  # one transaction: nothing was changed
            raise BackupError(f"{source}: {error}") from error
        return
    raise BackupError(f"no restore method for {url.get_backend_name()}")


def _open_sqlite_backup(source: Path) -> sqlite3.Connection:
    """The backup, opened read-only, once it is known to be an intact Fieldlab database."""
    try:
        connection = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"{source}: {error}") from error
    try:
        check = connection.execute("PRAGMA quick_check").fetchone()[0]
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as error:
        connection.close()
        raise BackupError(f"{source} is not a SQLite database ({error})") from error
    if check != "ok":
        connection.close()
        raise BackupError(f"{source} is damaged ({check})")
    missing = [table for table in EXPECTED_TABLES if table not in tables]
    if missing:
        connection.close()
        raise BackupError(f"{source} is not a Fieldlab backup (no table {', '.join(missing)})")
    return connection


def _run(arguments: list[str], environment: dict[str, str]) -> None:
    if shutil.which(arguments[0]) is None:
        raise BackupError(f"{arguments[0]} is not installed (Debian: apt-get install postgresql-client)")
    result = subprocess.run(arguments, capture_output=True, text=True, check=False, env=environment)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{arguments[0]} failed")
