"""A statement asked on the driver's cursor (`fieldlab.driver_sql`) answers as SQLAlchemy's own
execution answers it, with the types' bind processors, the cursor events and SQLAlchemy's errors;
the board refresh's check (tests/boards/test_fast_refresh.py) runs on it for every kind of viewer."""

import pytest
from sqlalchemy import String, bindparam, event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from fieldlab.auth.models import Role, User, UserRole
from fieldlab.driver_sql import DriverStatement
from fieldlab.extensions import db
from tests import factories


class Lowered(TypeDecorator):
    """A type whose bind processor matters: the driver gets the value in lower case."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value.lower()


def found_by_sqlalchemy(statement, parameters) -> bool:
    with db.engine.connect() as connection:
        return connection.execute(statement, parameters).first() is not None


def found_on_the_cursor(statement: DriverStatement, parameters) -> bool:
    with db.engine.connect() as connection:
        return statement.exists(connection, parameters)


def test_it_finds_what_sqlalchemy_finds_with_the_types_bind_processors_and_the_statements_own_values(app):
    factories.make_user(Role.FACILITATOR, email="anna@example.org")
    factories.make_user(Role.PARTICIPANT, email="bram@example.org")
    db.session.commit()
    # A value of the statement's own (the role, an enum with its own processor) and given ones.
    statement = (select(User.id).join(UserRole, UserRole.user_id == User.id)
                 .where(User.email == bindparam("email", type_=Lowered), UserRole.role == Role.FACILITATOR,
                        User.active == bindparam("active")))
    driver = DriverStatement(statement)
    for email, active in [("ANNA@example.org", True), ("anna@example.org", False), ("BRAM@example.org", True),
                          ("nobody@example.org", True)]:
        parameters = {"email": email, "active": active}
        assert found_on_the_cursor(driver, parameters) is found_by_sqlalchemy(statement, parameters), parameters
    assert found_on_the_cursor(driver, {"email": "Anna@Example.org", "active": True}) is True


def test_the_cursor_events_see_the_statement(app):
    """Statement counts (the query-count tests) and the reads-only check listen to them."""
    seen = []

    def listener(connection, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        found_on_the_cursor(DriverStatement(select(User.id).where(User.id == bindparam("id"))), {"id": 1})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(seen) == 1 and seen[0].startswith("SELECT")


def test_a_driver_error_is_sqlalchemys_and_leaves_the_connection_usable(app):
    broken = DriverStatement(select(text("1")).select_from(text("no_such_table")).where(text("1 = :x"))
                             .params(x=1))
    with db.engine.connect() as connection:
        with pytest.raises(DBAPIError) as raised:
            broken.exists(connection, {})
        assert not raised.value.connection_invalidated
        connection.rollback()
        assert connection.execute(text("select 1")).scalar() == 1


def test_a_lost_connection_is_invalidated_and_the_next_one_is_new(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: a SQLite file has no server to lose the connection to")
    statement = DriverStatement(select(User.id).where(User.id == bindparam("id")))
    with db.engine.connect() as connection:
        pid = connection.execute(text("select pg_backend_pid()")).scalar()
        connection.rollback()
        with db.engine.connect() as other:
            other.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as raised:
            statement.exists(connection, {"id": 1})
        assert raised.value.connection_invalidated
    with db.engine.connect() as connection:
        assert connection.execute(text("select pg_backend_pid()")).scalar() != pid
        assert statement.exists(connection, {"id": 1}) is False


def test_an_in_list_expanded_per_execution_is_refused(app):
    statement = DriverStatement(select(User.id).where(User.id.in_(bindparam("ids", expanding=True))))
    with db.engine.connect() as connection, pytest.raises(ValueError):
        statement.exists(connection, {"ids": [1, 2]})
