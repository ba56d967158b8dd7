"""Follow-up steps: one small table for every scheduled step that is not a return day.

Used by the bestuurlijk signaal (the 3-month reminder and the 6-month effect question) and by
the day-100 result (the 6-month sustainability question). The whole API:

``register(kind, run=..., is_late=...)``
    Once per kind, in a feature's ``wiring.init_app``. ``run(step, now=...)`` is the body: it queues
    outbox messages with idempotency keys (``followup:<step.key>:...``) and may schedule a next
    step; it flushes, never commits. ``is_late(step, now=...)`` returns ``None`` while the step
    still makes sense, or a short Dutch reason (the subject is gone, the answer came in, the
    moment has passed) once it has become pointless: the step is then recorded as skipped
    ("overgeslagen") with that reason and nothing is sent.

``schedule(kind, subject_id, due_at, key=..., now=...)``
    Write a step in the transaction that caused it. The key is unique: writing the same step
    twice is harmless (a still-pending step takes the new ``due_at``, so a moved date re-times
    it; a step that ran or was skipped stays as it was).

``cancel(kind, subject_id, reason=..., now=...)`` / ``cancel(key=..., reason=...)``
    Record pending steps as skipped with a reason (the subject was withdrawn).

``steps_for(kind, subject_id)``
    The steps of one subject, oldest first, for a history on the subject's page.

``run_due(now)``
    What the scheduler runs every FOLLOWUP_POLL_INTERVAL (job ``followups:run``): every pending
    step whose moment has come, oldest first, each in its own transaction. A step is claimed
    with a conditional UPDATE (``pending`` → ``done``) before its body runs, in the same
    transaction as the body's outbox rows, so a second scheduler (a hot standby that took over,
    a restart) finds nothing to claim; a crash or an error rolls the claim back with the body,
    and the step is tried again at the next poll (its outbox keys make that safe), until
    FOLLOWUP_MAX_ATTEMPTS failures mark it failed. Tests call ``run_due`` with a fixed ``now``.

Why one poller over a table instead of an APScheduler job per row: nothing to mirror or re-time
when a date moves, nothing pickled, and a clean shutdown only waits for one short job.
"""

from fieldlab.followups.services import cancel, register, run_due, schedule, steps_for

__all__ = ["cancel", "register", "run_due", "schedule", "steps_for"]
