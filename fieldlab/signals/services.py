"""Signals: drafting, the Loket's steps, the representative's confirmation, the effect answer,
the overview and the counts the Hub report reads. Services flush, never commit."""

import calendar
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, func, or_, select

from fieldlab import followups, links
from fieldlab.audit import services as audit
from fieldlab.auth.models import User
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, LabFacilitator
from fieldlab.mail.services import external_url, queue_message
from fieldlab.organisations.models import Organisation
from fieldlab.signals.models import DRAFT_STATUSES, ConsultationOutcome, Signal, SignalEvent, SignalStatus
from fieldlab.signals.statemachine import TransitionError, missing_for
from fieldlab.teams.models import Team
from fieldlab.timeutil import LOCAL_ZONE

S = SignalStatus
REMINDER = "signal_reminder"
EFFECT = "signal_effect"
CONFIRM_SALT = "signal-confirm"
EFFECT_SALT = "signal-effect"
# The Loket asks the ministers to answer within three months; six months after the procedure is
# complete it asks the indieners what the effect was.
REMINDER_AFTER_MONTHS = 3
EFFECT_AFTER_MONTHS = 6
# Follow-up mails go out at this local hour on their day.
FOLLOW_UP_HOUR = time(9, 0)

DRAFT_FIELDS = (
    "bottleneck", "facts", "legal_process", "legal_process_kind", "ministries", "measures",
    "submitter_contacts", "misuse_explanation", "structural_explanation", "misuse_evidence",
    "national_explanation", "minister_can_change", "representative_name", "representative_email",
)


class SignalError(Exception):
    """Input a step cannot take; `field` names the form field the Dutch message belongs to."""

    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field = field
        self.message = message


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the last day of the month when that day does not exist."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_morning(day: date) -> datetime:
    return datetime.combine(day, FOLLOW_UP_HOUR, tzinfo=LOCAL_ZONE).astimezone(UTC)


# --- Drafting ----------------------------------------------------------------------------------

def prefill_from_team(team: Team) -> dict:
    """A new draft from a team's work: its vraagstuk, its challenge and, when the team's day-100
    result names a structural weakness, that sentence as the bottleneck and what the result says
    the work found as facts."""
    data = {}
    problem = team.problem
    if problem is not None:
        data["bottleneck"] = problem.title[:300]
        data["facts"] = "\n\n".join(part for part in (problem.description, problem.facts) if part)
        # Only public organisations submit a signal (the Loket's rule): a bank involved in the
        # vraagstuk is not ticked for it.
        submitters = [problem.organisation, *problem.organisations_involved]
        data["submitter_ids"] = list(dict.fromkeys(org.id for org in submitters
                                                   if org is not None and org.is_public and not org.generic))
    challenge = team.challenge
    if challenge is not None and challenge.goal:
        data["facts"] = "\n\n".join(part for part in (data.get("facts", ""), challenge.goal) if part)
    result = team.result
    if result is not None and result.reveals_weakness:
        if result.weakness_summary:
            data["bottleneck"] = result.weakness_summary[:300]
        found = [result.goal_explanation, result.changes]
        data["facts"] = "\n\n".join(part for part in (data.get("facts", ""), *found) if part)
    return data


def awaiting_confirmation_by(user: User) -> list[Signal]:
    """The signals `user` is asked to submit definitively as strategic representative (the same
    rule as `signal.confirm`): their home page says so, not only the mail that asked them."""
    return list(db.session.scalars(select(Signal).where(
        Signal.representative_user_id == user.id, Signal.status == SignalStatus.CONSULTATION,
        Signal.confirmation_requested_at.is_not(None)).order_by(Signal.id)))


def team_signals(team: Team) -> list[Signal]:
    """The signals a team has already started, oldest first: the new-signal page names them, so a
    team that comes back from its result page does not start the same signal twice."""
    return list(db.session.scalars(select(Signal).where(Signal.team_id == team.id).order_by(Signal.id)))


def _apply_draft(signal: Signal, fields: dict) -> None:
    for name in DRAFT_FIELDS:
        if name in fields:
            value = fields[name]
            if name == "ministries":
                value = [line.strip() for line in value if str(line).strip()]
            elif isinstance(value, str):
                value = value.strip()
            setattr(signal, name, value)
    if "submitter_ids" in fields:
        ids = list(fields["submitter_ids"] or [])
        signal.submitters = list(db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))) if ids else []
    if signal.representative_email:
        signal.representative = db.session.scalar(
            select(User).where(func.lower(User.email) == signal.representative_email.lower()))
    else:
        signal.representative = None


