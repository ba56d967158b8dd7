"""Pages that only read run without a transaction on PostgreSQL.

psycopg opens a transaction with a BEGIN of its own, one round trip before a request's first
statement, and the request's end sends a ROLLBACK: a board page of two statements (the signed-in
user and the board) made four round trips where two did the work. In process a board page took
3.1 ms with them and 2.1 ms without. Under PostgreSQL's READ COMMITTED every statement sees a
snapshot of its own anyway, so a page that only reads answers the same in autocommit.

A view says so with `@reads_only`. For a GET or HEAD of such a view the request's connection is
taken in autocommit (PostgreSQL) before anything reads: the first before-request hook, ahead of
the login's query. A POST to the same view is not affected.

That the view only reads is checked, not trusted, in the tests (READS_ONLY_CHECK, on there): during
such a request a statement that writes or locks raises `WriteInReadOnlyRequest`, on SQLite too
(which keeps its transactions as they are: it sends no BEGIN for a read), and the tests walk every
GET route as each role on both databases. So a view that starts writing fails loudly in CI instead
of writing outside a transaction. Not in production: a listener on every statement cost SQLite 7-9%
of a page. (The tests' client shares one session across requests, whose connection is already
taken: the check still holds there, and tests/test_reads_only.py serves requests as a server does.)
"""

import re

from flask import Flask, has_request_context, request
from sqlalchemy import event

from fieldlab.extensions import db

_WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE)\b|\bFOR\s+(NO\s+KEY\s+)?UPDATE\b|"
                     r"\bFOR\s+(KEY\s+)?SHARE\b|\bpg_advisory_xact_lock", re.IGNORECASE)


class WriteInReadOnlyRequest(RuntimeError):
    """A view marked `reads_only` sent a statement that writes or locks: mark it no longer, or
    move the write to a POST."""


def reads_only(view):
    """Mark a view whose GET only reads (see the module's docstring)."""
    view.reads_only = True
    return view


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    check = app.config["READS_ONLY_CHECK"]
    autocommit = engine.dialect.name == "postgresql"
    if check:
        event.listen(engine, "before_cursor_execute", _refuse_writes)
    if not (check or autocommit):
        return  # SQLite in production: nothing to do

    def take_connection() -> None:
        if request.method not in ("GET", "HEAD"):
            return
        if not getattr(app.view_functions.get(request.endpoint or ""), "reads_only", False):
            return
        request.reads_only = True  # type: ignore[attr-defined]
        if autocommit and not db.session().in_transaction():
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

    app.before_request_funcs.setdefault(None, []).insert(0, take_connection)


def _refuse_writes(connection, cursor, statement, parameters, context, executemany):
    # SQLAlchemy runs some SQL without an execution context (`Connection._cursor_execute`: the
    # board refresh's DriverStatement, sequences, defaults): those are judged by their text alone.
    if has_request_context() and getattr(request, "reads_only", False) and (
            (context is not None and (context.isinsert or context.isupdate or context.isdelete or context.isddl))
            or _WRITES.search(statement)):
        raise WriteInReadOnlyRequest(f"a reads_only view sent: {statement[:200]}")
