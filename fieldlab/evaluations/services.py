"""Evaluations' core: the forms and their questions (built, edited with versions, reordered), who
may read which forms, and the errors every part raises.

Services flush and never commit; the route or the scheduler's job wrapper commits. The other parts
build on this module: `sending` (asking people, links, reminders, closing and the scheduled
jobs), `answering` (taking one person's answers once), `aggregation` (results behind the
anonymity threshold and the annual figures) and `exports` (the answers row by row).
"""

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from fieldlab.auth.models import Role, User
from fieldlab.evaluations.defaults import DEFAULT_INTRO, DEFAULT_QUESTIONS, DEFAULT_TITLE, in_dutch
from fieldlab.evaluations.models import (
    EvaluationAnswer,
    EvaluationForm,
    EvaluationQuestion,
    EvaluationRequest,
    EvaluationResponse,
    QuestionKind,
)
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.paging import Page, paginate
from fieldlab.problems.models import Problem
from fieldlab.timeutil import utcnow


class EvaluationError(Exception):
    """A rule of evaluations was broken; the message is Dutch and meant for the user."""


class AlreadyAnswered(EvaluationError):
    pass


class FormNotOpen(EvaluationError):
    pass


class InvalidLink(EvaluationError):
    pass


class AnswersInvalid(EvaluationError):
    def __init__(self, errors: dict[int, str]):
        super().__init__("answers invalid")
        self.errors = errors


# --- Forms and their questions -----------------------------------------------------------------

def create_form(*, lab: Lab | None = None, return_day_id: int | None = None, source: EvaluationForm | None = None,
                title: str | None = None, anonymous: bool = True, by: User | None = None,
                now: datetime | None = None) -> EvaluationForm:
    """A new form for a programme (Lab) or a terugkomdag, copied from `source` or the default form."""
    if lab is None and return_day_id is None:
        raise ValueError("a form belongs to a Lab or a return day")
    form = EvaluationForm(lab=lab, return_day_id=return_day_id, anonymous=anonymous,
                          created_at=now or utcnow(), created_by_id=getattr(by, "id", None))
    if source is not None:
        form.title = title or source.title
        form.intro = source.intro
        form.deadline_days = source.deadline_days
        for position, question in enumerate(source.active_questions):
            form.questions.append(EvaluationQuestion(
                key=question.key, version=1, position=position, kind=question.kind, text=question.text,
                help_text=question.help_text, required=question.required, choices=list(question.choices),
                is_overall=question.is_overall, allow_decimal=question.allow_decimal,
            ))
    else:
        form.title = title or in_dutch(DEFAULT_TITLE)
        form.intro = in_dutch(DEFAULT_INTRO)
        for position, (key, kind, text, help_text, required, is_overall) in enumerate(DEFAULT_QUESTIONS):
            form.questions.append(EvaluationQuestion(
                key=key, version=1, position=position, kind=kind, text=in_dutch(text),
                help_text=in_dutch(help_text) if help_text else "",
                required=required, choices=[], is_overall=is_overall, allow_decimal=False,
            ))
    db.session.add(form)
    db.session.flush()
    return form


def question_has_answers(question: EvaluationQuestion) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(EvaluationAnswer)
                                  .where(EvaluationAnswer.question_id == question.id)))


def update_form_settings(form: EvaluationForm, *, title: str, intro: str, anonymous: bool,
                         deadline_days: int) -> None:
    """Anonymity is promised to people before they answer: once requests went out it is fixed."""
    if anonymous != form.anonymous and form.opened_at is not None:
        raise EvaluationError(_("Anoniem of op naam kan niet meer veranderen: de evaluatie is al verstuurd."))
    form.title = title.strip()
    form.intro = intro.strip()
    form.anonymous = anonymous
    form.deadline_days = deadline_days
    db.session.flush()


def _clean_choices(kind: str, choices) -> list[str]:
    if kind != QuestionKind.CHOICE:
        return []
    return [choice.strip() for choice in choices if choice and choice.strip()]


def _unique_key(form: EvaluationForm, text: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:30] or "vraag"
    taken = {question.key for question in form.questions}
    key, number = base, 2
    while key in taken:
        key, number = f"{base[:26]}-{number}", number + 1
    return key


def _only_overall(form: EvaluationForm, keep: EvaluationQuestion) -> None:
    for question in form.active_questions:
        if question is not keep and question.is_overall:
            question.is_overall = False


