"""SQLite: a board's writers wait their turn on a file lock, not in SQLite's busy handler.

SQLite lets one transaction write at a time. A second writer waits in SQLite's busy handler, which
sleeps 1, 2, 5, 10 … ms between its tries, however soon the first one commits. Card moves are the
board's most frequent write and take a few tenths of a millisecond under the lock, so the waiting
writer mostly slept: with two gunicorn workers dragging cards on one board, the workers were idle
about 15% of the time (bench/pages.py, card move: 0.144–0.151 of a bare Flask app with the sleeps,
0.166–0.177 with this queue).

`take_turn` makes a board writer take an exclusive `flock` on a file next to the database before
it writes; the kernel hands it to the next waiter the moment the transaction ends (`_let_go`,
after commit or rollback) or its process dies. Threads and processes alike: each turn opens its
own descriptor.

No deadlock with the writers that do not take turns (everything but the board keeps SQLite's own
waiting): a transaction that has already begun to write never waits for a turn, it goes on under
SQLite's lock as before, so whoever waits for a turn holds no SQLite lock that the one whose turn
it is could be waiting for. A database that is not a plain file (in memory, a `file:` URI) or a
lock file that cannot be opened: no turns, SQLite's own waiting. PostgreSQL queues row locks
itself: nothing to do.
"""

import fcntl
import os

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_TURN = "fieldlab.sqlite_turn"


def lock_path(database: str | None) -> str | None:
    """The turn's lock file of a SQLite database file; None where there is no file to put it by."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + "-writers"


def take_turn(session: Session) -> None:
    """Wait for this transaction's turn to write (SQLite), unless it has one or has begun to write.
    Call before the transaction's first write: `boards.services.lock_board` does."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or _TURN in session.info:
        return
    if connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        return  # it writes already: it must not wait (see the module's docstring)
    path = lock_path(connection.engine.url.database)
    if path is None:
        return
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        raise
    session.info[_TURN] = descriptor


@event.listens_for(Session, "after_transaction_end")
def _let_go(session: Session, transaction: SessionTransaction) -> None:
    """The transaction ended (committed, rolled back or closed): the next writer's turn. Closing
    the only descriptor of the lock lets go of it."""
    if transaction.parent is None:
        descriptor = session.info.pop(_TURN, None)
        if descriptor is not None:
            os.close(descriptor)
