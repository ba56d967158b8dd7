"""The statuses of a signal as the Loket works, and the only transitions allowed between them.

concept → advies Loket → toetsingsoverleg → definitief ingediend → aangeboden aan de
bewindspersonen → reactie ontvangen → afgerond → effect nagevraagd. The Loket's advice and the
toetsingsoverleg may send a draft back to concept. What each step needs (a date, the outcome, the
reaction) is checked by `missing_for`; the services change status only through `move`, which
writes the history row and the audit event.
"""

from flask_babel import lazy_gettext as _l

from fieldlab.signals.criteria import open_items
from fieldlab.signals.models import ConsultationOutcome, SignalStatus

S = SignalStatus

TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.CONCEPT: (S.LOKET_ADVICE,),
    S.LOKET_ADVICE: (S.CONSULTATION, S.CONCEPT),
    S.CONSULTATION: (S.SUBMITTED, S.CONCEPT),
    S.SUBMITTED: (S.OFFERED,),
    S.OFFERED: (S.REACTION,),
    S.REACTION: (S.CLOSED,),
    S.CLOSED: (S.EFFECT,),
    S.EFFECT: (),
}


class TransitionError(Exception):
    """A step that is not allowed now; `reasons` say why, in Dutch."""

    def __init__(self, reasons):
        super().__init__("; ".join(str(reason) for reason in reasons))
        self.reasons = list(reasons)


def allowed(status: str) -> tuple[str, ...]:
    return TRANSITIONS[SignalStatus(status)]


def missing_for(signal, to: str) -> list:
    """Why `signal` cannot move to `to` now (empty when it can). Pure: reads fields only."""
    if to not in allowed(signal.status):
        return [_l("Van “%(from)s” kan een signaal niet naar “%(to)s”.",
                   **{"from": SignalStatus(signal.status).label, "to": SignalStatus(to).label})]
    if to == S.LOKET_ADVICE:
        return open_items(signal)
    if to == S.CONSULTATION and not (signal.loket_advice or "").strip():
        return [_l("Leg het advies van het Loket vast: is een signaal het juiste middel?")]
    if to == S.SUBMITTED:
        reasons = []
        if signal.consultation_on is None or signal.consultation_outcome != ConsultationOutcome.CONFIRMED:
            reasons.append(_l("Het toetsingsoverleg moet de feiten hebben bevestigd."))
        return reasons
    if to == S.OFFERED and signal.offered_on is None:
        return [_l("Vul de datum in waarop het signaal is aangeboden.")]
    if to == S.REACTION:
        reasons = []
        if signal.reaction_on is None:
            reasons.append(_l("Vul de datum van de reactie in."))
        if not ((signal.reaction_text or "").strip() or (signal.reaction_reference or "").strip()):
            reasons.append(_l("Vul de reactie in, of verwijs naar het document."))
        return reasons
    if to == S.CLOSED and signal.closed_on is None:
        return [_l("Vul de datum in waarop de reactie aan de indieners is doorgegeven.")]
    if to == S.EFFECT and not (signal.effect_answer or "").strip():
        return [_l("Beschrijf het effect van het signaal.")]
    return []
