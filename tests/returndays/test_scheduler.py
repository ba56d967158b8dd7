"""The return-day steps in a real APScheduler on the app's database: deterministic ids, re-timed
when the day moves, removed with the team, missed jobs run once after a restart, and two
schedulers at once still queue every message once."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.executors.debug import DebugExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import select

from fieldlab import scheduler as scheduler_module
from fieldlab.extensions import db
from fieldlab.returndays import jobs, services
from fieldlab.returndays.models import ReturnDayJob
from fieldlab.timeutil import local, utcnow
from tests.returndays.helpers import arrange_team, at, details, keys


class FakeClock:
    """The time APScheduler and the job bodies see, moved by the test."""

    def __init__(self, now):
        self.now = now


@pytest.fixture
def clock(monkeypatch):
    import apscheduler.schedulers.base as base

    fake = FakeClock(at(date(2025, 1, 6), 9))

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return fake.now.astimezone(tz) if tz else fake.now

    monkeypatch.setattr(base, "datetime", FakeDatetime)
    monkeypatch.setattr(jobs, "utcnow", lambda: fake.now)
    return fake


class SteppedScheduler(BaseScheduler):
    """APScheduler that processes due jobs only when the test says `tick()`, in the test's thread."""

    def shutdown(self, wait=True):
        super().shutdown(wait)

    def wakeup(self):
        pass

    def _create_default_executor(self):
        return DebugExecutor()

    def tick(self):
        self._process_jobs()


@pytest.fixture
def stepped(app, monkeypatch):
    monkeypatch.setattr(scheduler_module, "_app", app)
    made = []

    def make():
        scheduler = SteppedScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=db.engine, tablename=scheduler_module.JOB_TABLE)},
            job_defaults=scheduler_module.JOB_DEFAULTS, timezone=UTC)
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        if scheduler.running:
            scheduler.shutdown()


def _plan_day_50(now):
    setting = arrange_team(date(2025, 2, 10))
    return_day = services.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                          details=details(date(2025, 3, 31)), by=setting.facilitator, now=now)
    db.session.commit()
    return setting, return_day


def test_sync_adds_deterministic_jobs_and_retimes_them_when_the_day_moves(app, clock, stepped):
    setting, return_day = _plan_day_50(clock.now)
    scheduler = stepped()
    scheduler.start()
    jobs.sync_jobs(scheduler)
    stored = {job.id: job for job in scheduler.get_jobs()}
    assert set(stored) == {f"returnday:{return_day.id}:{kind}"
                           for kind in ("invite", "reminder", "nudge", "practical", "evaluation")}
    invite = stored[f"returnday:{return_day.id}:invite"]
    assert invite.args == ("fieldlab.returndays.jobs:send_invitations", return_day.id)  # ids only
    assert local(invite.next_run_time).strftime("%Y-%m-%d %H:%M") == "2025-03-10 09:00"

    services.save_return_day(lab=setting.lab, team=setting.team, day_number=50, details=details(date(2025, 4, 7)),
                             by=setting.facilitator, now=clock.now)
    db.session.commit()
    changed = jobs.sync_jobs(scheduler)
    assert len(changed["added"]) == 5 and changed["removed"] == []
    moved = scheduler.get_job(f"returnday:{return_day.id}:invite")
    assert local(moved.next_run_time).strftime("%Y-%m-%d %H:%M") == "2025-03-17 09:00"
    assert jobs.sync_jobs(scheduler) == {"added": [], "removed": []}


def test_deleting_the_team_removes_its_jobs(app, clock, stepped):
    setting, return_day = _plan_day_50(clock.now)
    scheduler = stepped()
    scheduler.start()
    jobs.sync_jobs(scheduler)
    assert len(scheduler.get_jobs()) == 5
    db.session.delete(setting.team)
    db.session.commit()
    assert db.session.scalars(select(ReturnDayJob)).all() == []
    assert len(jobs.sync_jobs(scheduler)["removed"]) == 5
    assert scheduler.get_jobs() == []


def test_restart_runs_each_missed_job_exactly_once(app, clock, stepped):
    setting, return_day = _plan_day_50(clock.now)
    executed = []

    first = stepped()
    first.start()
    scheduler_module.add_job(first, "returndays:sync", "fieldlab.returndays.jobs:sync_jobs", trigger="interval",
                             seconds=30, start_date=clock.now + timedelta(seconds=30))
    jobs.sync_jobs(first)
    first.tick()
    assert keys() == []
    first.shutdown()

    # Down for three weeks: the invitation (10 March) and the reminder (26 March) were missed.
    clock.now = at(date(2025, 3, 27), 12)
    second = stepped()
    second.add_listener(lambda event: executed.append((event.job_id, event.code)),
                        EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    second.start()
    second.tick()
    db.session.expire_all()
    ran = sorted(job_id for job_id, code in executed if code == EVENT_JOB_EXECUTED)
    assert ran == sorted([f"returnday:{return_day.id}:invite", f"returnday:{return_day.id}:reminder",
                          "returndays:sync"])  # the 30-second sync ran once, not once per missed interval
    assert not [code for _job, code in executed if code != EVENT_JOB_EXECUTED]
    invitations = [key for key in keys() if key.startswith("invite:")]
    reminders = [key for key in keys() if key.startswith("reminder:")]
    assert len(invitations) == 5 and len(reminders) == 5
    steps = {job.kind: job.run_count for job in db.session.scalars(select(ReturnDayJob))}
    assert steps == {"invite": 1, "reminder": 1, "nudge": 0, "practical": 0, "evaluation": 0}

    executed.clear()
    second.tick()
    assert [job_id for job_id, _code in executed if job_id.startswith("returnday:")] == []
    assert len(keys()) == 10


def test_scheduler_lock_lets_only_one_scheduler_start(app, tmp_path):
    first = scheduler_module.SchedulerLock(app)
    second = scheduler_module.SchedulerLock(app)
    try:
        assert first.acquire(wait=False) is True
        assert second.acquire(wait=False) is False
        first.release()
        assert second.acquire(wait=False) is True
    finally:
        first.release()
        second.release()


# Without the lock, APScheduler 3 is not built for two schedulers on one job store: the one that
# finishes second fails to remove the job the other already removed (JobLookupError in its thread).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_two_schedulers_at_once_queue_every_message_once(app, monkeypatch):
    """Two BackgroundSchedulers on one database (a second one started by mistake, past the lock):
    both pick up the same due invitation job; the idempotency keys keep one message each."""
    monkeypatch.setattr(scheduler_module, "_app", app)
    now = utcnow()
    setting = arrange_team(local(now).date() - timedelta(days=40))
    return_day = services.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                          details=details(local(now).date() + timedelta(days=10)),
                                          by=setting.facilitator, now=now - timedelta(days=30))
    db.session.commit()
    assert keys() == []
    due = {f"returnday:{return_day.id}:invite"}

    schedulers, done = [], threading.Semaphore(0)
    for _ in range(2):
        scheduler = scheduler_module.create_scheduler(app)
        scheduler.add_listener(lambda event: done.release() if event.job_id in due else None,
                               EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        schedulers.append(scheduler)
    try:
        for scheduler in schedulers:
            scheduler.start(paused=True)
        jobs.sync_jobs(schedulers[0])
        db.session.commit()
        for scheduler in schedulers:
            scheduler.resume()
        assert done.acquire(timeout=20)
        done.acquire(timeout=3)  # the second scheduler's run, if it got the job before it was removed
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
    db.session.expire_all()
    invitations = [key for key in keys() if key.startswith("invite:")]
    assert len(invitations) == 5
    assert len(invitations) == len(set(invitations))