def create_signal(*, lab: Lab, team: Team | None, by: User, now: datetime, **fields) -> Signal:
    signal = Signal(lab=lab, team=team, status=S.CONCEPT, created_at=now, created_by_id=by.id,
                    status_changed_at=now, bottleneck="")
    _apply_draft(signal, fields)
    db.session.add(signal)
    db.session.flush()
    signal.events.append(SignalEvent(from_status="", to_status=S.CONCEPT, at=now, by_id=by.id))
    audit.record("signal_created", actor=by, obj=signal, now=now, lab=lab.id, team=team.id if team else None)
    db.session.flush()
    return signal


def update_draft(signal: Signal, *, by: User, now: datetime, **fields) -> None:
    if signal.status != S.CONCEPT:
        raise TransitionError([_l("Alleen een concept kan worden gewijzigd.")])
    _apply_draft(signal, fields)
    audit.record("signal_changed", actor=by, obj=signal, now=now)
    db.session.flush()


# --- The Loket's steps -------------------------------------------------------------------------

def move(signal: Signal, to: str, *, by: User | None, now: datetime, by_name: str = "", note: str = "") -> None:
    """The one way a status changes: check the step, write the history row and the audit event."""
    reasons = missing_for(signal, to)
    if reasons:
        raise TransitionError(reasons)
    signal.events.append(SignalEvent(from_status=signal.status, to_status=to, at=now,
                                     by_id=by.id if by is not None else None,
                                     by_name=by_name or (by.name if by is not None else ""), note=note))
    audit.record("signal_status_changed", actor=by, obj=signal, now=now, **{"from": signal.status, "to": str(to)})
    signal.status = to
    signal.status_changed_at = now
    db.session.flush()


def ask_loket_advice(signal: Signal, *, by: User, now: datetime) -> None:
    move(signal, S.LOKET_ADVICE, by=by, now=now)


def record_loket_advice(signal: Signal, *, advice: str, fits: bool, by: User, now: datetime) -> None:
    """The Loket's advice: a signal fits (on to the toetsingsoverleg), or the draft goes back."""
    if not (advice or "").strip():
        raise SignalError("advice", _l("Vul het advies van het Loket in."))
    signal.loket_advice = advice.strip()
    move(signal, S.CONSULTATION if fits else S.CONCEPT, by=by, now=now, note=advice.strip())


def record_consultation(signal: Signal, *, on: date | None, outcome: str, notes: str, by: User,
                        now: datetime) -> None:
    """The toetsingsoverleg with the ministries' officials. Facts confirmed: the representative is
    asked to submit definitively. Changes needed: the draft goes back to the drafters."""
    if signal.status != S.CONSULTATION:
        raise TransitionError([_l("Het toetsingsoverleg hoort bij de status “Toetsingsoverleg”.")])
    if on is None:
        raise SignalError("on", _l("Vul de datum van het toetsingsoverleg in."))
    if on > now.astimezone(LOCAL_ZONE).date():
        # Its outcome is recorded, so the meeting has taken place.
        raise SignalError("on", _l("Deze datum ligt in de toekomst: leg het overleg vast als het is gehouden."))
    if outcome not in set(ConsultationOutcome):
        raise SignalError("outcome", _l("Kies de uitkomst van het overleg."))
    signal.consultation_on, signal.consultation_outcome = on, outcome
    signal.consultation_notes = (notes or "").strip()
    audit.record("signal_consultation_recorded", actor=by, obj=signal, now=now, outcome=outcome)
    if outcome == ConsultationOutcome.CHANGES:
        move(signal, S.CONCEPT, by=by, now=now, note=signal.consultation_notes)
        return
    request_confirmation(signal, now=now)


def confirmation_token(signal: Signal) -> str:
    """The signal's id and a keyed fingerprint of the representative's address (see links.py):
    a new representative's address does not fit an old link, and the link shows no address."""
    return links.sign(CONFIRM_SALT, {"signal": signal.id,
                                     "f": links.fingerprint(CONFIRM_SALT, signal.representative_email)})


def _address_in_link(payload: dict, salt: str, address: str) -> bool:
    """The link was made for `address`: by its fingerprint, or (a link mailed before links
    carried fingerprints, still valid until it expires) by the address itself."""
    if "f" in payload:
        return hmac.compare_digest(str(payload["f"]), links.fingerprint(salt, address))
    return (address or "").lower() == payload.get("email")


