"""Answering: checking posted answers against the form's current questions and storing one
person's answers exactly once.

It stands alone because it holds the two promises made to the person answering: a request is
consumed by one conditional UPDATE (of two simultaneous submits only one wins), and an anonymous
response keeps neither the person, the request nor the time.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, update

from fieldlab.evaluations.models import (
    GRADE_MAX,
    GRADE_MIN,
    EvaluationAnswer,
    EvaluationForm,
    EvaluationRequest,
    EvaluationResponse,
    QuestionKind,
)
from fieldlab.evaluations.services import AlreadyAnswered, AnswersInvalid, FormNotOpen
from fieldlab.extensions import db
from fieldlab.timeutil import utcnow

TEXT_MAX_LENGTH = 4000


def parse_grade(raw: str, *, allow_decimal: bool) -> float | None:
    """'8', '8,5' or '8.5' -> a grade; None when it is not a valid grade for this question."""
    text = (raw or "").strip().replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < GRADE_MIN or value > GRADE_MAX:
        return None
    if value != value.quantize(Decimal("0.1") if allow_decimal else Decimal("1")):
        return None
    return float(value)


def check_answers(form: EvaluationForm, data) -> tuple[dict[int, dict], dict[int, str]]:
    """Validate posted answers against the form's current questions.
    Returns (cleaned values per question id, Dutch errors per question id)."""
    cleaned: dict[int, dict] = {}
    errors: dict[int, str] = {}
    for question in form.active_questions:
        raw = (data.get(question.field_name) or "").strip()
        if not raw:
            if question.required:
                errors[question.id] = {
                    QuestionKind.GRADE: _("Kies een cijfer van 1 tot en met 10."),
                    QuestionKind.CHOICE: _("Kies een van de mogelijkheden."),
                    QuestionKind.TEXT: _("Vul hier uw antwoord in."),
                }[QuestionKind(question.kind)]
            continue
        if question.kind == QuestionKind.GRADE:
            grade = parse_grade(raw, allow_decimal=question.allow_decimal)
            if grade is None:
                errors[question.id] = (
                    _("Geef een cijfer van 1 tot en met 10, met hoogstens één cijfer achter de komma "
                      "(bijvoorbeeld 8,5).") if question.allow_decimal
                    else _("Kies een cijfer van 1 tot en met 10."))
            else:
                cleaned[question.id] = {"grade": grade}
        elif question.kind == QuestionKind.CHOICE:
            if raw not in question.choices:
                errors[question.id] = _("Kies een van de mogelijkheden.")
            else:
                cleaned[question.id] = {"choice": raw}
        else:
            if len(raw) > TEXT_MAX_LENGTH:
                errors[question.id] = _("Gebruik hoogstens %(count)s tekens.", count=TEXT_MAX_LENGTH)
            else:
                cleaned[question.id] = {"text": raw}
    return cleaned, errors


def submit_response(request: EvaluationRequest, data, *, now: datetime | None = None) -> EvaluationResponse:
    """Store one person's answers once.

    The request is consumed with a conditional UPDATE (used = false -> true), which only one of two
    simultaneous submits can win; a named response is also unique per form and person in the
    database. An anonymous response gets neither the person, the request nor the time.
    """
    now = now or utcnow()
    form = request.form
    if request.used:
        raise AlreadyAnswered(_("Uw antwoorden zijn al ontvangen."))
    if not form.is_open(now):
        raise FormNotOpen(_("Deze evaluatie is gesloten."))
    cleaned, errors = check_answers(form, data)
    if errors:
        raise AnswersInvalid(errors)
    consumed = cast(CursorResult[Any], db.session.execute(
        update(EvaluationRequest).where(EvaluationRequest.id == request.id, EvaluationRequest.used.is_(False))
        .values(used=True).execution_options(synchronize_session=False)
    )).rowcount
    if consumed != 1:
        raise AlreadyAnswered(_("Uw antwoorden zijn al ontvangen."))
    db.session.expire(request, ["used"])
    response = EvaluationResponse(
        form_id=form.id, form_version=form.version, anonymous=form.anonymous,
        user_id=None if form.anonymous else request.user_id,
        submitted_at=None if form.anonymous else now,
    )
    for question_id, value in cleaned.items():
        response.answers.append(EvaluationAnswer(question_id=question_id, **value))
    db.session.add(response)
    db.session.flush()
    return response
