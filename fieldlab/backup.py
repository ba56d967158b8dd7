"""Consistent copies of the database and their restore.

SQLite: the online backup API copies a consistent snapshot while the app keeps running (WAL).
PostgreSQL: pg_dump in its custom format (a consistent snapshot by MVCC) and pg_restore --clean.
"""

import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump/pg_restore are called with argument lists, never a shell
from datetime import datetime
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def _sqlite_path(url) -> Path:
    return Path(url.database).resolve()


def _libpq_url(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def default_backup_path(app: Flask, *, now: datetime) -> Path:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    suffix = ".sqlite" if url.get_backend_name() == "sqlite" else ".pgdump"
    folder = Path(app.instance_path) / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"fieldlab-{now:%Y%m%d-%H%M%S}{suffix}"


def backup(app: Flask, destination: Path) -> Path:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(destination)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        return destination
    if url.get_backend_name() == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={destination}", _libpq_url(url)])
        return destination
    raise BackupError(f"no backup method for {url.get_backend_name()}")


def restore(app: Flask, source: Path) -> None:
    """Replace the database's content with the backup's. Stop the app and scheduler first."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    source = Path(source)
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if url.get_backend_name() == "sqlite":
        backup_connection = sqlite3.connect(source)
        live = sqlite3.connect(_sqlite_path(url))
        try:
            with live:
                backup_connection.backup(live)
        finally:
            live.close()
            backup_connection.close()
        return
    if url.get_backend_name() == "postgresql":
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq_url(url)}", str(source)])
        return
    raise BackupError(f"no restore method for {url.get_backend_name()}")


def _run(arguments: list[str]) -> None:
    if shutil.which(arguments[0]) is None:
        raise BackupError(f"{arguments[0]} is not installed (Debian: apt-get install postgresql-client)")
    result = subprocess.run(arguments, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{arguments[0]} failed")
