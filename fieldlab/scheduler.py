"""The one APScheduler of a deployment.

Where it runs: in-process under `fieldlab serve` (the embedded default), or in its own process
under `fieldlab scheduler` next to any number of web workers. Never under gunicorn workers and
never under tests. A lock makes sure only one runs: a file lock in instance/ for SQLite, a
session-level PostgreSQL advisory lock otherwise. A second scheduler process waits on the lock as
a hot standby and takes over when the first one dies (its connection closes, the lock goes).

Jobs are stored in the app's database (SQLAlchemyJobStore), so they survive a restart. A job is
`run_job("<module>:<function>", *ids)`: a text reference and ids only, never ORM objects, because
the job store pickles the arguments. Missed jobs run once at start (coalesce, no grace limit).
Return-day steps are not jobs of their own: one poller job runs the due step rows (returndays/jobs.py).

Stopping: `shutdown` first raises a stop flag and waits until no job body runs (bodies check the
flag between steps and messages), and only then calls APScheduler's shutdown. APScheduler holds its
job-store lock while it waits for running jobs, so a body that still needed that lock (adding a job)
would otherwise wait forever, and with it the process and the lock a standby is waiting for.
"""

import fcntl
import importlib
import logging
import os
import select
import threading
import time
from datetime import UTC
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import text

from fieldlab.extensions import db
from fieldlab.timeutil import utcnow

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
ADVISORY_LOCK_KEY = 0x46_4C_41_42  # "FLAB"
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}
# Jobs of the earlier design (one APScheduler job per return-day step, mirrored by a sync).
LEGACY_JOB_PREFIXES = ("returnday:", "returndays:sync")
# How long `shutdown` waits for running bodies to reach a stopping point before it goes on anyway.
STOP_WAIT_SECONDS = 8

_app: Flask | None = None
_scheduler: BackgroundScheduler | None = None
_stop = threading.Event()
_running = threading.Condition()
_running_count = 0


def stopping() -> bool:
    """True once this process's scheduler is stopping: long job bodies return at their next step."""
    return _stop.is_set()


def init_app(app: Flask) -> None:
    app.extensions["fieldlab.scheduler"] = None


def create_scheduler(app: Flask) -> BackgroundScheduler:
    """A scheduler bound to the app's database; not started. Tests use it with their own clock."""
    with app.app_context():
        engine = db.engine
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)},
        job_defaults=JOB_DEFAULTS,
        timezone=UTC,
    )


def run_job(target: str, *args) -> None:
    """The wrapper every stored job calls: resolve the body, run it in an app context, then commit
    (or roll back on error), so a job body is written like a service call."""
    global _running_count
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    if _app is None:
        raise RuntimeError("the scheduler was not started with an app")
    with _running:
        _running_count += 1
    try:
        if stopping():
            return
        with _app.app_context():
            try:
                function(*args)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("job %s%r failed", target, args)
                raise
            finally:
                db.session.remove()
    finally:
        with _running:
            _running_count -= 1
            _running.notify_all()


def _wait_for_running_jobs(timeout: float) -> bool:
    with _running:
        return _running.wait_for(lambda: _running_count == 0, timeout=timeout)


def add_job(scheduler, job_id: str, target: str, *args, **trigger) -> None:
    """Add or replace a job with a deterministic id (`returnday:42:invite`)."""
    scheduler.add_job(run_job, id=job_id, args=(target, *args), replace_existing=True, **trigger)


def current() -> BackgroundScheduler | None:
    return _scheduler


class SignalStop:
    """A stop flag that a signal handler may raise: `fieldlab scheduler`'s SIGTERM and Ctrl+C.

    Not a threading.Event: its set() takes the lock that the main thread holds for a moment each
    time it enters or leaves wait(), and a handler runs on the main thread, so a SIGTERM landing in
    that moment waits for itself forever (a waiting standby once ignored SIGTERM in CI; a loop of
    wait(0) hangs in about half of 300 tries). Here set() takes no lock: it writes a byte to a pipe,
    and wait() is a select() on that pipe, so a signal that comes just before the select still
    wakes it."""

    def __init__(self):
        self._flag = False
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)

    def set(self) -> None:
        self._flag = True
        try:
            os.write(self._write, b"x")
        except BlockingIOError:  # the pipe is full of earlier wake-ups: the waiter wakes anyway
            pass

    def is_set(self) -> bool:
        return self._flag

    def wait(self, timeout: float | None) -> bool:
        """Until set, or `timeout` seconds (None: no limit); whether it is set."""
        if not self._flag:
            select.select([self._read], [], [], timeout)
        return self._flag

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)