def request_confirmation(signal: Signal, *, now: datetime, again: bool = False) -> None:
    """Mail the representative a signed link to submit definitively on behalf of their organisation.
    `again` (the facilitator's "send again", e.g. after the link expired) queues a new message."""
    if signal.status != S.CONSULTATION or signal.consultation_outcome != ConsultationOutcome.CONFIRMED:
        raise TransitionError([_l("Dit signaal wacht niet op de bevestiging van de vertegenwoordiger.")])
    signal.confirmation_requested_at = now
    user = signal.representative
    moment = f":{now:%Y%m%dT%H%M%S}" if again else ""
    queue_message(
        key=f"signal:{signal.id}:confirm:{signal.representative_email.lower()}:{signal.consultation_on}{moment}",
        to=signal.representative_email, template="signal_confirm", locale=user.locale if user else "nl", now=now,
        name=signal.representative_name, link=external_url("signals.confirm_by_link", token=confirmation_token(signal)))
    db.session.flush()


def signal_for_confirmation(token: str) -> Signal:
    """The signal a representative's link is for; LinkError when the link is bad or old."""
    payload = links.unsign(CONFIRM_SALT, token, max_age=current_app.config["SIGNAL_LINK_MAX_AGE"])
    signal = db.session.get(Signal, payload.get("signal"))
    if signal is None or not _address_in_link(payload, CONFIRM_SALT, signal.representative_email):
        raise links.LinkError("invalid")
    return signal


def confirm_submission(signal: Signal, *, by: User | None, now: datetime) -> None:
    """The representative submits definitively (through their account or their signed link)."""
    if signal.status != S.CONSULTATION or signal.confirmation_requested_at is None:
        raise TransitionError([_l("Dit signaal wacht niet op uw bevestiging.")])
    signal.representative_confirmed_at = now
    move(signal, S.SUBMITTED, by=by, by_name=signal.representative_name, now=now,
         note=str(_l("Definitief ingediend namens %(name)s", name=signal.representative_name)))


def record_offer(signal: Signal, *, on: date | None, by: User, now: datetime) -> None:
    """Offered to the bewindspersonen: the facilitator is reminded three months later when no
    reaction is recorded (and every month after)."""
    if on is None:
        raise SignalError("on", _l("Vul de datum in waarop het signaal is aangeboden."))
    if on > now.astimezone(LOCAL_ZONE).date():
        raise SignalError("on", _l("Deze datum ligt in de toekomst."))
    submitted = signal.representative_confirmed_at
    if submitted is not None and on < submitted.astimezone(LOCAL_ZONE).date():
        raise SignalError("on", _l("Het signaal kan niet zijn aangeboden vóór het definitief indienen, op %(date)s.",
                                   date=format_date(submitted.astimezone(LOCAL_ZONE).date(), "long")))
    signal.offered_on = on
    move(signal, S.OFFERED, by=by, now=now)
    followups.schedule(REMINDER, signal.id, local_morning(add_months(on, REMINDER_AFTER_MONTHS)),
                       key=f"{REMINDER}:{signal.id}:m{REMINDER_AFTER_MONTHS}", now=now)


def record_reaction(signal: Signal, *, on: date | None, text: str, reference: str, by: User, now: datetime) -> None:
    if on is None:
        raise SignalError("on", _l("Vul de datum van de reactie in."))
    if on > now.astimezone(LOCAL_ZONE).date():
        raise SignalError("on", _l("Deze datum ligt in de toekomst."))
    if signal.offered_on and on < signal.offered_on:
        raise SignalError("on", _l("De reactie kan niet van vóór het aanbieden zijn."))
    if not ((text or "").strip() or (reference or "").strip()):
        raise SignalError("text", _l("Vul de reactie in, of verwijs naar het document."))
    signal.reaction_on, signal.reaction_text, signal.reaction_reference = on, (text or "").strip(), (reference or "").strip()
    move(signal, S.REACTION, by=by, now=now)
    followups.cancel(REMINDER, signal.id, reason=str(_l("De reactie is ontvangen.")), now=now)


def record_closed(signal: Signal, *, on: date | None, by: User, now: datetime) -> None:
    """The reaction was passed to the indieners: complete. Six months later they are asked the effect."""
    if on is None:
        raise SignalError("on", _l("Vul de datum in waarop de reactie aan de indieners is doorgegeven."))
    if on > now.astimezone(LOCAL_ZONE).date():
        raise SignalError("on", _l("Deze datum ligt in de toekomst."))
    if signal.reaction_on and on < signal.reaction_on:
        raise SignalError("on", _l("De reactie kan niet zijn doorgegeven vóór ze binnenkwam."))
    signal.closed_on = on
    move(signal, S.CLOSED, by=by, now=now)
    followups.schedule(EFFECT, signal.id, local_morning(add_months(on, EFFECT_AFTER_MONTHS)),
                       key=f"{EFFECT}:{signal.id}", now=now)


def effect_token(signal: Signal, email: str) -> str:
    return links.sign(EFFECT_SALT, {"signal": signal.id, "f": links.fingerprint(EFFECT_SALT, email)})


