"""`fieldlab scheduler` as a real process on a SQLite file, with real SMTP servers on loopback: it
takes the lock and runs due jobs; a second one started meanwhile waits and runs nothing until the
first stops; SIGTERM or Ctrl+C ends it cleanly with the jobs and the outbox kept; mail that could not
go out while SMTP was down goes out once when it is back, also after a restart."""

import signal
from types import SimpleNamespace
from urllib.request import urlopen

import pytest
from sqlalchemy import select

from fieldlab.extensions import db
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.mail.services import queue_message
from fieldlab.scheduler import SchedulerLock
from tests.conftest import free_port, make_test_app
from tests.processes import SchedulerProcess, smtp_server_on, wait_until, write_instance_config

pytestmark = pytest.mark.timeout(240)

STANDING_JOBS = {"mail:drain", "privacy:purge", "returndays:poll", "followups:run"}


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def dead_port():
    """A port nothing listens on (yet): SMTP is down."""
    return free_port()


@pytest.fixture
def deployment(instance, dead_port):
    """The deployment's database (its own SQLite file in its instance folder), seen from the test."""
    write_instance_config(instance, smtp_port=dead_port)
    app = make_test_app(f"sqlite:///{instance / 'fieldlab.sqlite'}", instance)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def processes():
    started: list[SchedulerProcess] = []
    yield started
    for process in started:
        process.kill()


def queue_mail(key: str, to: str = "daan@example.org") -> int:
    message = queue_message(key=key, to=to, template="password_reset", user=SimpleNamespace(name="Daan Visser"),
                            link="http://fieldlab.test/wachtwoord-herstellen/abc", hours=2)
    db.session.commit()
    return message.id


def outbox() -> dict[str, OutboxMessage]:
    db.session.rollback()
    db.session.expire_all()
    return {message.idempotency_key: message for message in db.session.scalars(select(OutboxMessage))}


def stored_jobs() -> dict[str, object]:
    db.session.rollback()
    rows = db.session.execute(db.text("SELECT id, next_run_time FROM apscheduler_jobs")).all()
    return dict(rows)


def test_one_scheduler_runs_jobs_the_second_waits_and_takes_over_when_the_first_stops(
        deployment, instance, dead_port, processes):
    """The first scheduler's SMTP is down, so a queued message stays due and is retried every
    second. The standby is given a working SMTP server: had it run the drain job even once, the
    message would have arrived there. It arrives only after the first stopped, and only once."""
    standby_sink, standby_smtp = smtp_server_on(free_port())
    try:
        first = SchedulerProcess(instance, "first")
        processes.append(first)
        first.wait_for("Planner gestart", timeout=60)
        second = SchedulerProcess(instance, "second", SMTP_PORT=str(standby_sink.port))
        processes.append(second)
        second.wait_for("Wachten op het planner-slot", timeout=60)
        assert (instance / "scheduler.lock").read_text().strip() == str(first.process.pid)

        queue_mail("ops:one")
        # The first runs the drain job: every try fails against the dead port and is recorded.
        tried = wait_until(lambda: outbox()["ops:one"].attempts >= 3 and outbox()["ops:one"], timeout=30,
                           what="three tries by the first scheduler")
        assert tried.status == MessageStatus.QUEUED
        assert "ConnectionRefusedError" in tried.last_error
        tries_by_first = tried.attempts
        assert standby_sink.messages == [], "the standby ran the drain job while the first held the lock"
        assert not second.said("Planner gestart")

        took = first.stop(signal.SIGTERM)
        assert first.process.returncode == 0
        assert took < 10
        assert first.said("Planner gestopt in"), first.log
        assert not any("Traceback" in line for line in first.log), first.log

        second.wait_for("Planner gestart", timeout=15)
        assert (instance / "scheduler.lock").read_text().strip() == str(second.process.pid)
        sent = wait_until(lambda: outbox()["ops:one"].status == MessageStatus.SENT and outbox()["ops:one"],
                          timeout=30, what="the standby sent the message")
        assert sent.attempts > tries_by_first  # the failed tries, then the one that went out
        assert sent.last_error == "" and sent.sending_since is None

        # A third, started now, waits; stopped while waiting it ends at once and has run nothing.
        third = SchedulerProcess(instance, "third")
        processes.append(third)
        third.wait_for("Wachten op het planner-slot", timeout=60)
        assert third.stop(signal.SIGTERM) < 10
        assert third.process.returncode == 0
        assert third.said("Gestopt voordat deze planner het slot kreeg")
        assert not third.said("Planner gestart")

        queue_mail("ops:two", to="eva@example.org")
        wait_until(lambda: outbox()["ops:two"].status == MessageStatus.SENT, timeout=30,
                   what="the second message sent by the active scheduler")
        assert second.stop(signal.SIGTERM) < 10
        assert second.process.returncode == 0
    finally:
        standby_smtp.stop()

    assert sorted(message["X-Fieldlab-Key"] for message in standby_sink.messages) == ["ops:one", "ops:two"]
    # The job store outlives the processes: the standing jobs are kept with their next run.
    jobs = stored_jobs()
    assert set(jobs) == STANDING_JOBS
    assert all(next_run is not None for next_run in jobs.values())


