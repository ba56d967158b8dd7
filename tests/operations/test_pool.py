"""The pool's guard against a restarted database (fieldlab/pool.py), on a real PostgreSQL: a
connection the server ended is replaced before a request uses it, without pool_pre_ping."""

import socket
import time

import pytest
from sqlalchemy import create_engine, text

from fieldlab import pool
from fieldlab.config import DefaultConfig
from tests.conftest import TEST_DATABASE_URL

needs_postgresql = pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgresql"),
    reason="needs PostgreSQL (FIELDLAB_TEST_DATABASE_URL)")


@pytest.fixture
def engine():
    engine = create_engine(TEST_DATABASE_URL, **DefaultConfig.SQLALCHEMY_ENGINE_OPTIONS)
    yield engine
    engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def end_session(pid: int) -> None:
    """What a restart does to every open connection: the server ends the session.

    The wait asks in autocommit: inside one transaction PostgreSQL answers pg_stat_activity from
    a snapshot taken at the first read, so a read that came before the backend exited kept
    showing it for the whole wait (a failure seen once in CI)."""
    other = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with other.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # pg_terminate_backend only signals; wait (bounded) until the session has really gone.
        deadline = time.monotonic() + 5
        while connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
            assert time.monotonic() < deadline, "the session did not end"
            time.sleep(0.01)
    time.sleep(0.05)  # the backend leaves pg_stat_activity just before its socket closes
    other.dispose()


def test_defaults_do_not_ping_per_request():
    assert "pool_pre_ping" not in DefaultConfig.SQLALCHEMY_ENGINE_OPTIONS


@needs_postgresql
def test_a_healthy_connection_is_reused(engine):
    assert backend_pid(engine) == backend_pid(engine)


@needs_postgresql
def test_a_connection_the_server_ended_is_replaced_before_use(engine):
    pool.configure(ping_after_idle=3600)  # only the socket check can notice
    first = backend_pid(engine)
    end_session(first)
    second = backend_pid(engine)  # without the guard: OperationalError (server closed the connection)
    assert second != first
    assert backend_pid(engine) == second
    pool.configure(ping_after_idle=DefaultConfig.DATABASE_PING_AFTER_IDLE)


@needs_postgresql
def test_a_long_idle_connection_is_pinged_and_kept_when_alive(engine):
    pool.configure(ping_after_idle=0)
    try:
        first = backend_pid(engine)
        assert backend_pid(engine) == first
    finally:
        pool.configure(ping_after_idle=DefaultConfig.DATABASE_PING_AFTER_IDLE)


def test_an_idle_socket_the_server_has_not_spoken_on_is_not_readable():
    ours, server = socket.socketpair()
    with ours, server:
        assert pool._socket_readable(ours) is False


def test_a_socket_the_server_said_goodbye_on_or_closed_is_readable():
    ours, server = socket.socketpair()
    with ours:
        server.sendall(b"E FATAL: terminating connection due to administrator command")
        server.close()
        assert pool._socket_readable(ours) is True


def test_a_connection_without_a_socket_counts_as_gone():
    ours, server = socket.socketpair()
    server.close()
    ours.close()  # fileno() is now -1: select() refuses it
    assert pool._socket_readable(ours) is True