class SchedulerLock:
    """Held for as long as this process runs the scheduler."""

    def __init__(self, app: Flask):
        self.app = app
        self._file = None
        self._connection = None

    def acquire(self, *, wait: bool, stop: threading.Event | SignalStop | None = None, poll_seconds: float | None = None) -> bool:
        """Take the lock. With `wait`, a hot standby: try again every `poll_seconds`
        (SCHEDULER_STANDBY_POLL) until it is free or `stop` is set. Polling rather than a blocking
        call, so SIGTERM ends a waiting standby at once too."""
        if not wait:
            return self._try_acquire()
        if poll_seconds is None:
            poll_seconds = self.app.config["SCHEDULER_STANDBY_POLL"].total_seconds()
        stop = stop or threading.Event()
        while not stop.is_set():
            if self._try_acquire():
                return True
            stop.wait(poll_seconds)
        return False

    def _try_acquire(self) -> bool:
        with self.app.app_context():
            if db.engine.dialect.name == "postgresql":
                self._connection = db.engine.connect()
                got = self._connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar()
                self._connection.commit()
                if not got:
                    self._connection.close()
                    self._connection = None
                return bool(got)
        path = Path(self.app.instance_path) / "scheduler.lock"
        self._file = open(path, "a+")  # noqa: SIM115 - held open for the process's life
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            self._file = None
            return False
        self._file.seek(0)
        self._file.truncate()
        self._file.write(str(os.getpid()))
        self._file.flush()
        return True

    def release(self) -> None:
        if self._connection is not None:
            # Unlock explicitly: close() only returns the connection to the pool, and a session-level
            # advisory lock outlives the pool's rollback, so the standby would wait forever.
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def remove_legacy_jobs(scheduler) -> list[str]:
    """Jobs of the earlier per-step design (`returnday:42:invite`, `returndays:sync`) left in the
    job store: the poller runs those steps now, so they go (run by both, a step would still be
    queued once, but it would be looked at twice)."""
    removed = [job.id for job in scheduler.get_jobs() if job.id.startswith(LEGACY_JOB_PREFIXES)]
    for job_id in removed:
        scheduler.remove_job(job_id)
    return removed


def register_standing_jobs(scheduler, app: Flask) -> None:
    """Jobs that always exist: draining the outbox; the nightly retention run (AVG); the poller
    that runs due return-day steps (at start, then every RETURNDAY_POLL_INTERVAL); the poller that
    runs due follow-up steps (at start, then every FOLLOWUP_POLL_INTERVAL)."""
    add_job(scheduler, "mail:drain", "fieldlab.mail.jobs:drain_outbox", trigger="interval",
            seconds=int(app.config["MAIL_DRAIN_INTERVAL"].total_seconds()))
    add_job(scheduler, "privacy:purge", "fieldlab.privacy.jobs:purge_expired", trigger="cron", hour=3, minute=30,
            timezone="Europe/Amsterdam")
    add_job(scheduler, "returndays:poll", "fieldlab.returndays.jobs:poll", trigger="interval",
            seconds=int(app.config["RETURNDAY_POLL_INTERVAL"].total_seconds()), next_run_time=utcnow())
    add_job(scheduler, "followups:run", "fieldlab.followups.jobs:run_due", trigger="interval",
            seconds=int(app.config["FOLLOWUP_POLL_INTERVAL"].total_seconds()), next_run_time=utcnow())


def start(app: Flask, *, wait_for_lock: bool, stop: threading.Event | SignalStop | None = None) -> bool:
    """Start the scheduler if this process gets the lock. Returns whether it started (a waiting
    standby returns False when `stop` is set before it got the lock)."""
    global _app, _scheduler
    if app.testing:
        raise RuntimeError("the scheduler never runs under tests: call job bodies directly")
    lock = SchedulerLock(app)
    if not lock.acquire(wait=wait_for_lock, stop=stop):
        log.info("another process runs the scheduler; this one does not")
        return False
    _stop.clear()
    _app = app
    try:
        _scheduler = create_scheduler(app)
        _scheduler.start(paused=True)
        remove_legacy_jobs(_scheduler)
        register_standing_jobs(_scheduler, app)
    except BaseException:
        # Whatever failed, the lock must not stay with a process that runs no scheduler: the
        # standby would wait for it forever (or until this process ends).
        if _scheduler is not None and _scheduler.running:
            _scheduler.shutdown(wait=False)
        _scheduler = None
        lock.release()
        raise
    _scheduler.resume()
    app.extensions["fieldlab.scheduler"] = _scheduler
    app.extensions["fieldlab.scheduler_lock"] = lock
    return True


def shutdown(app: Flask) -> float:
    """Stop: raise the stop flag, let running bodies reach their next stopping point, shut
    APScheduler down, release the lock (the standby takes over). Returns the seconds it took."""
    global _scheduler
    began = time.monotonic()
    _stop.set()
    if _scheduler is not None:
        _scheduler.pause()
        if not _wait_for_running_jobs(STOP_WAIT_SECONDS):
            log.warning("a job was still running after %d s; shutting down anyway", STOP_WAIT_SECONDS)
        _scheduler.shutdown(wait=True)
        _scheduler = None
    lock = app.extensions.pop("fieldlab.scheduler_lock", None)
    if lock is not None:
        lock.release()
    _stop.clear()  # nothing of this scheduler runs anymore; a later start begins afresh
    return time.monotonic() - began
