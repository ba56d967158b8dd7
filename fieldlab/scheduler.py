"""The one APScheduler of a deployment.

Where it runs: in-process under `fieldlab serve` (the embedded default), or in its own process
under `fieldlab scheduler` next to any number of web workers. Never under gunicorn workers and
never under tests. A lock makes sure only one runs: a file lock in instance/ for SQLite, a
session-level PostgreSQL advisory lock otherwise. A second scheduler process waits on the lock as
a hot standby and takes over when the first one dies (its connection closes, the lock goes).

Jobs are stored in the app's database (SQLAlchemyJobStore), so they survive a restart. A job is
`run_job("<module>:<function>", *ids)`: a text reference and ids only, never ORM objects, because
the job store pickles the arguments. Missed jobs run once at start (coalesce, no grace limit).
"""

import fcntl
import importlib
import logging
import os
from datetime import UTC
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import text

from fieldlab.timeutil import utcnow

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
ADVISORY_LOCK_KEY = 0x46_4C_41_42  # "FLAB"
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}

_app: Flask | None = None
_scheduler: BackgroundScheduler | None = None


def init_app(app: Flask) -> None:
    app.extensions["fieldlab.scheduler"] = None


def create_scheduler(app: Flask) -> BackgroundScheduler:
    """A scheduler bound to the app's database; not started. Tests use it with their own clock."""
    from fieldlab.extensions import db

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
    from fieldlab.extensions import db

    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    if _app is None:
        raise RuntimeError("the scheduler was not started with an app")
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


def add_job(scheduler, job_id: str, target: str, *args, **trigger) -> None:
    """Add or replace a job with a deterministic id (`returnday:42:invite`)."""
    scheduler.add_job(run_job, id=job_id, args=(target, *args), replace_existing=True, **trigger)


def current() -> BackgroundScheduler | None:
    return _scheduler


class SchedulerLock:
    """Held for as long as this process runs the scheduler."""

    def __init__(self, app: Flask):
        self.app = app
        self._file = None
        self._connection = None

    def acquire(self, *, wait: bool) -> bool:
        from fieldlab.extensions import db

        with self.app.app_context():
            if db.engine.dialect.name == "postgresql":
                self._connection = db.engine.connect()
                if wait:
                    self._connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
                    self._connection.commit()
                    return True
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
            fcntl.flock(self._file, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
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


def register_standing_jobs(scheduler, app: Flask) -> None:
    """Jobs that always exist: draining the outbox; the nightly retention run (AVG); keeping
    return-day jobs in step with their return days (once at start, then every RETURNDAY_SYNC_INTERVAL);
    running due follow-up steps (once at start, then every FOLLOWUP_POLL_INTERVAL)."""
    add_job(scheduler, "mail:drain", "fieldlab.mail.jobs:drain_outbox", trigger="interval",
            seconds=int(app.config["MAIL_DRAIN_INTERVAL"].total_seconds()))
    add_job(scheduler, "privacy:purge", "fieldlab.privacy.jobs:purge_expired", trigger="cron", hour=3, minute=30,
            timezone="Europe/Amsterdam")
    add_job(scheduler, "returndays:sync", "fieldlab.returndays.jobs:sync_jobs", trigger="interval",
            seconds=int(app.config["RETURNDAY_SYNC_INTERVAL"].total_seconds()), next_run_time=utcnow())
    add_job(scheduler, "followups:run", "fieldlab.followups.jobs:run_due", trigger="interval",
            seconds=int(app.config["FOLLOWUP_POLL_INTERVAL"].total_seconds()), next_run_time=utcnow())


def start(app: Flask, *, wait_for_lock: bool) -> bool:
    """Start the scheduler if this process gets the lock. Returns whether it started."""
    global _app, _scheduler
    if app.testing:
        raise RuntimeError("the scheduler never runs under tests: call job bodies directly")
    lock = SchedulerLock(app)
    if not lock.acquire(wait=wait_for_lock):
        log.info("another process runs the scheduler; this one does not")
        return False
    _app = app
    _scheduler = create_scheduler(app)
    register_standing_jobs(_scheduler, app)
    _scheduler.start()
    app.extensions["fieldlab.scheduler"] = _scheduler
    app.extensions["fieldlab.scheduler_lock"] = lock
    return True


def shutdown(app: Flask) -> None:
    global _scheduler
    if _scheduler is not None:
        _scheduler.shutdown(wait=True)
        _scheduler = None
    lock = app.extensions.pop("fieldlab.scheduler_lock", None)
    if lock is not None:
        lock.release()