def test_mail_queued_while_smtp_is_down_is_retried_and_sent_once_when_it_is_back(
        deployment, instance, dead_port, processes):
    scheduler = SchedulerProcess(instance, "scheduler")
    processes.append(scheduler)
    scheduler.wait_for("Planner gestart", timeout=60)
    queue_mail("ops:down")
    wait_until(lambda: outbox()["ops:down"].attempts >= 2, timeout=30, what="two failed tries")
    failed = outbox()["ops:down"]
    assert failed.status == MessageStatus.QUEUED and "ConnectionRefusedError" in failed.last_error

    sink, controller = smtp_server_on(dead_port)  # the server is back on its address
    try:
        sent = wait_until(lambda: outbox()["ops:down"].status == MessageStatus.SENT and outbox()["ops:down"],
                          timeout=30, what="the message sent once SMTP is back")
        assert sent.last_error == ""
        assert len(sink.messages) == 1

        # Ctrl+C stops it too, at once, with the state kept.
        assert scheduler.stop(signal.SIGINT) < 10
        assert scheduler.process.returncode == 0
        assert scheduler.said("Planner gestopt in")

        # Queued while no scheduler ran: sent at the next start; the one already sent is not sent again.
        queue_mail("ops:while-stopped", to="eva@example.org")
        restarted = SchedulerProcess(instance, "restarted")
        processes.append(restarted)
        restarted.wait_for("Planner gestart", timeout=60)
        wait_until(lambda: outbox()["ops:while-stopped"].status == MessageStatus.SENT, timeout=30,
                   what="the message queued while stopped")
        assert restarted.stop(signal.SIGTERM) < 10
        assert restarted.process.returncode == 0
    finally:
        controller.stop()

    keys = [message["X-Fieldlab-Key"] for message in sink.messages]
    assert sorted(keys) == ["ops:down", "ops:while-stopped"]
    final = outbox()
    assert {key: message.status for key, message in final.items()} == {
        "ops:down": MessageStatus.SENT, "ops:while-stopped": MessageStatus.SENT}
    assert final["ops:while-stopped"].attempts == 1
    assert set(stored_jobs()) == STANDING_JOBS


def test_serve_stops_on_sigterm_as_on_ctrl_c_its_scheduler_stopped_and_its_lock_free(instance, dead_port, processes):
    """A service manager stops `fieldlab serve` with SIGTERM. Python's default would end it at
    once, in the middle of a request or a job body; it stops as with Ctrl+C instead: waitress
    finishes, the scheduler stops at a safe point, gives up its lock and keeps its jobs."""
    write_instance_config(instance, smtp_port=dead_port)
    port = free_port()
    serve = SchedulerProcess(instance, "serve", ("serve", "--port", str(port), "--no-demo"))
    processes.append(serve)
    serve.wait_for("Fieldlab draait op", timeout=90)
    assert serve.said("Planner gestart in dit proces")
    app = make_test_app(f"sqlite:///{instance / 'fieldlab.sqlite'}", instance)
    with app.app_context():
        queue_mail("ops:serve")
        wait_until(lambda: outbox()["ops:serve"].attempts >= 2, timeout=30, what="tries by serve's scheduler")
        with urlopen(f"http://127.0.0.1:{port}/inloggen", timeout=10) as page:
            assert page.status == 200

        took = serve.stop(signal.SIGTERM)

        assert serve.process.returncode == 0, serve.log
        assert took < 10
        assert serve.said("Fieldlab gestopt."), serve.log
        assert not any("Traceback" in line for line in serve.log), serve.log
        lock = SchedulerLock(app)
        assert lock.acquire(wait=False), "serve kept the scheduler's lock after it stopped"
        lock.release()
        message = outbox()["ops:serve"]
        assert message.status == MessageStatus.QUEUED and message.sending_since is None
        jobs = stored_jobs()
        assert set(jobs) == STANDING_JOBS and all(next_run is not None for next_run in jobs.values())
        db.session.remove()
        db.engine.dispose()
