"""SQLite's board writers wait their turn on a file lock (`fieldlab.sqlite_turns`): one at a time,
the next one as soon as a transaction ends however it ends, and never a transaction that has
already begun to write (that one would wait for a turn while holding SQLite's lock). Concurrent
moves that keep every card in its place: tests/boards/test_concurrency.py."""

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import insert

from fieldlab.extensions import db
from fieldlab.organisations.models import Organisation
from fieldlab.sqlite_turns import lock_path, take_turn


@pytest.fixture
def sqlite_only(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL queues row locks itself (see the PostgreSQL test below)")


def turn_is_free() -> bool:
    """Whether another process or thread could take the turn now (without waiting)."""
    descriptor = os.open(lock_path(db.engine.url.database), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)


def in_thread(app, body):
    """Run `body` in a thread with its own app context (its own session); return the thread."""
    def run():
        with app.app_context():
            try:
                body()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_second_writer_gets_its_turn_when_the_first_transaction_ends(app, sqlite_only):
    events = []
    first_has_turn = threading.Event()

    def second_writer():
        first_has_turn.wait(5)
        take_turn(db.session)
        events.append("second has its turn")
        db.session.rollback()

    thread = in_thread(app, second_writer)
    take_turn(db.session)
    first_has_turn.set()
    time.sleep(0.3)  # the second writer would have had its turn by now if it did not wait
    events.append("first commits")
    db.session.commit()
    thread.join(5)
    assert events == ["first commits", "second has its turn"]


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_turn_ends_with_the_transaction_however_it_ends(app, sqlite_only, end):
    assert turn_is_free()
    take_turn(db.session)
    take_turn(db.session)  # a second call in the same transaction keeps the one turn
    assert not turn_is_free()
    getattr(db.session, end)()
    assert turn_is_free()


def test_a_transaction_that_has_begun_to_write_goes_on_without_waiting_for_a_turn(app, sqlite_only):
    """The first writer has its turn but has not written yet; the second has written and then
    asks for a turn (a board change after another write). Were it to wait, the first would wait
    for SQLite's lock the second holds, and the second for the turn the first holds."""
    first_has_turn, second_done = threading.Event(), threading.Event()

    def first_writer():
        take_turn(db.session)
        first_has_turn.set()
        second_done.wait(10)
        db.session.execute(insert(Organisation).values(name="Gemeente Eerste", short_name="Eerste", kind="gemeente", sector="publiek"))
        db.session.commit()

    thread = in_thread(app, first_writer)
    assert first_has_turn.wait(5)
    db.session.execute(insert(Organisation).values(name="Gemeente Tweede", short_name="Tweede", kind="gemeente", sector="publiek"))
    started = time.monotonic()
    take_turn(db.session)
    assert time.monotonic() - started < 5  # without the rule: 20 s here, until SQLite's busy timeout
    db.session.commit()
    second_done.set()
    thread.join(10)
    assert not thread.is_alive()
    assert {"Gemeente Eerste", "Gemeente Tweede"} <= set(db.session.scalars(db.select(Organisation.name)))


WRITER_KILLED_MID_TURN = """
import sys, time
from sqlalchemy import insert
from fieldlab import create_app
from fieldlab.extensions import db
from fieldlab.organisations.models import Organisation
from fieldlab.sqlite_turns import take_turn
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "INSTANCE_PATH": sys.argv[2], "SECRET_KEY": "k" * 40})
with app.app_context():
    take_turn(db.session)
    db.session.execute(insert(Organisation).values(name="Nooit bewaard", short_name="Nooit", kind="gemeente",
                                                   sector="publiek"))
    print("writing", flush=True)
    time.sleep(60)
"""


def test_a_writer_killed_in_the_middle_of_its_turn_leaves_the_turn_and_nothing_half_written(app, sqlite_only,
                                                                                            database_url, tmp_path):
    """A worker that dies (a server stopped hard, gunicorn's timeout) while it has the turn and has
    written: the kernel lets go of its lock, SQLite of its write; the next writer goes on at once."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER_KILLED_MID_TURN, database_url, str(tmp_path / "instance")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        assert not turn_is_free()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        writer.stdout.close()
    started = time.monotonic()
    take_turn(db.session)
    db.session.execute(insert(Organisation).values(name="Gemeente Daarna", short_name="Daarna", kind="gemeente",
                                                   sector="publiek"))
    db.session.commit()
    assert time.monotonic() - started < 5  # a turn that outlived its process would wait for ever
    assert set(db.session.scalars(db.select(Organisation.name))) >= {"Gemeente Daarna"}
    assert "Nooit bewaard" not in set(db.session.scalars(db.select(Organisation.name)))


def test_a_database_that_is_no_plain_file_has_no_turns():
    assert lock_path(":memory:") is None and lock_path("") is None and lock_path(None) is None
    assert lock_path("file:/data/fieldlab.sqlite?mode=ro") is None
    assert lock_path("/srv/fieldlab/instance/fieldlab.sqlite") == "/srv/fieldlab/instance/fieldlab.sqlite-writers"


def test_postgresql_takes_no_turns(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: FIELDLAB_TEST_DATABASE_URL is not set to a PostgreSQL database")
    take_turn(db.session)
    assert not [key for key in db.session.info if "turn" in key]
