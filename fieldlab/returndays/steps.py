"""What each kind of return-day step does, who it reaches, and when it has become pointless.

One table (`RULES`), one entry per step kind, so the whole policy for lateness reads in one place
and a new kind (or the generic follow-up steps of another feature) follows the same pattern:

- `run` queues the step's messages in the outbox (never sends) and returns how many;
- `recipients` counts who it would reach today, without writing anything (for `fieldlab planning`);
- `too_late` returns a reason code when the step no longer makes sense at `now`, else None.

Restarts, downtime and missed polls are normal: a step that comes due late is run when it still
makes sense and recorded as "overgeslagen (te laat)" with the reason when it does not. Reason
codes are stored; their Dutch text is `models.SKIP_REASONS` (translated when shown).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fieldlab.evaluations import sending
from fieldlab.evaluations.models import EvaluationForm
from fieldlab.extensions import db
from fieldlab.returndays import invitations, services
from fieldlab.returndays.models import SKIP_REASONS, JobKind, Response, ReturnDay, ReturnDayJob, ReturnDayStatus
from fieldlab.timeutil import local

# Used when the return day has no evaluation form yet: the default form's answering period.
DEFAULT_EVALUATION_DAYS = 14

@dataclass(frozen=True)
class StepRule:
    run: Callable[[ReturnDay, datetime], int]
    recipients: Callable[[ReturnDay], int]
    too_late: Callable[[ReturnDay, ReturnDayJob, datetime], str | None]


# --- Lateness ---------------------------------------------------------------------------------

def _once_the_day_began(return_day: ReturnDay, step: ReturnDayJob, now: datetime) -> str | None:
    """Invitations and 'please answer' reminders: pointless once the day has begun."""
    return "day_begun" if now >= return_day.starts_at else None


def _practical_too_late(return_day: ReturnDay, step: ReturnDayJob, now: datetime) -> str | None:
    """'See you tomorrow': only on its own day (the day before), and never once the day began."""
    if now >= return_day.starts_at:
        return "day_begun"
    return "step_day_passed" if local(now).date() > local(step.run_at).date() else None


def _nudge_too_late(return_day: ReturnDay, step: ReturnDayJob, now: datetime) -> str | None:
    """'Bring your board up to date before the day': only before the day's date."""
    return "day_reached" if local(now).date() >= local(return_day.starts_at).date() else None


def _evaluation_form(return_day: ReturnDay) -> EvaluationForm | None:
    return db.session.scalar(select(EvaluationForm).where(EvaluationForm.return_day_id == return_day.id))


def _evaluation_too_late(return_day: ReturnDay, step: ReturnDayJob, now: datetime) -> str | None:
    """An evaluation request only while its form is open (or can still open) and before the end of
    the answering period counted from the step's own moment."""
    form = _evaluation_form(return_day)
    if form is not None and form.is_closed(now):
        return "form_closed"
    days = form.deadline_days if form is not None else DEFAULT_EVALUATION_DAYS
    return "deadline_passed" if now >= step.run_at + timedelta(days=days) else None


# --- Bodies -------------------------------------------------------------------------------------

def _invite(return_day: ReturnDay, now: datetime) -> int:
    invitations.sync_invitees(return_day, now=now)
    return invitations.send_invitations(return_day, now=now)


def _evaluate(return_day: ReturnDay, now: datetime) -> int:
    form = sending.request_return_day_evaluation(return_day, now=now)
    return 0 if form is None else len(sending.recipient_ids(form))


# --- Who it would reach (the preview) ----------------------------------------------------------

def _would_be_invited(return_day: ReturnDay) -> int:
    known_users = {invitation.user_id for invitation in return_day.invitations if invitation.user_id}
    known_emails = {invitation.email for invitation in return_day.invitations}
    new = [user for user, _role in invitations.expected_invitees(return_day)
           if user.id not in known_users and user.email not in known_emails]
    waiting = [invitation for invitation in return_day.active_invitations
               if invitation.sent_sequence != return_day.sequence]
    return len(new) + len(waiting)


