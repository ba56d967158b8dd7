"""Running the scheduled steps of return days: one short poller, not one APScheduler job per step.

Each step of a return day is a `ReturnDayJob` row, written by services in the same transaction as
the change that caused it. The scheduler runs one interval job, `returndays:poll`, that claims the
due pending rows (oldest first, in batches, `FOR UPDATE SKIP LOCKED` on PostgreSQL) and runs each
in its own transaction: the step's lateness rule (steps.py) decides whether it still makes sense,
then its body queues outbox messages with idempotency keys, or the step is recorded as skipped.

Why a poller (issue #15): mirroring thousands of rows into per-step APScheduler jobs needed a sync
that took 32 s for 9,800 steps, held APScheduler's job-store lock (so `shutdown` deadlocked with a
running sync), and missed jobs all fired at once after downtime. A due row is found with one
indexed query; there is nothing to mirror; moving a day only changes its rows; the poller checks
the stop flag between steps, so a scheduler stops within one step.

A body never sends mail, and a step is marked done in the transaction that queued its messages:
a step runs once, and running anything twice (a second scheduler, a restart) queues nothing new.
"""

import logging
import time
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, or_, select

from fieldlab import scheduler as scheduler_module
from fieldlab.extensions import db
from fieldlab.returndays import steps
from fieldlab.returndays.models import ReturnDay, ReturnDayJob, ReturnDayStatus
from fieldlab.timeutil import utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 200


def _pending():
    return or_(ReturnDayJob.ran_for.is_(None), ReturnDayJob.ran_for != ReturnDayJob.run_at)


def due_steps_query(now: datetime):
    """The pending steps of confirmed return days whose moment has come, oldest first."""
    return (select(ReturnDayJob.id, ReturnDayJob.run_at).join(ReturnDay)
            .where(ReturnDay.status == ReturnDayStatus.CONFIRMED, ReturnDayJob.run_at <= now, _pending())
            .order_by(ReturnDayJob.run_at, ReturnDayJob.id))


def run_step(step_id: int, *, now: datetime) -> ReturnDayJob | None:
    """Claim one step and run it, or record it as skipped when it comes too late. Returns the
    step, or None when it is not due, not pending (anymore) or claimed by another process."""
    step = db.session.scalar(select(ReturnDayJob).where(ReturnDayJob.id == step_id)
                             .with_for_update(skip_locked=True))
    if step is None or not step.pending or step.run_at > now:
        return None
    return_day = step.return_day
    if return_day.status != ReturnDayStatus.CONFIRMED:
        return None
    rule = steps.rule_for(step)
    reason = rule.too_late(return_day, step, now)
    if reason is None:
        rule.run(return_day, now)
    step.skip_reason = reason or ""
    step.ran_for = step.run_at
    step.last_run_at = now
    step.run_count += 1
    db.session.flush()
    if reason:
        log.info("step %s skipped: %s", step.job_id, reason)
    return step


def run_due(now: datetime | None = None, *, should_stop=lambda: False, budget: float | None = None) -> list[str]:
    """Run every due pending step, oldest first, one transaction each; stop between steps when
    `should_stop()` says so or after `budget` seconds (the next poll goes on where this one
    stopped). The scheduler's poller, and what tests call to travel in time. Returns the ids
    (`returnday:42:invite`) of the steps that ran or were skipped."""
    now = now or utcnow()
    began = time.monotonic()
    handled = []
    after = None  # keyset: a step that failed or was claimed elsewhere is not tried again this round
    while True:
        query = due_steps_query(now)
        if after is not None:
            query = query.where(or_(ReturnDayJob.run_at > after[0],
                                    and_(ReturnDayJob.run_at == after[0], ReturnDayJob.id > after[1])))
        batch = db.session.execute(query.limit(BATCH_SIZE)).all()
        db.session.commit()
        if not batch:
            return handled
        for step_id, run_at in batch:
            if should_stop():
                return handled
            if budget is not None and handled and time.monotonic() - began > budget:
                return handled  # at least one step per poll, so a slow step cannot stall the backlog
            after = (run_at, step_id)
            try:
                step = run_step(step_id, now=now)
                job_id = step.job_id if step is not None else None
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("return-day step %s failed; it stays pending", step_id)
                continue
            if job_id is not None:
                handled.append(job_id)


def poll() -> None:
    """The scheduler's interval job: run what is due now, and stop early when the scheduler stops.
    A poll stays shorter than the interval, so after long downtime the backlog is worked off over
    several polls instead of one run that APScheduler would see as still running."""
    budget = 0.8 * current_app.config["RETURNDAY_POLL_INTERVAL"].total_seconds()
    handled = run_due(utcnow(), should_stop=scheduler_module.stopping, budget=budget)
    if handled:
        log.info("return-day steps handled: %d", len(handled))


def sync_soon() -> None:
    """After a change, when this process runs the scheduler: poll now instead of at the next interval."""
    scheduler = scheduler_module.current()
    if scheduler is not None and not scheduler_module.stopping():
        scheduler_module.add_job(scheduler, "returndays:poll-now", "fieldlab.returndays.jobs:poll", trigger="date")