def signal_for_effect(token: str) -> tuple[Signal, str]:
    payload = links.unsign(EFFECT_SALT, token, max_age=current_app.config["SIGNAL_EFFECT_LINK_MAX_AGE"])
    signal = db.session.get(Signal, payload.get("signal"))
    contacts = [contact.lower() for contact in signal.contact_emails] if signal is not None else []
    email = next((contact for contact in contacts if _address_in_link(payload, EFFECT_SALT, contact)), None)
    if email is None:
        raise links.LinkError("invalid")
    return signal, email


def record_effect(signal: Signal, *, answer: str, email: str, now: datetime) -> None:
    """The first indiener's answer closes the loop; later answers are added below it."""
    answer = (answer or "").strip()
    if not answer:
        raise SignalError("answer", _l("Beschrijf het effect van het signaal."))
    if signal.status == S.EFFECT:
        signal.effect_answer = f"{signal.effect_answer}\n\n{email}:\n{answer}"
        audit.record("signal_effect_answered", obj=signal, now=now, email=email)
        db.session.flush()
        return
    if signal.status != S.CLOSED:
        raise TransitionError([_l("Voor dit signaal wordt nog geen effect nagevraagd.")])
    signal.effect_answer = f"{email}:\n{answer}"
    signal.effect_answered_at = now
    move(signal, S.EFFECT, by=None, by_name=email, now=now)


# --- Reading -----------------------------------------------------------------------------------

def facilitators_of(signal: Signal) -> list[User]:
    return [row.user for row in signal.lab.facilitator_rows if row.user.active]


WAITING_ON = {
    S.CONCEPT: _l("de opstellers (concept afmaken)"),
    S.LOKET_ADVICE: _l("het Loket (advies)"),
    S.SUBMITTED: _l("het Loket (aanbieden aan de bewindspersonen)"),
    S.OFFERED: _l("de bewindspersonen (reactie)"),
    S.REACTION: _l("de facilitator (reactie doorgeven aan de indieners)"),
    S.CLOSED: _l("de indieners (effectvraag na zes maanden)"),
    S.EFFECT: _l("niemand: afgerond"),
}


def waiting_on(signal: Signal) -> str:
    if signal.status == S.CONSULTATION:
        if signal.confirmation_requested_at is not None:
            return str(_l("%(name)s (definitief indienen)", name=signal.representative_name))
        return str(_l("het toetsingsoverleg met de ministeries"))
    return str(WAITING_ON[SignalStatus(signal.status)])


@dataclass
class OverviewRow:
    signal: Signal
    age_days: int
    waiting_on: str


def overview(viewer: User, *, now: datetime, status: str | None = None) -> list[OverviewRow]:
    """Every signal a facilitator may see: all submitted ones, and the drafts of their own Labs."""
    own_labs = select(LabFacilitator.lab_id).where(LabFacilitator.user_id == viewer.id)
    query = select(Signal).where(or_(Signal.status.not_in(list(DRAFT_STATUSES)), Signal.lab_id.in_(own_labs)))
    if status:
        query = query.where(Signal.status == status)
    signals = db.session.scalars(query.order_by(Signal.status_changed_at.desc(), Signal.id.desc())).all()
    return [OverviewRow(signal, (now - signal.created_at).days, waiting_on(signal)) for signal in signals]


def counts(year: int | None = None) -> dict[str, int]:
    """For the Hub report: signals definitively submitted, and those answered by the ministers,
    in `year` (by the date they were offered and answered) or ever."""
    submitted = select(func.count()).select_from(Signal).where(Signal.status.not_in(list(DRAFT_STATUSES)))
    answered = select(func.count()).select_from(Signal).where(Signal.reaction_on.is_not(None))
    if year is not None:
        first_submission = (select(func.min(SignalEvent.at)).where(SignalEvent.signal_id == Signal.id,
                                                                   SignalEvent.to_status == S.SUBMITTED)
                            .scalar_subquery())
        submitted = submitted.where(extract("year", first_submission) == year)
        answered = answered.where(extract("year", Signal.reaction_on) == year)
    return {"submitted": db.session.scalar(submitted), "answered": db.session.scalar(answered)}


def reminder_step_due(signal: Signal, months: int) -> datetime:
    return local_morning(add_months(signal.offered_on, months))


def next_reminder_months(signal: Signal, *, after: datetime) -> int:
    """The first whole month after the offer (three or more) whose morning is still to come."""
    months = REMINDER_AFTER_MONTHS
    while reminder_step_due(signal, months) <= after:
        months += 1
    return months


def steps_of(signal: Signal) -> list:
    """The signal's follow-up steps (reminders, effect question), for its page."""
    return sorted(followups.steps_for(REMINDER, signal.id) + followups.steps_for(EFFECT, signal.id),
                  key=lambda step: (step.due_at, step.id))
