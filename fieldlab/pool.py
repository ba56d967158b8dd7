"""A cheaper guard against a restarted database than `pool_pre_ping`.

`pool_pre_ping` sends `SELECT 1` every time a request takes a connection from the pool. On
PostgreSQL that is a round trip per request: measured in-process on the 2-core development machine,
the unchanged board refresh took about 3.5 ms with it and 2.0–2.5 ms without (bench/pages.py shows
the same in requests/s). The protection it gives is needed, the round trip per request is not:

- When PostgreSQL restarts (or an administrator ends a session), the server sends the client a
  FATAL message and closes the socket. An idle pooled connection whose socket is *readable* has
  therefore been spoken to by the server, which on an idle connection only means "goodbye" (we use
  no LISTEN/NOTIFY). Asking the socket costs one `select()` call, no round trip.
- A connection that was idle longer than `DATABASE_PING_AFTER_IDLE` seconds may have been cut
  silently (a firewall, a failover that sent nothing); it gets the old `SELECT 1`.

Either way a failed ping raises DisconnectionError, and the pool replaces the connection before
the request uses it, exactly as pool_pre_ping does. SQLite has no server to restart: nothing to
check. The checks are listeners on every pool (like the SQLite pragmas in fieldlab/__init__.py),
configured per process by `configure()` from create_app.
"""

import select
import time

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

_settings = {"ping_after_idle": 30.0}


def configure(ping_after_idle: float) -> None:
    _settings["ping_after_idle"] = float(ping_after_idle)


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


def _socket_readable(dbapi_connection) -> bool:
    """True when the server sent something to an idle connection (a goodbye) or the socket is gone."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError, AttributeError):
        return True
    return bool(readable)


@event.listens_for(Pool, "connect")
def _remember_connect(dbapi_connection, connection_record):
    connection_record.info["fieldlab_idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkin")
def _remember_checkin(dbapi_connection, connection_record):
    if connection_record is not None:
        connection_record.info["fieldlab_idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _check_on_checkout(dbapi_connection, connection_record, connection_proxy):
    if _is_sqlite(dbapi_connection):
        return
    idle_since = connection_record.info.get("fieldlab_idle_since", 0.0)
    if not _socket_readable(dbapi_connection) and time.monotonic() - idle_since < _settings["ping_after_idle"]:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:
        raise DisconnectionError("the database closed this pooled connection") from error
