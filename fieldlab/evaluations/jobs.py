"""Scheduled bodies for evaluations, called through scheduler.run_job with ids only.

Each is safe to run again: mails carry idempotency keys, reminders go once per person, and a
closed form stays closed. A form deleted in the meantime makes a job a no-op.
"""

from datetime import datetime

from fieldlab.evaluations import sending
from fieldlab.evaluations.models import EvaluationForm
from fieldlab.extensions import db
from fieldlab.timeutil import utcnow


def request_evaluations(form_id: int, now: datetime | None = None) -> int:
    """Queue one request mail per recipient (see sending.recipient_ids). Returns how many people."""
    form = db.session.get(EvaluationForm, form_id)
    now = now or utcnow()
    if form is None or form.is_closed(now):
        return 0
    recipients = sending.recipient_ids(form)
    if not recipients or not form.active_questions:
        return 0
    return len(sending.create_requests(form, recipients, now=now))


def remind_non_responders(form_id: int, now: datetime | None = None) -> int:
    form = db.session.get(EvaluationForm, form_id)
    if form is None:
        return 0
    return sending.remind_non_responders(form, now=now or utcnow())


def close_form(form_id: int, now: datetime | None = None) -> None:
    form = db.session.get(EvaluationForm, form_id)
    if form is not None:
        sending.close_form(form, now=now or utcnow())