def add_question(form: EvaluationForm, *, kind: str, text: str, help_text: str = "", required: bool = True,
                 choices=(), is_overall: bool = False, allow_decimal: bool = False) -> EvaluationQuestion:
    kind = QuestionKind(kind)
    position = max((question.position for question in form.active_questions), default=-1) + 1
    question = EvaluationQuestion(
        key=_unique_key(form, text), version=1, position=position, kind=kind, text=text.strip(),
        help_text=help_text.strip(), required=required, choices=_clean_choices(kind, choices),
        is_overall=is_overall and kind == QuestionKind.GRADE,
        allow_decimal=allow_decimal and kind == QuestionKind.GRADE,
    )
    form.questions.append(question)
    if question.is_overall:
        _only_overall(form, question)
    db.session.flush()
    return question


def edit_question(question: EvaluationQuestion, *, kind: str, text: str, help_text: str = "",
                  required: bool = True, choices=(), is_overall: bool = False,
                  allow_decimal: bool = False) -> EvaluationQuestion:
    """Change a question. An answered question stays as it was (retired) and a new version takes its
    place, so results never mix answers to different wordings under one text."""
    kind = QuestionKind(kind)
    values = {
        "kind": kind.value, "text": text.strip(), "help_text": help_text.strip(), "required": required,
        "choices": _clean_choices(kind, choices), "is_overall": is_overall and kind == QuestionKind.GRADE,
        "allow_decimal": allow_decimal and kind == QuestionKind.GRADE,
    }
    if all(getattr(question, name) == value for name, value in values.items()):
        return question
    form = question.form
    if question_has_answers(question):
        question.retired = True
        new = EvaluationQuestion(key=question.key, version=question.version + 1, position=question.position,
                                 **values)
        form.questions.append(new)
        form.version += 1
        target = new
    else:
        for name, value in values.items():
            setattr(question, name, value)
        target = question
    if target.is_overall:
        _only_overall(form, target)
    db.session.flush()
    return target


def remove_question(question: EvaluationQuestion) -> None:
    """Delete an unanswered question; an answered one is retired so its answers keep their text."""
    form = question.form
    if question_has_answers(question):
        question.retired = True
        form.version += 1
    else:
        form.questions.remove(question)
        db.session.delete(question)
    db.session.flush()
    _renumber(form)


def _renumber(form: EvaluationForm) -> None:
    for position, question in enumerate(sorted(form.active_questions, key=lambda q: (q.position, q.id or 0))):
        question.position = position
    db.session.flush()


def move_question(question: EvaluationQuestion, direction: str) -> None:
    """Move one place up or down. Order is presentation only, so it never creates a version."""
    form = question.form
    _renumber(form)
    ordered = sorted(form.active_questions, key=lambda q: q.position)
    index = ordered.index(question)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index].position, ordered[other].position = ordered[other].position, ordered[index].position
    db.session.flush()
    db.session.expire(form, ["questions"])


# --- Who sees which forms ------------------------------------------------------------------------

def commissioner_lab_ids(user: User) -> set[int]:
    return set(db.session.scalars(select(Problem.lab_id).where(
        Problem.commissioner_id == user.id, Problem.lab_id.is_not(None))))


def _forms_visible_to_query(user: User):
    query = (select(EvaluationForm).options(selectinload(EvaluationForm.lab))
             .order_by(EvaluationForm.created_at.desc(), EvaluationForm.id.desc()))
    if not user.has_role(Role.FACILITATOR):
        query = query.where(EvaluationForm.lab_id.in_(commissioner_lab_ids(user) or {-1}))
    return query


def forms_visible_to(user: User) -> list[EvaluationForm]:
    return list(db.session.scalars(_forms_visible_to_query(user)))


def forms_page(user: User, *, page: int) -> Page:
    """One page of the evaluation forms `user` may read, newest first."""
    return paginate(_forms_visible_to_query(user), page=page)


def lab_choices() -> list[tuple[int, str]]:
    return [(lab.id, lab.name) for lab in db.session.scalars(select(Lab).order_by(Lab.name))]


def counts_by_form(form_ids) -> dict[int, tuple[int, int]]:
    """(asked, answered) per form, in two queries."""
    form_ids = list(form_ids)
    asked = dict(db.session.execute(select(EvaluationRequest.form_id, func.count())
                                    .where(EvaluationRequest.form_id.in_(form_ids))
                                    .group_by(EvaluationRequest.form_id)).all())
    answered = dict(db.session.execute(select(EvaluationResponse.form_id, func.count())
                                       .where(EvaluationResponse.form_id.in_(form_ids))
                                       .group_by(EvaluationResponse.form_id)).all())
    return {form_id: (asked.get(form_id, 0), answered.get(form_id, 0)) for form_id in form_ids}


def status_label(form: EvaluationForm, now: datetime) -> str:
    if form.opened_at is None:
        return _("nog niet verstuurd")
    if form.is_closed(now):
        return _("gesloten")
    return _("open")