def _not_answered(return_day: ReturnDay) -> int:
    return sum(1 for invitation in return_day.active_invitations if invitation.response is None)


def _coming(return_day: ReturnDay) -> int:
    return sum(1 for invitation in return_day.active_invitations if invitation.response == Response.YES)


def _team_members(return_day: ReturnDay) -> int:
    return sum(1 for team in services.teams_of(return_day) for membership in team.memberships
               if membership.user.active)


def _members_not_declined(return_day: ReturnDay) -> int:
    declined = {invitation.user_id for invitation in return_day.invitations
                if invitation.removed_at is not None or invitation.response == Response.NO}
    return len({membership.user_id for team in services.teams_of(return_day) for membership in team.memberships
                if membership.user.active and membership.user_id not in declined})


RULES: dict[JobKind, StepRule] = {
    JobKind.INVITE: StepRule(run=_invite, recipients=_would_be_invited, too_late=_once_the_day_began),
    JobKind.REMINDER: StepRule(run=lambda day, now: invitations.send_reminders(day, now=now),
                               recipients=_not_answered, too_late=_once_the_day_began),
    JobKind.PRACTICAL: StepRule(run=lambda day, now: invitations.send_practical_reminders(day, now=now),
                                recipients=_coming, too_late=_practical_too_late),
    JobKind.NUDGE: StepRule(run=lambda day, now: invitations.send_progress_nudges(day, now=now),
                            recipients=_team_members, too_late=_nudge_too_late),
    JobKind.EVALUATION: StepRule(run=_evaluate, recipients=_members_not_declined, too_late=_evaluation_too_late),
}


def rule_for(step: ReturnDayJob) -> StepRule:
    return RULES[JobKind(step.kind)]


def skip_reason_label(code: str) -> str:
    return str(SKIP_REASONS.get(code, code))


# --- Preview ------------------------------------------------------------------------------------

@dataclass
class PlannedStep:
    """One step as it would go if the scheduler ran it at `moment`: sent to `recipients` people, or
    skipped for `skip_reason`."""

    step: ReturnDayJob
    moment: datetime
    recipients: int
    skip_reason: str | None

    @property
    def return_day(self) -> ReturnDay:
        return self.step.return_day

    @property
    def skip_label(self) -> str:
        return skip_reason_label(self.skip_reason) if self.skip_reason else ""


def preview(*, until: datetime, now: datetime) -> list[PlannedStep]:
    """Every pending step of a confirmed return day that would run up to `until`, oldest first,
    with what it would do then: nothing is written or queued. Steps already due run at `now`;
    the others at their moment. Counts are taken from today's answers and lists."""
    rows = db.session.scalars(
        select(ReturnDayJob).join(ReturnDay)
        .where(ReturnDay.status == ReturnDayStatus.CONFIRMED, ReturnDayJob.run_at <= until)
        .order_by(ReturnDayJob.run_at, ReturnDayJob.id)).all()
    planned = []
    for step in rows:
        if not step.pending:
            continue
        moment = max(step.run_at, now)
        rule = rule_for(step)
        reason = rule.too_late(step.return_day, step, moment)
        planned.append(PlannedStep(step=step, moment=moment, recipients=0 if reason else rule.recipients(step.return_day),
                                   skip_reason=reason))
    return planned


# --- Messages still in the outbox ---------------------------------------------------------------

WITHDRAWABLE_KEY = re.compile(r"^(invite|reminder|practical|nudge):returnday(\d+):")


def outbox_withdrawal_reason(message, now: datetime) -> str | None:
    """A queued return-day message that should not go out anymore (the sender asks just before
    sending, e.g. after SMTP was down for days): an invitation, reminder or nudge whose day was
    cancelled or has begun. A cancellation itself always goes."""
    match = WITHDRAWABLE_KEY.match(message.idempotency_key)
    if match is None:
        return None
    return_day = db.session.get(ReturnDay, int(match.group(2)))
    if return_day is None or return_day.status == ReturnDayStatus.CANCELLED:
        return str(_l("de terugkomdag is afgelast"))
    if now >= return_day.starts_at:
        return str(_l("de terugkomdag was al begonnen"))
    return None
