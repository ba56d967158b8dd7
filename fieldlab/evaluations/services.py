"""Evaluations: build forms, ask people, take answers once, and report results.

Services flush and never commit; the route or the scheduler's job wrapper commits.
"""

import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import LazyString, format_date
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import contains_eager, selectinload

from fieldlab import links
from fieldlab.audit import services as audit
from fieldlab.auth.models import Role, User
from fieldlab.evaluations.defaults import DEFAULT_INTRO, DEFAULT_QUESTIONS, DEFAULT_TITLE, RETURN_DAY_TITLE, in_dutch
from fieldlab.evaluations.models import (
    GRADE_MAX,
    GRADE_MIN,
    EvaluationAnswer,
    EvaluationForm,
    EvaluationQuestion,
    EvaluationRequest,
    EvaluationResponse,
    QuestionKind,
)
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, LabKind, Participation
from fieldlab.mail.services import external_url, queue_message
from fieldlab.paging import Page, paginate
from fieldlab.problems.models import Problem
from fieldlab.scheduler import add_job, current
from fieldlab.timeutil import LOCAL_ZONE, as_utc, local, utcnow

# Below this many respondents no results are shown: with one or two, a grade points at a person.
MIN_GROUP_SIZE = 3
REMINDER_AFTER = timedelta(days=5)
TEXT_MAX_LENGTH = 4000
LINK_SALT = "fieldlab.evaluation"


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


# --- Asking: requests, links, reminders, closing -----------------------------------------------

def recipient_ids(form: EvaluationForm) -> list[int]:
    """Who is asked: the Lab's participants for a programme form; for a terugkomdag form, the people
    added with `add_recipients` (or passed to `create_requests`) by the return-days feature."""
    ids = set(db.session.scalars(select(EvaluationRequest.user_id).where(EvaluationRequest.form_id == form.id)))
    if not form.is_return_day_form and form.lab_id is not None:
        ids |= set(db.session.scalars(select(Participation.user_id).join(User, Participation.user_id == User.id)
                                      .where(Participation.lab_id == form.lab_id, User.erased_at.is_(None))))
    return sorted(ids)


def add_recipients(form: EvaluationForm, user_ids) -> list[EvaluationRequest]:
    """Make sure each person has a request row (no mail yet)."""
    existing = {request.user_id: request for request in db.session.scalars(
        select(EvaluationRequest).where(EvaluationRequest.form_id == form.id))}
    for user_id in dict.fromkeys(user_ids):
        if user_id not in existing:
            existing[user_id] = EvaluationRequest(form_id=form.id, user_id=user_id)
            db.session.add(existing[user_id])
    db.session.flush()
    return [existing[user_id] for user_id in dict.fromkeys(user_ids)]


def open_form(form: EvaluationForm, *, now: datetime) -> None:
    if form.opened_at is None:
        form.opened_at = now
        form.deadline_at = now + timedelta(days=form.deadline_days)
        db.session.flush()


def create_requests(form: EvaluationForm, user_ids, *, by: User | None = None,
                    now: datetime | None = None) -> list[EvaluationRequest]:
    """Open the form and queue one request mail per person. Re-running never mails twice (the
    outbox key is per form and person), and people who already answered are not asked again."""
    now = now or utcnow()
    if form.is_closed(now):
        raise FormNotOpen(_("Deze evaluatie is gesloten."))
    if not form.active_questions:
        raise EvaluationError(_("Deze evaluatie heeft nog geen vragen."))
    requests = add_recipients(form, user_ids)
    if not requests:
        raise EvaluationError(_("Er is niemand om de evaluatie naar te sturen."))
    open_form(form, now=now)
    people = {user.id: user for user in db.session.scalars(select(User).where(
        User.id.in_([request.user_id for request in requests])))}
    for request in requests:
        person = people[request.user_id]
        if request.used or not person.active:
            continue
        _mail(request, person, "evaluation_request", key=f"evaluation:form{form.id}:user{person.id}:request",
              now=now)
        request.requested_at = request.requested_at or now
    if by is not None:
        audit.record("evaluation_sent", actor=by, obj=form, now=now, recipients=len(requests))
    db.session.flush()
    return requests


