"""Follow-up bodies of a signal, registered with fieldlab/followups (see `register_followups`).

- `signal_reminder`: three months after the offer with no reaction recorded, the Lab's
  facilitators are reminded, and again every month after (each month its own step and key).
- `signal_effect`: six months after "afgerond" the indieners are asked by signed link what the
  effect of the signal was.

Both queue outbox messages keyed by step and recipient, so a step that runs twice sends nothing
new; both become pointless (skipped with the reason) once the status moved on.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l

from fieldlab import followups
from fieldlab.extensions import db
from fieldlab.followups.models import FollowUpStep
from fieldlab.mail.services import external_url, queue_message
from fieldlab.signals import services
from fieldlab.signals.models import Signal, SignalStatus


def _reminder_is_late(step: FollowUpStep, *, now: datetime) -> str | None:
    signal = db.session.get(Signal, step.subject_id)
    if signal is None:
        return str(_l("Het signaal bestaat niet meer."))
    if signal.status != SignalStatus.OFFERED:
        return str(_l("Er is al een reactie vastgelegd."))
    return None


def send_reminder(step: FollowUpStep, *, now: datetime) -> None:
    signal = db.session.get(Signal, step.subject_id)
    months = services.next_reminder_months(signal, after=step.due_at) - 1
    for user in services.facilitators_of(signal):
        queue_message(key=f"followup:{step.key}:user{user.id}", to=user.email, template="signal_reminder",
                      locale=user.locale, now=now, name=user.name, months=months, offered_on=signal.offered_on,
                      link=external_url("signals.detail", signal_id=signal.id))
    # The next month's step: after downtime, the first one still to come (never a burst of catch-ups).
    following = services.next_reminder_months(signal, after=max(now, step.due_at))
    followups.schedule(services.REMINDER, signal.id, services.reminder_step_due(signal, following),
                       key=f"{services.REMINDER}:{signal.id}:m{following}", now=now)


def _effect_is_late(step: FollowUpStep, *, now: datetime) -> str | None:
    signal = db.session.get(Signal, step.subject_id)
    if signal is None:
        return str(_l("Het signaal bestaat niet meer."))
    if signal.status != SignalStatus.CLOSED:
        return str(_l("Het effect is al vastgelegd."))
    if not signal.contact_emails:
        return str(_l("Er zijn geen e-mailadressen van indieners bekend."))
    return None


def ask_effect(step: FollowUpStep, *, now: datetime) -> None:
    signal = db.session.get(Signal, step.subject_id)
    for email in signal.contact_emails:
        queue_message(key=f"followup:{step.key}:{email.lower()}", to=email, template="signal_effect", now=now,
                      lab=signal.lab.name, signal_id=signal.id,
                      link=external_url("signals.effect_by_link", token=services.effect_token(signal, email)))


def register_followups() -> None:
    followups.register(services.REMINDER, run=send_reminder, is_late=_reminder_is_late)
    followups.register(services.EFFECT, run=ask_effect, is_late=_effect_is_late)
