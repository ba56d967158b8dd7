"""Evaluation forms, their questions (with versions), requests with single-use links, and responses.

Anonymity is a property of the schema, not only of the screens: a response of an anonymous form
has no user id, no request id, no exact timestamp and a random (not sequential) id, and its answers
are keyed by (response, question) only. The request row knows *that* a person answered (so the
reminder skips them), never *what* or *which* response.
"""

import secrets
import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import LabelledEnum, UTCDateTime
from fieldlab.timeutil import utcnow

GRADE_MIN = 1
GRADE_MAX = 10


class QuestionKind(LabelledEnum):
    GRADE = "grade", _l("cijfer van 1 tot en met 10")
    CHOICE = "choice", _l("keuze uit mogelijkheden")
    TEXT = "text", _l("open vraag")


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def new_response_id() -> str:
    """Random, so the order of ids does not reveal the order in which people answered."""
    return uuid.uuid4().hex


class EvaluationForm(db.Model):
    """A questionnaire for one programme (a Lab) or one terugkomdag.

    A return-day form may also carry its Lab, which decides who may read its results.
    """

    __tablename__ = "evaluation_form"
    __table_args__ = (
        CheckConstraint("lab_id IS NOT NULL OR return_day_id IS NOT NULL", name="attached"),
        CheckConstraint("deadline_days BETWEEN 1 AND 90", name="deadline_days"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[int | None] = mapped_column(ForeignKey("lab.id", ondelete="CASCADE"), index=True)
    return_day_id: Mapped[int | None] = mapped_column(ForeignKey("return_day.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    deadline_days: Mapped[int] = mapped_column(default=14)
    # Raised each time an edit replaces an answered question by a new version of it.
    version: Mapped[int] = mapped_column(default=1)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    lab = relationship("Lab")
    return_day = relationship("ReturnDay")
    questions: Mapped[list["EvaluationQuestion"]] = relationship(
        back_populates="form", cascade="all, delete-orphan",
        order_by="(EvaluationQuestion.position, EvaluationQuestion.version)",
    )
    requests: Mapped[list["EvaluationRequest"]] = relationship(back_populates="form", cascade="all, delete-orphan")
    responses: Mapped[list["EvaluationResponse"]] = relationship(back_populates="form", cascade="all, delete-orphan")

    @property
    def active_questions(self) -> list["EvaluationQuestion"]:
        return [question for question in self.questions if not question.retired]

    @property
    def is_return_day_form(self) -> bool:
        return self.return_day_id is not None

    def is_open(self, now: datetime) -> bool:
        """Open from the first request until the deadline; closing is lazy too (no job needed)."""
        return (self.opened_at is not None and self.closed_at is None
                and (self.deadline_at is None or now < self.deadline_at))

    def is_closed(self, now: datetime) -> bool:
        return self.closed_at is not None or (self.deadline_at is not None and now >= self.deadline_at)

    def __repr__(self) -> str:
        return f"<EvaluationForm {self.id} v{self.version}>"


class EvaluationQuestion(db.Model):
    """One version of a question. An answered question is never edited: the edit retires it and adds
    version n+1 under the same `key`, so every answer keeps pointing at the text it answered."""

    __tablename__ = "evaluation_question"
    __table_args__ = (
        UniqueConstraint("form_id", "key", "version"),
        CheckConstraint("kind IN ('grade', 'choice', 'text')", name="kind"),
        CheckConstraint("allow_decimal = false OR kind = 'grade'", name="decimal_grade_only"),
        CheckConstraint("is_overall = false OR kind = 'grade'", name="overall_is_grade"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("evaluation_form.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str] = mapped_column(String(300), default="")
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    choices: Mapped[list] = mapped_column(JSON, default=list)
    # The overall grade of the programme: the one the annual figures average.
    is_overall: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_decimal: Mapped[bool] = mapped_column(Boolean, default=False)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    form = relationship(EvaluationForm, back_populates="questions")

    @property
    def kind_label(self) -> str:
        return QuestionKind(self.kind).label

    @property
    def is_aspect(self) -> bool:
        return self.kind == QuestionKind.GRADE and not self.is_overall

    @property
    def field_name(self) -> str:
        return f"q{self.id}"

    def __repr__(self) -> str:
        return f"<EvaluationQuestion {self.id} {self.key} v{self.version}>"


class EvaluationRequest(db.Model):
    """The request to one person to fill in one form, and the single-use link's secret.

    `used` is all it records of the answer: not when, not which response.
    """

    __tablename__ = "evaluation_request"
    __table_args__ = (UniqueConstraint("form_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("evaluation_form.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(40), default=new_nonce)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    form = relationship(EvaluationForm, back_populates="requests")
    user = relationship("User")

    def __repr__(self) -> str:
        return f"<EvaluationRequest {self.id} form={self.form_id}>"


class EvaluationResponse(db.Model):
    """One person's filled-in form. Named forms keep the user and the time; anonymous forms keep
    neither (both columns stay NULL, which the CHECK enforces)."""

    __tablename__ = "evaluation_response"
    __table_args__ = (
        UniqueConstraint("form_id", "user_id"),
        CheckConstraint("anonymous = false OR (user_id IS NULL AND submitted_at IS NULL)", name="anonymous"),
        CheckConstraint("anonymous = true OR user_id IS NOT NULL", name="named"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_response_id)
    form_id: Mapped[int] = mapped_column(ForeignKey("evaluation_form.id", ondelete="CASCADE"), index=True)
    form_version: Mapped[int] = mapped_column(default=1)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    form = relationship(EvaluationForm, back_populates="responses")
    user = relationship("User")
    answers: Mapped[list["EvaluationAnswer"]] = relationship(back_populates="response",
                                                             cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<EvaluationResponse form={self.form_id}>"


class EvaluationAnswer(db.Model):
    """The answer to one question version. No id of its own: a sequence would show the order."""

    __tablename__ = "evaluation_answer"
    __table_args__ = (
        CheckConstraint(f"grade IS NULL OR (grade >= {GRADE_MIN} AND grade <= {GRADE_MAX})", name="grade_range"),
        CheckConstraint("grade IS NOT NULL OR choice IS NOT NULL OR text IS NOT NULL", name="has_value"),
        Index("ix_evaluation_answer_question", "question_id"),
    )

    response_id: Mapped[str] = mapped_column(ForeignKey("evaluation_response.id", ondelete="CASCADE"),
                                             primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("evaluation_question.id", ondelete="RESTRICT"),
                                             primary_key=True)
    grade: Mapped[float | None] = mapped_column(Float)
    choice: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)

    response = relationship(EvaluationResponse, back_populates="answers")
    question = relationship(EvaluationQuestion)
