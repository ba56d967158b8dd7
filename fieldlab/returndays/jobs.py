"""Scheduled bodies for return days, and keeping the scheduler's jobs in step with the steps.

Each step of a return day is a `ReturnDayJob` row (written by services in the same transaction
as the change that caused it); `sync_jobs` turns pending rows into APScheduler jobs with
deterministic ids (`returnday:42:invite`), ids-only arguments and `replace_existing`, re-times
the ones whose moment moved, and removes the ones whose row is gone (a cancelled day, a deleted
team or Lab). It runs at scheduler start, every RETURNDAY_SYNC_INTERVAL, and right after a change
when the scheduler runs in this process.

A body never sends mail: it queues outbox messages with idempotency keys, so a body that runs
twice (a second scheduler, a restart) queues nothing new. A body that fires before its row's
moment (the day moved later and the job was not re-timed yet) does nothing and leaves the step
pending.
"""

import logging
from datetime import datetime

from sqlalchemy import select

from fieldlab import scheduler as scheduler_module
from fieldlab.extensions import db
from fieldlab.returndays import services
from fieldlab.returndays.models import JobKind, ReturnDay, ReturnDayJob, ReturnDayStatus
from fieldlab.timeutil import utcnow

log = logging.getLogger(__name__)

JOB_PREFIX = "returnday:"
SYNC_JOB_ID = "returndays:sync"
BODIES = {
    JobKind.INVITE: "send_invitations",
    JobKind.REMINDER: "send_reminders",
    JobKind.PRACTICAL: "send_practical_reminders",
    JobKind.NUDGE: "send_progress_nudges",
    JobKind.EVALUATION: "request_evaluations",
}


def _step(return_day_id: int, kind: JobKind, now: datetime | None):
    """The return day and its step when the step is due now and has not run for this moment."""
    now = now or utcnow()
    return_day = db.session.get(ReturnDay, return_day_id)
    if return_day is None or return_day.status != ReturnDayStatus.CONFIRMED:
        return None, None, now
    job = next((job for job in return_day.jobs if job.kind == kind), None)
    if job is None or job.run_at > now or not job.pending:
        return None, None, now
    return return_day, job, now


def _done(job: ReturnDayJob, now: datetime) -> None:
    job.ran_for = job.run_at
    job.last_run_at = now
    job.run_count += 1
    db.session.flush()


def send_invitations(return_day_id: int, now: datetime | None = None) -> None:
    return_day, job, now = _step(return_day_id, JobKind.INVITE, now)
    if job is not None:
        services.sync_invitees(return_day, now=now)
        services.send_invitations(return_day, now=now)
        _done(job, now)


def send_reminders(return_day_id: int, now: datetime | None = None) -> None:
    return_day, job, now = _step(return_day_id, JobKind.REMINDER, now)
    if job is not None:
        services.send_reminders(return_day, now=now)
        _done(job, now)


def send_practical_reminders(return_day_id: int, now: datetime | None = None) -> None:
    return_day, job, now = _step(return_day_id, JobKind.PRACTICAL, now)
    if job is not None:
        services.send_practical_reminders(return_day, now=now)
        _done(job, now)


def send_progress_nudges(return_day_id: int, now: datetime | None = None) -> None:
    return_day, job, now = _step(return_day_id, JobKind.NUDGE, now)
    if job is not None:
        services.send_progress_nudges(return_day, now=now)
        _done(job, now)


def request_evaluations(return_day_id: int, now: datetime | None = None) -> None:
    """When a return day ends, ask its team members who did not decline for an evaluation
    (one form per return day, copied from the default; mails keyed per form and person)."""
    return_day, job, now = _step(return_day_id, JobKind.EVALUATION, now)
    if job is None:
        return
    from fieldlab.evaluations import services as evaluations

    evaluations.request_return_day_evaluation(return_day, now=now)
    _done(job, now)


def run_due(now: datetime) -> list[str]:
    """Run every pending step whose moment has come, oldest first, as the scheduler would (one
    transaction each). For tests that travel through time and for a manual catch-up. Returns
    the job ids that ran."""
    ran = []
    due = db.session.scalars(
        select(ReturnDayJob).join(ReturnDay).where(ReturnDay.status == ReturnDayStatus.CONFIRMED,
                                                   ReturnDayJob.run_at <= now)
        .order_by(ReturnDayJob.run_at, ReturnDayJob.id)).all()
    for job_id, return_day_id, kind in [(job.job_id, job.return_day_id, job.kind) for job in due if job.pending]:
        globals()[BODIES[JobKind(kind)]](return_day_id, now=now)
        db.session.commit()
        ran.append(job_id)
    return ran


def sync_jobs(scheduler=None) -> dict:
    """Make the scheduler's `returnday:*` jobs match the pending steps. Returns what changed."""
    scheduler = scheduler or scheduler_module.current()
    if scheduler is None:
        return {"added": [], "removed": []}
    wanted = {
        job.job_id: job for job in db.session.scalars(
            select(ReturnDayJob).join(ReturnDay).where(ReturnDay.status == ReturnDayStatus.CONFIRMED))
        if job.pending
    }
    existing = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(JOB_PREFIX)}
    removed = [job_id for job_id in existing if job_id not in wanted]
    for job_id in removed:
        scheduler.remove_job(job_id)
    added = []
    for job_id, step in wanted.items():
        current = existing.get(job_id)
        if current is not None and current.next_run_time == step.run_at:
            continue
        scheduler_module.add_job(scheduler, job_id, f"fieldlab.returndays.jobs:{BODIES[JobKind(step.kind)]}",
                                 step.return_day_id, trigger="date", run_date=step.run_at)
        added.append(job_id)
    if added or removed:
        log.info("return-day jobs: %d added or re-timed, %d removed", len(added), len(removed))
    return {"added": added, "removed": removed}


def sync_soon() -> None:
    """After a change, when this process runs the scheduler: sync now instead of at the next interval."""
    scheduler = scheduler_module.current()
    if scheduler is not None:
        scheduler_module.add_job(scheduler, "returndays:sync-now", "fieldlab.returndays.jobs:sync_jobs",
                                 trigger="date")
