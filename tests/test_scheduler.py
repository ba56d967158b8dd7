"""Exactly one scheduler: a lock a second process cannot take; job bodies commit or roll back; start
and shutdown in one process (the real processes: tests/operations/test_scheduler_process.py)."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select

from fieldlab import scheduler
from fieldlab.extensions import db
from fieldlab.organisations.models import Organisation
from tests.conftest import TEST_DATABASE_URL, make_test_app
from tests.processes import assert_a_waiting_standby_stops_when_told, assert_one_lock_holder_at_a_time


def add_organisation(name: str) -> None:
    """A job body: writes, never commits (run_job does)."""
    db.session.add(Organisation(name=name, short_name=name[:60], kind="gemeente", sector="publiek"))
    db.session.flush()


def add_organisation_then_fail(name: str) -> None:
    add_organisation(name)
    raise RuntimeError("the job body failed halfway")


def organisations_named(name: str) -> int:
    db.session.rollback()  # a fresh look at what is committed
    return db.session.scalar(select(func.count()).select_from(Organisation).where(Organisation.name == name))


@pytest.fixture
def sqlite_app(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'scheduler.sqlite'}", tmp_path / "instance")
    yield app
    with app.app_context():
        db.engine.dispose()


def test_second_file_lock_on_the_same_instance_waits(sqlite_app):
    assert_one_lock_holder_at_a_time(sqlite_app)


def test_file_lock_records_the_process(sqlite_app):
    lock = scheduler.SchedulerLock(sqlite_app)
    try:
        lock.acquire(wait=False)
        with open(f"{sqlite_app.instance_path}/scheduler.lock") as file:
            assert file.read().strip().isdigit()
    finally:
        lock.release()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="FIELDLAB_TEST_DATABASE_URL is not set")
def test_second_advisory_lock_on_postgresql_waits(app):
    assert db.engine.dialect.name == "postgresql"
    assert_one_lock_holder_at_a_time(app)


def test_scheduler_never_starts_under_tests(app):
    with pytest.raises(RuntimeError):
        scheduler.start(app, wait_for_lock=False)


@pytest.fixture
def job_app(app, monkeypatch):
    """run_job runs bodies in the app the scheduler was started with."""
    monkeypatch.setattr(scheduler, "_app", app)
    return app


def test_run_job_commits_what_the_body_did(job_app):
    scheduler.run_job("tests.test_scheduler:add_organisation", "Gemeente Uit Een Job")

    assert organisations_named("Gemeente Uit Een Job") == 1


def test_run_job_rolls_back_when_the_body_raises(job_app):
    with pytest.raises(RuntimeError):
        scheduler.run_job("tests.test_scheduler:add_organisation_then_fail", "Gemeente Half")

    assert organisations_named("Gemeente Half") == 0


def test_jobs_are_stored_with_text_references_and_ids_only(app):
    jobs = scheduler.create_scheduler(app)
    scheduler.register_standing_jobs(jobs, app)
    scheduler.add_job(
        jobs,
        "returnday:42:invite",
        "fieldlab.mail.jobs:drain_outbox",
        42,
        trigger="date",
        run_date="2030-01-01T09:00:00+00:00",
    )
    jobs.start(paused=True)
    try:
        job = jobs.get_job("returnday:42:invite")
        assert job.func is scheduler.run_job
        assert job.args == ("fieldlab.mail.jobs:drain_outbox", 42)
        drain = jobs.get_job("mail:drain")
        assert drain.coalesce is True and drain.misfire_grace_time is None
        scheduler.add_job(
            jobs,
            "returnday:42:invite",
            "fieldlab.mail.jobs:drain_outbox",
            42,
            trigger="date",
            run_date="2030-01-02T09:00:00+00:00",
        )
        assert len([j for j in jobs.get_jobs() if j.id == "returnday:42:invite"]) == 1
    finally:
        jobs.shutdown(wait=False)


def wait_for_the_stop_flag(name: str) -> None:
    """A long job body: works in steps until the scheduler stops, as the pollers and the sender do."""
    while not scheduler.stopping():
        time.sleep(0.01)
    add_organisation(name)


def test_run_job_refuses_without_a_started_scheduler(app, monkeypatch):
    monkeypatch.setattr(scheduler, "_app", None)

    with pytest.raises(RuntimeError, match="not started"):
        scheduler.run_job("tests.test_scheduler:add_organisation", "Gemeente Zonder Planner")

    assert organisations_named("Gemeente Zonder Planner") == 0


def test_a_job_that_comes_due_while_the_scheduler_stops_does_not_run(job_app):
    scheduler._stop.set()
    try:
        scheduler.run_job("tests.test_scheduler:add_organisation", "Gemeente Te Laat")
    finally:
        scheduler._stop.clear()

    assert organisations_named("Gemeente Te Laat") == 0


def test_a_waiting_standby_takes_the_lock_when_it_is_freed_and_stops_when_asked(sqlite_app):
    first, second = scheduler.SchedulerLock(sqlite_app), scheduler.SchedulerLock(sqlite_app)
    stop = threading.Event()
    outcome = []
    try:
        assert first.acquire(wait=False)
        waiting = threading.Thread(target=lambda: outcome.append(second.acquire(wait=True, stop=stop, poll_seconds=0.05)))
        waiting.start()
        time.sleep(0.3)
        assert outcome == [], "the standby got a lock that was held"
        first.release()
        waiting.join(timeout=5)
        assert outcome == [True]

        assert_a_waiting_standby_stops_when_told(scheduler.SchedulerLock(sqlite_app))
    finally:
        first.release()
        second.release()


@pytest.fixture
def running_app(tmp_path, monkeypatch):
    """An app as `fieldlab scheduler` builds it (not under test), on its own SQLite file."""
    monkeypatch.setattr(scheduler, "_app", None)  # start() sets it; put back afterwards
    app = make_test_app(f"sqlite:///{tmp_path / 'running.sqlite'}", tmp_path / "instance", TESTING=False)
    with app.app_context():
        db.create_all()
    yield app
    scheduler.shutdown(app)
    with app.app_context():
        db.engine.dispose()


def test_start_takes_the_lock_registers_the_standing_jobs_and_removes_the_old_design(running_app):
    old = scheduler.create_scheduler(running_app)
    old.start(paused=True)
    scheduler.add_job(old, "returnday:42:invite", "fieldlab.mail.jobs:drain_outbox", trigger="date",
                      run_date="2030-01-01T09:00:00+00:00")
    scheduler.add_job(old, "returndays:sync", "fieldlab.mail.jobs:drain_outbox", trigger="interval", seconds=60)
    old.shutdown(wait=False)

    assert scheduler.start(running_app, wait_for_lock=False) is True

    assert {job.id for job in scheduler.current().get_jobs()} == {
        "mail:drain", "privacy:purge", "returndays:poll", "followups:run"}
    other = scheduler.SchedulerLock(running_app)
    assert other.acquire(wait=False) is False, "a running scheduler holds the lock"

    took = scheduler.shutdown(running_app)

    assert took < scheduler.STOP_WAIT_SECONDS
    assert scheduler.current() is None
    assert other.acquire(wait=False) is True, "the lock goes with the scheduler"
    other.release()


def test_a_second_start_in_the_same_instance_does_not_run_a_scheduler(running_app, tmp_path):
    assert scheduler.start(running_app, wait_for_lock=False) is True
    second = make_test_app(running_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "instance", TESTING=False)

    assert scheduler.start(second, wait_for_lock=False) is False
    assert "fieldlab.scheduler_lock" not in second.extensions
    with second.app_context():
        db.engine.dispose()


def test_shutdown_waits_for_a_running_body_to_reach_its_stopping_point(running_app):
    assert scheduler.start(running_app, wait_for_lock=False) is True
    body = threading.Thread(target=scheduler.run_job,
                            args=("tests.test_scheduler:wait_for_the_stop_flag", "Gemeente Netjes Gestopt"))
    body.start()
    time.sleep(0.2)

    took = scheduler.shutdown(running_app)

    body.join(timeout=5)
    assert not body.is_alive() and took < scheduler.STOP_WAIT_SECONDS
    with running_app.app_context():
        assert organisations_named("Gemeente Netjes Gestopt") == 1, "the body finished its step and committed"
    assert scheduler.stopping() is False, "a later start begins afresh"


def test_a_start_that_fails_after_taking_the_lock_lets_go_of_it(running_app):
    """A job table APScheduler cannot use (here: a table of that name with other columns) makes the
    start fail after the lock was taken; the standby must be able to take over, not wait forever."""
    with running_app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {scheduler.JOB_TABLE} (something_else TEXT)")

    with pytest.raises(Exception):  # noqa: B017 - whatever the job store raises
        scheduler.start(running_app, wait_for_lock=False)

    assert scheduler.current() is None
    other = scheduler.SchedulerLock(running_app)
    assert other.acquire(wait=False) is True, "the failed start let go of the lock"
    other.release()


# A signal lands at a random moment of the main thread's wait, again and again; half the waits have
# no timeout, so a wake-up lost between the flag's check and the wait would hang the loop too.
SIGNAL_STORM = """
import os, random, signal, threading
from fieldlab.scheduler import SignalStop
for round in range(400):
    stop = SignalStop()
    signal.signal(signal.SIGUSR1, lambda *_: stop.set())
    threading.Timer(random.random() * 0.002, os.kill, (os.getpid(), signal.SIGUSR1)).start()
    while not stop.wait((0, None)[round % 2]):
        pass
    stop.close()
print("stopped 400 times")
"""


def test_the_stop_flag_is_safe_to_raise_from_a_signal_handler_at_any_moment():
    """threading.Event fails this: its set() in the handler waits for the lock that the interrupted
    wait() holds, and the process hangs (it did, for a waiting `fieldlab scheduler` in CI)."""
    done = subprocess.run([sys.executable, "-c", SIGNAL_STORM], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stopped 400 times"


def test_a_signal_ends_a_waiting_standby(sqlite_app):
    holder, standby = scheduler.SchedulerLock(sqlite_app), scheduler.SchedulerLock(sqlite_app)
    stop = scheduler.SignalStop()
    previous = signal.signal(signal.SIGUSR1, lambda *_: stop.set())
    try:
        assert holder.acquire(wait=False)
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        began = time.monotonic()
        assert standby.acquire(wait=True, stop=stop, poll_seconds=30) is False
        assert time.monotonic() - began < 5, "the signal did not cut the wait between two tries short"
    finally:
        signal.signal(signal.SIGUSR1, previous)
        stop.close()
        holder.release()
        standby.release()
