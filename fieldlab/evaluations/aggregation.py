"""Results: one form's figures (averages, median, histogram, choices, comments) and the annual
figures across Labs, never shown for fewer than MIN_GROUP_SIZE respondents.

It stands alone because it is where the anonymity rules for reading answers live, in one place:
the result page, the annual page and both reports (`reports.lab_report`, `reports.hub_report`)
read evaluations only through these functions.
"""

import hmac
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

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
from fieldlab.evaluations.services import counts_by_form
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, LabKind, Participation

# Below this many respondents no results are shown: with one or two, a grade points at a person.
MIN_GROUP_SIZE = 3


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
