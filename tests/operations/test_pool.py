"""The pool's guard against a restarted database (fieldlab/pool.py), on a real PostgreSQL: a
connection the server ended is replaced before a request uses it, without pool_pre_ping."""

import pytest
from sqlalchemy import create_engine, text

from fieldlab import pool
from fieldlab.config import DefaultConfig
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
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
    """What a restart does to every open connection: the server ends the session."""
    other = create_engine(TEST_DATABASE_URL)
    with other.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


def test_defaults_do_not_ping_per_request():
    assert "pool_pre_ping" not in DefaultConfig.SQLALCHEMY_ENGINE_OPTIONS


def test_a_healthy_connection_is_reused(engine):
    assert backend_pid(engine) == backend_pid(engine)


def test_a_connection_the_server_ended_is_replaced_before_use(engine):
    pool.configure(ping_after_idle=3600)  # only the socket check can notice
    first = backend_pid(engine)
    end_session(first)
    second = backend_pid(engine)  # without the guard: OperationalError (server closed the connection)
    assert second != first
    assert backend_pid(engine) == second
    pool.configure(ping_after_idle=DefaultConfig.DATABASE_PING_AFTER_IDLE)


def test_a_long_idle_connection_is_pinged_and_kept_when_alive(engine):
    pool.configure(ping_after_idle=0)
    try:
        first = backend_pid(engine)
        assert backend_pid(engine) == first
    finally:
        pool.configure(ping_after_idle=DefaultConfig.DATABASE_PING_AFTER_IDLE)
