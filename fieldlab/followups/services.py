"""Writing, cancelling and running follow-up steps. See the package docstring for the API."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from fieldlab.audit import services as audit
from fieldlab.extensions import db
from fieldlab.followups.models import FollowUpStep, StepStatus
from fieldlab.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    run: Callable[..., None]
    is_late: Callable[..., str | None]


_KINDS: dict[str, Kind] = {}


def register(kind: str, *, run: Callable[..., None], is_late: Callable[..., str | None]) -> None:
    """Say how steps of `kind` run and when they have become pointless. Registering again replaces
    (an app factory called twice in one process registers the same functions again)."""
    _KINDS[kind] = Kind(run=run, is_late=is_late)


def schedule(kind: str, subject_id: int, due_at: datetime, *, key: str | None = None,
             now: datetime | None = None) -> FollowUpStep:
    """Write one step (once: the key is unique). A pending step with this key takes the new moment."""
    due_at = as_utc(due_at)
    key = key or f"{kind}:{subject_id}:{due_at:%Y%m%dT%H%M}"
    # INSERT ... ON CONFLICT DO NOTHING, as the outbox does: two requests may write the same step.
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(FollowUpStep)
        .values(key=key, kind=kind, subject_id=subject_id, due_at=due_at, status=StepStatus.PENDING,
                reason="", attempts=0, created_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=[FollowUpStep.key])
    )
    step = db.session.scalar(select(FollowUpStep).where(FollowUpStep.key == key)
                             .execution_options(populate_existing=True))
    if step.pending and step.due_at != due_at:
        step.due_at = due_at
        db.session.flush()
    return step


def cancel(kind: str | None = None, subject_id: int | None = None, *, key: str | None = None,
           reason: str, now: datetime | None = None) -> int:
    """Record the pending steps of a subject (or the one with `key`) as skipped. Returns how many."""
    if key is None and (kind is None or subject_id is None):
        raise ValueError("cancel needs a key, or a kind and a subject")
    where = [FollowUpStep.status == StepStatus.PENDING]
    where += [FollowUpStep.key == key] if key is not None else [FollowUpStep.kind == kind,
                                                                FollowUpStep.subject_id == subject_id]
    result = db.session.execute(
        update(FollowUpStep).where(*where)
        .values(status=StepStatus.SKIPPED, reason=reason, done_at=now or utcnow())
        .execution_options(synchronize_session="fetch"))
    return result.rowcount


def steps_for(kind: str, subject_id: int) -> list[FollowUpStep]:
    return list(db.session.scalars(
        select(FollowUpStep).where(FollowUpStep.kind == kind, FollowUpStep.subject_id == subject_id)
        .order_by(FollowUpStep.due_at, FollowUpStep.id)))


def _claim(step_id: int, now: datetime) -> bool:
    """Take the step for this run: only one transaction can move it out of `pending`."""
    result = db.session.execute(
        update(FollowUpStep)
        .where(FollowUpStep.id == step_id, FollowUpStep.status == StepStatus.PENDING, FollowUpStep.due_at <= now)
        .values(status=StepStatus.DONE, done_at=now, attempts=FollowUpStep.attempts + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _run_one(step_id: int, now: datetime) -> str | None:
    """Claim and run one step in the current transaction. Returns the status it ended in."""
    if not _claim(step_id, now):
        return None
    step = db.session.scalar(select(FollowUpStep).where(FollowUpStep.id == step_id)
                             .execution_options(populate_existing=True))
    kind = _KINDS[step.kind]
    reason = kind.is_late(step, now=now)
    if reason:
        step.status = StepStatus.SKIPPED
        step.reason = str(reason)
    else:
        kind.run(step, now=now)
    db.session.flush()
    return step.status


def _record_failure(step_id: int, error: Exception, now: datetime) -> None:
    step = db.session.get(FollowUpStep, step_id)
    if step is None or not step.pending:
        return
    step.attempts += 1
    if step.attempts >= current_app.config["FOLLOWUP_MAX_ATTEMPTS"]:
        step.status = StepStatus.FAILED
        step.done_at = now
        step.reason = f"{type(error).__name__}: {error}"[:500]
        audit.record("followup_failed", obj=step, now=now, key=step.key)
    db.session.flush()


def run_due(now: datetime | None = None, *, should_stop=lambda: False,
            budget: float | None = None) -> dict[str, list[str]]:
    """Run every due step of a registered kind, oldest first, one transaction (commit) each.

    The scheduler's job body, and what tests call with a fixed `now` to travel in time. Steps of
    a kind no package registered stay pending. Stops between steps when `should_stop()` says so
    (the scheduler is shutting down) or after `budget` seconds (the next poll goes on), as the
    return-day poller does. Returns the keys per outcome."""
    now = now or utcnow()
    started = time.monotonic()
    outcome: dict[str, list[str]] = {"done": [], "skipped": [], "failed": []}
    if not _KINDS:
        return outcome
    due = db.session.execute(
        select(FollowUpStep.id, FollowUpStep.key).where(
            FollowUpStep.status == StepStatus.PENDING, FollowUpStep.due_at <= now,
            FollowUpStep.kind.in_(list(_KINDS)))
        .order_by(FollowUpStep.due_at, FollowUpStep.id)).all()
    db.session.commit()
    for step_id, key in due:
        if should_stop() or (budget is not None and time.monotonic() - started > budget):
            break
        try:
            status = _run_one(step_id, now)
            db.session.commit()
        except Exception as error:  # one broken step must not stop the others
            db.session.rollback()
            log.exception("follow-up step %s failed", key)
            _record_failure(step_id, error, now)
            db.session.commit()
            outcome["failed"].append(key)
            continue
        if status is not None:
            outcome[str(status)].append(key)
    return outcome
