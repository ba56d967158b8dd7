"""Pages that only read run without a transaction on PostgreSQL (fieldlab/reads_only.py): a marked
GET runs its statements in autocommit and hands back a normal connection; a marked view that
writes or locks fails loudly on both databases, and its POST writes as before."""

import pytest
from flask import request
from sqlalchemy import bindparam, event, func, select, text
from sqlalchemy.exc import StatementError

from fieldlab.auth.models import Role
from fieldlab.driver_sql import DriverStatement
from fieldlab.extensions import db
from fieldlab.organisations.models import Organisation
from fieldlab.reads_only import WriteInReadOnlyRequest, reads_only
from tests import factories
from tests.conftest import Auth, make_test_app


def autocommit_of_each_statement(app, call) -> list[bool]:
    """Whether the DBAPI connection was in autocommit for each statement `call()` sent."""
    seen: list[bool] = []

    def listener(connection, cursor, statement, *rest):
        seen.append(bool(connection.connection.dbapi_connection.autocommit))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def test_a_marked_page_runs_in_autocommit_on_postgresql_and_hands_back_a_normal_connection(app, database_url,
                                                                                          tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite sends no BEGIN for a read")
    participant = factories.make_user(Role.PARTICIPANT)
    db.session.commit()
    # A second app on the same database: its requests get an app context and a session of their
    # own, as each request in a server does (the `app` fixture's client shares one).
    served = make_test_app(database_url, tmp_path / "served")
    client = served.test_client()
    Auth(client).login(participant)

    def page(url):
        return lambda: client.get(url).status_code == 200 or pytest.fail(url)

    marked = autocommit_of_each_statement(served, page("/"))
    unmarked = autocommit_of_each_statement(served, page("/mijn-profiel"))
    again = autocommit_of_each_statement(served, page("/"))

    assert marked and all(marked), marked
    assert unmarked and not any(unmarked), "a page not marked ran in autocommit"
    assert again and all(again)
    with served.app_context():
        db.engine.dispose()


def test_a_marked_view_that_writes_or_locks_fails_loudly_and_its_post_writes(app, client, database_url, caplog):
    @reads_only
    def sneaky():
        if "lock" in request.args:
            db.session.execute(select(Organisation).with_for_update()).all()
        factories.make_organisation("Geschreven bij het lezen")
        db.session.commit()
        return "geschreven"

    app.add_url_rule("/test/leest-alleen", view_func=sneaky, methods=["GET", "POST"])

    assert refused(client, "/test/leest-alleen", caplog) == "INSERT"
    db.session.rollback()
    assert stored("Geschreven bij het lezen") == 0
    if database_url.startswith("postgresql"):  # SQLite has no row locks: SQLAlchemy leaves FOR UPDATE out
        assert refused(client, "/test/leest-alleen?lock=1", caplog) == "FOR UPDATE"
        db.session.rollback()

    assert client.post("/test/leest-alleen").get_data(as_text=True) == "geschreven"
    assert stored("Geschreven bij het lezen") == 1


def stored(name: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Organisation).where(Organisation.name == name))


def refused(client, url: str, caplog) -> str:
    """The error page, and what the log says was refused: INSERT or FOR UPDATE."""
    caplog.clear()
    response = client.get(url)
    assert response.status_code == 500
    errors = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert errors and isinstance(errors[0], WriteInReadOnlyRequest), caplog.text
    return "FOR UPDATE" if "FOR UPDATE" in str(errors[0]) else "INSERT" if "INSERT" in str(errors[0]) else str(errors[0])


def test_the_check_takes_statements_run_without_an_execution_context(app):
    """SQLAlchemy runs some SQL without an execution context (`Connection._cursor_execute`: the
    board refresh's `DriverStatement`, sequences, defaults); the check judges those by their text."""
    read = DriverStatement(select(Organisation.id).where(Organisation.id == bindparam("id")))
    write = text("UPDATE organisation SET name = name WHERE id = 0")
    with app.test_request_context("/"):
        request.reads_only = True
        with db.engine.connect() as connection:
            assert read.exists(connection, {"id": 0}) is False
            cursor = connection.connection.cursor()
            try:
                with pytest.raises(StatementError) as refused:  # SQLAlchemy wraps what a listener raises
                    connection._cursor_execute(cursor, str(write), ())
                assert isinstance(refused.value.orig, WriteInReadOnlyRequest)
            finally:
                cursor.close()