def remind_non_responders(form: EvaluationForm, *, now: datetime | None = None) -> int:
    """One reminder to each person who has not answered, at least REMINDER_AFTER after the request."""
    now = now or utcnow()
    if not form.is_open(now):
        return 0
    due = db.session.scalars(
        select(EvaluationRequest).options(selectinload(EvaluationRequest.user))
        .where(EvaluationRequest.form_id == form.id, EvaluationRequest.used.is_(False),
               EvaluationRequest.reminded_at.is_(None), EvaluationRequest.requested_at.is_not(None),
               EvaluationRequest.requested_at <= now - REMINDER_AFTER)
    ).all()
    count = 0
    for request in due:
        if not request.user.active:
            continue
        _mail(request, request.user, "evaluation_reminder",
              key=f"evaluation:form{form.id}:user{request.user_id}:reminder", now=now)
        request.reminded_at = now
        count += 1
    db.session.flush()
    return count


def close_form(form: EvaluationForm, *, by: User | None = None, now: datetime | None = None) -> None:
    now = now or utcnow()
    if form.closed_at is None:
        form.closed_at = now
        if by is not None:
            audit.record("evaluation_closed", actor=by, obj=form, now=now)
        db.session.flush()


def _mail(request: EvaluationRequest, person: User, template: str, *, key: str, now: datetime) -> None:
    form = request.form
    deadline = form.deadline_at.astimezone(LOCAL_ZONE) if form.deadline_at else None
    queue_message(key=key, to=person.email, template=template, locale=person.locale or "nl", now=now,
                  person=person, form=form, subject_name=subject_name(form), deadline=deadline,
                  link=external_url("evaluations.answer_by_link", token=make_link_token(request)))


def form_subject(form: EvaluationForm) -> str:
    """What a form is for, enough to tell two forms with one title apart: the Lab, and for a
    return day's form the team and the date ("Field Lab X · Team Kompas · terugkomdag 4 dec 2026")."""
    parts = [form.lab.name] if form.lab is not None else []
    return_day = form.return_day
    if return_day is not None:
        if return_day.team is not None:
            parts.append(return_day.team.name)
        parts.append(_("terugkomdag %(date)s", date=format_date(as_utc(return_day.starts_at).astimezone(LOCAL_ZONE).date(),
                                                                "medium")))
    else:
        parts.append(_("programma"))
    return " · ".join(parts)


def subject_name(form: EvaluationForm) -> str:
    """What is evaluated, in words a participant recognises (no case content): the return day by
    its team, day number and date, so its request is not mistaken for the programme's
    evaluation; else the Lab's name. Lazy, so a mail renders it in the recipient's language."""
    if form.return_day is not None:
        return_day = form.return_day
        owner = return_day.team.name if return_day.team is not None else return_day.lab.name
        return LazyString(_return_day_subject, return_day.day_number, owner, local(return_day.starts_at).date())
    if form.lab is not None:
        return form.lab.name
    return form.title


def _return_day_subject(number: int, owner: str, day) -> str:
    return _("de terugkomdag van dag %(number)s van %(owner)s op %(day)s", number=number, owner=owner,
             day=format_date(day, "d MMMM y"))


def make_link_token(request: EvaluationRequest) -> str:
    return links.sign(LINK_SALT, {"r": request.id, "n": request.nonce})


def request_for_token(token: str) -> EvaluationRequest:
    """The request a mailed link stands for. The link's own age limit is generous; the form's
    deadline is what really closes it."""
    max_age = current_app.config.get("EVALUATION_LINK_MAX_AGE", timedelta(days=90))
    try:
        data = links.unsign(LINK_SALT, token, max_age=max_age)
    except links.LinkError as error:
        raise InvalidLink(error.reason) from error
    request = db.session.get(EvaluationRequest, data.get("r"))
    if request is None or not hmac.compare_digest(request.nonce, str(data.get("n", ""))):
        raise InvalidLink("unknown")
    return request


def request_for_user(form: EvaluationForm, user: User) -> EvaluationRequest | None:
    return db.session.scalar(select(EvaluationRequest).where(
        EvaluationRequest.form_id == form.id, EvaluationRequest.user_id == user.id))


def open_requests_for(user: User, *, now: datetime) -> list[EvaluationRequest]:
    """The home page's 'Open evaluaties': asked, not answered, still open."""
    requests = db.session.scalars(
        select(EvaluationRequest).join(EvaluationForm)
        .options(contains_eager(EvaluationRequest.form).joinedload(EvaluationForm.lab))
        .where(EvaluationRequest.user_id == user.id, EvaluationRequest.used.is_(False),
               EvaluationForm.opened_at.is_not(None), EvaluationForm.closed_at.is_(None))
        .order_by(EvaluationForm.deadline_at)
    ).all()
    return [request for request in requests if request.form.is_open(now)]


# --- Answering ----------------------------------------------------------------------------------

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
    consumed = db.session.execute(
        update(EvaluationRequest).where(EvaluationRequest.id == request.id, EvaluationRequest.used.is_(False))
        .values(used=True).execution_options(synchronize_session=False)
    ).rowcount
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


# --- Results ------------------------------------------------------------------------------------

def _round1(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class QuestionResult:
    question: EvaluationQuestion
    count: int = 0
    average: float | None = None
    choice_counts: list[tuple[str, int]] = field(default_factory=list)
    texts: list[tuple[str, str | None]] = field(default_factory=list)  # (text, respondent name or None)


@dataclass
class FormResults:
    form: EvaluationForm
    asked: int
    responded: int
    shown: bool
    overall: QuestionResult | None = None
    overall_median: float | None = None
    histogram: list[tuple[int, int]] = field(default_factory=list)  # (grade 1..10, count)
    aspects: list[QuestionResult] = field(default_factory=list)
    choices: list[QuestionResult] = field(default_factory=list)
    comments: list[QuestionResult] = field(default_factory=list)
    # An anonymous form's comments wait until it closes (see `form_results`).
    comments_held: bool = False

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.asked * 100 if self.asked else None

    @property
    def min_group_size(self) -> int:
        return MIN_GROUP_SIZE


def _comment_order(form: EvaluationForm, text: str) -> str:
    """A fixed shuffle per form: a keyed hash of the text. Not the order of arrival (which the
    database does not keep for anonymous answers, but a list in arrival order would give away),
    and not the alphabet either, which respondents can steer ("1. …", "respondent 2")."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"evaluation-comments:{form.id}:{text}".encode(), "sha256").hexdigest()


def form_results(form: EvaluationForm, *, now: datetime) -> FormResults:
    """Everything the result page shows. Nothing but counts when fewer than MIN_GROUP_SIZE answered.

    The comments of an anonymous form appear once it is closed: while it is open, a reader who
    looks after each new answer could tell which comment just arrived, whatever the order, and
    match it to the person who was just reminded or seen answering."""
    asked = db.session.scalar(select(func.count()).select_from(EvaluationRequest)
                              .where(EvaluationRequest.form_id == form.id))
    responses = db.session.scalars(
        select(EvaluationResponse).options(selectinload(EvaluationResponse.answers),
                                           selectinload(EvaluationResponse.user))
        .where(EvaluationResponse.form_id == form.id).order_by(EvaluationResponse.id)
    ).all()
    results = FormResults(form=form, asked=asked, responded=len(responses),
                          shown=len(responses) >= MIN_GROUP_SIZE,
                          comments_held=form.anonymous and not form.is_closed(now))
    if not results.shown:
        return results
    by_question: dict[int, list[tuple[EvaluationAnswer, EvaluationResponse]]] = {}
    for response in responses:
        for answer in response.answers:
            by_question.setdefault(answer.question_id, []).append((answer, response))
    questions = [q for q in sorted(form.questions, key=lambda q: (q.position, q.version))
                 if not q.retired or q.id in by_question]
    for question in questions:
        answers = by_question.get(question.id, [])
        result = QuestionResult(question=question, count=len(answers))
        if question.kind == QuestionKind.GRADE:
            grades = [answer.grade for answer, _response in answers]
            result.average = _round1(sum(grades) / len(grades)) if grades else None
            if question.is_overall:
                if results.overall is None or not question.retired:
                    results.overall = result
                    results.overall_median = _round1(median(grades)) if grades else None
                    bins = {grade: 0 for grade in range(GRADE_MIN, GRADE_MAX + 1)}
                    for grade in grades:
                        bins[int(Decimal(str(grade)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))] += 1
                    results.histogram = sorted(bins.items())
            else:
                results.aspects.append(result)
        elif question.kind == QuestionKind.CHOICE:
            counts = {choice: 0 for choice in question.choices}
            for answer, _response in answers:
                counts[answer.choice] = counts.get(answer.choice, 0) + 1
            result.choice_counts = list(counts.items())
            results.choices.append(result)
        else:
            if not results.comments_held:
                result.texts = sorted(
                    ((answer.text, None if response.anonymous or response.user is None else response.user.name)
                     for answer, response in answers),
                    key=lambda item: _comment_order(form, item[0]) if form.anonymous else (item[1] or "", item[0]))
            results.comments.append(result)
    return results


# --- Annual figures across Labs ------------------------------------------------------------------

@dataclass
class LabFigures:
    lab: Lab
    participants: int
    asked: int
    responses: int
    average: float | None


@dataclass
class YearFigures:
    year: int
    programmes: int
    participants: int
    responses: int
    average: float | None
    trend: float | None = None
    labs: list[LabFigures] = field(default_factory=list)


def annual_figures() -> list[YearFigures]:
    """Per year: programmes (Labs for teams or individuals that started that year), participants,
    responses to programme forms, and the average overall grade, with the change against the year
    before. An average of fewer than MIN_GROUP_SIZE responses is not shown."""
    labs = db.session.scalars(select(Lab).where(Lab.programme_starts_on.is_not(None),
                                                Lab.kind != LabKind.SPEEDLAB)).all()
    participants = dict(db.session.execute(select(Participation.lab_id, func.count())
                                           .group_by(Participation.lab_id)).all())
    form_rows = db.session.execute(
        select(EvaluationForm.id, EvaluationForm.lab_id).where(EvaluationForm.return_day_id.is_(None),
                                                              EvaluationForm.lab_id.is_not(None))).all()
    forms_of_lab: dict[int, list[int]] = {}
    for form_id, lab_id in form_rows:
        forms_of_lab.setdefault(lab_id, []).append(form_id)
    counts = counts_by_form([form_id for form_id, _lab in form_rows])
    overall_grades: dict[int, list[float]] = {}
    for form_id, grade in db.session.execute(
        select(EvaluationResponse.form_id, EvaluationAnswer.grade)
        .join(EvaluationAnswer, EvaluationAnswer.response_id == EvaluationResponse.id)
        .join(EvaluationQuestion, EvaluationQuestion.id == EvaluationAnswer.question_id)
        .where(EvaluationQuestion.is_overall.is_(True), EvaluationAnswer.grade.is_not(None))
    ):
        overall_grades.setdefault(form_id, []).append(grade)

    years: dict[int, YearFigures] = {}
    year_grades: dict[int, list[float]] = {}
    for lab in sorted(labs, key=lambda lab: (lab.programme_starts_on, lab.name)):
        year = lab.programme_starts_on.year
        figures = years.setdefault(year, YearFigures(year=year, programmes=0, participants=0, responses=0,
                                                     average=None))
        lab_forms = forms_of_lab.get(lab.id, [])
        grades = [grade for form_id in lab_forms for grade in overall_grades.get(form_id, [])]
        responses = sum(counts[form_id][1] for form_id in lab_forms)
        figures.programmes += 1
        figures.participants += participants.get(lab.id, 0)
        figures.responses += responses
        year_grades.setdefault(year, []).extend(grades)
        figures.labs.append(LabFigures(
            lab=lab, participants=participants.get(lab.id, 0), asked=sum(counts[f][0] for f in lab_forms),
            responses=responses,
            average=_round1(sum(grades) / len(grades)) if len(grades) >= MIN_GROUP_SIZE else None))
    ordered = [years[year] for year in sorted(years)]
    previous = None
    for figures in ordered:
        grades = year_grades[figures.year]
        figures.average = _round1(sum(grades) / len(grades)) if len(grades) >= MIN_GROUP_SIZE else None
        if previous is not None and previous.average is not None and figures.average is not None:
            figures.trend = _round1(figures.average - previous.average)
        previous = figures
    return ordered


# --- Exports -----------------------------------------------------------------------------------

def export_table(form: EvaluationForm) -> tuple[list[str], list[list]]:
    """Header and rows: one row per response. Anonymous forms carry no name, no time and no id."""
    questions = [q for q in sorted(form.questions, key=lambda q: (q.position, q.version))]
    answered_ids = set(db.session.scalars(
        select(EvaluationAnswer.question_id).join(EvaluationResponse)
        .where(EvaluationResponse.form_id == form.id)))
    questions = [q for q in questions if not q.retired or q.id in answered_ids]
    header = [] if form.anonymous else [_("Naam"), _("Ingevuld op")]
    header.append(_("Formulierversie"))
    for question in questions:
        label = question.text if question.version == 1 else _("%(text)s (versie %(version)s)",
                                                              text=question.text, version=question.version)
        header.append(label)
    rows = []
    responses = db.session.scalars(
        select(EvaluationResponse).options(selectinload(EvaluationResponse.answers),
                                           selectinload(EvaluationResponse.user))
        .where(EvaluationResponse.form_id == form.id).order_by(EvaluationResponse.id)).all()
    for response in responses:
        answers = {answer.question_id: answer for answer in response.answers}
        row: list = []
        if not form.anonymous:
            row.append(response.user.name if response.user else "")
            row.append(response.submitted_at.astimezone(LOCAL_ZONE).replace(tzinfo=None)
                       if response.submitted_at else None)
        row.append(response.form_version)
        for question in questions:
            answer = answers.get(question.id)
            if answer is None:
                row.append(None)
            elif question.kind == QuestionKind.GRADE:
                row.append(answer.grade if question.allow_decimal else int(answer.grade))
            elif question.kind == QuestionKind.CHOICE:
                row.append(answer.choice)
            else:
                row.append(answer.text)
        rows.append(row)
    return header, rows


def export_csv(form: EvaluationForm, *, by: User, now: datetime | None = None) -> str:
    """Semicolon-separated with decimal commas and a byte-order mark: opens as-is in Dutch Excel."""
    import csv
    import io

    header, rows = export_table(form)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    audit.record("evaluation_exported", actor=by, obj=form, now=now, format="csv", rows=len(rows))
    db.session.flush()
    return buffer.getvalue()


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def export_xlsx(form: EvaluationForm, *, by: User, now: datetime | None = None) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = export_table(form)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Antwoorden")[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit.record("evaluation_exported", actor=by, obj=form, now=now, format="xlsx", rows=len(rows))
    db.session.flush()
    return buffer.getvalue()


def export_filename(form: EvaluationForm, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (str(subject_name(form)) or "evaluatie").lower()).strip("-")[:50]
    return f"evaluatie-{form.id}-{slug}.{extension}"


# --- Scheduling ---------------------------------------------------------------------------------

def return_day_form(return_day, *, now: datetime) -> EvaluationForm:
    """The return day's form, made on first use from the default questions."""
    form = db.session.scalar(select(EvaluationForm).where(EvaluationForm.return_day_id == return_day.id))
    if form is None:
        form = create_form(lab=return_day.lab, return_day_id=return_day.id, now=now,
                           title=in_dutch(RETURN_DAY_TITLE) % {"day": return_day.day_number})
    return form


def request_return_day_evaluation(return_day, *, now: datetime) -> EvaluationForm | None:
    """Called when a return day ends: team members who did not say no get a request; the reminder
    and the closing are scheduled when a scheduler runs in this process (the lazy deadline check
    closes the form anyway)."""
    user_ids = sorted({invitation.user_id for invitation in return_day.invitations
                       if invitation.user_id is not None and invitation.removed_at is None
                       and invitation.role == "member" and invitation.response != "no"})
    if not user_ids:
        return None
    form = return_day_form(return_day, now=now)
    if form.is_closed(now):
        return form
    create_requests(form, user_ids, now=now)
    scheduler = current()
    if scheduler is not None:
        schedule_followups(scheduler, form, sent_at=now)
    return form


def outbox_withdrawal_reason(message, now: datetime) -> str | None:
    """A queued evaluation request or reminder whose form has closed is not sent anymore."""
    match = re.match(r"^evaluation:form(\d+):", message.idempotency_key)
    if match is None:
        return None
    form = db.session.get(EvaluationForm, int(match.group(1)))
    if form is None or form.is_closed(now):
        return _("het evaluatieformulier is gesloten")
    return None


def schedule_followups(scheduler, form: EvaluationForm, *, sent_at: datetime) -> None:
    ids = job_ids(form.id)
    add_job(scheduler, ids["remind"], "fieldlab.evaluations.jobs:remind_non_responders", form.id,
            trigger="date", run_date=sent_at + REMINDER_AFTER)
    add_job(scheduler, ids["close"], "fieldlab.evaluations.jobs:close_form", form.id,
            trigger="date", run_date=sent_at + timedelta(days=form.deadline_days))


def job_ids(form_id: int) -> dict[str, str]:
    return {name: f"evaluation:{form_id}:{name}" for name in ("request", "remind", "close")}


def programme_end(lab: Lab) -> datetime | None:
    """The end of a programme's last intensive day (17:00 local time), when its evaluation goes out."""
    if lab.programme_ends_on is None:
        return None
    return datetime.combine(lab.programme_ends_on, time(17, 0), tzinfo=LOCAL_ZONE).astimezone(UTC)


def schedule_evaluation_jobs(scheduler, form: EvaluationForm, *, send_at: datetime) -> dict[str, str]:
    """Request at `send_at`, reminder REMINDER_AFTER later, closing at the deadline. Ids only and
    deterministic job ids, so scheduling again (a moved date) replaces the jobs."""
    ids = job_ids(form.id)
    add_job(scheduler, ids["request"], "fieldlab.evaluations.jobs:request_evaluations", form.id,
            trigger="date", run_date=send_at)
    schedule_followups(scheduler, form, sent_at=send_at)
    return ids


def status_label(form: EvaluationForm, now: datetime) -> str:
    if form.opened_at is None:
        return _("nog niet verstuurd")
    if form.is_closed(now):
        return _("gesloten")
    return _("open")
