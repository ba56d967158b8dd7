from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import LabelledEnum, UTCDateTime
from fieldlab.timeutil import utcnow


class ProblemStatus(LabelledEnum):
    DRAFT = "draft", _l("concept")
    SUBMITTED = "submitted", _l("ingediend")
    ACCEPTED = "accepted", _l("geaccepteerd")
    REJECTED = "rejected", _l("afgewezen")
    WITHDRAWN = "withdrawn", _l("ingetrokken")


class Confidentiality(LabelledEnum):
    PUBLIC = "openbaar", _l("openbaar")
    INTERNAL = "intern", _l("intern")
    CONFIDENTIAL = "vertrouwelijk", _l("vertrouwelijk")

    @property
    def hint(self) -> str:
        return str(CONFIDENTIALITY_HINTS[self])


CONFIDENTIALITY_HINTS = {
    Confidentiality.PUBLIC: _l("De titel en omschrijving mogen in overzichten van de Hub staan."),
    Confidentiality.INTERNAL: _l("Zichtbaar voor uw organisatie, de facilitatoren en de deelnemers van het Lab."),
    Confidentiality.CONFIDENTIAL: _l("Alleen zichtbaar voor uw organisatie, de facilitatoren en het team dat "
                                     "eraan werkt."),
}


class ProblemEventKind(LabelledEnum):
    """What can happen to a vraagstuk; the history on its page lists these."""

    CREATED = "created", _l("aangemaakt als concept")
    EDITED = "edited", _l("gewijzigd")
    SUBMITTED = "submitted", _l("ingediend bij de Field Lab Hub")
    WITHDRAWN = "withdrawn", _l("ingetrokken")
    QUESTION = "question", _l("vraag gesteld door de facilitator")
    ANSWER = "answer", _l("vraag beantwoord")
    ACCEPTED = "accepted", _l("geaccepteerd")
    REJECTED = "rejected", _l("afgewezen")
    ATTACHED = "attached", _l("gekoppeld aan een Lab")
    DETACHED = "detached", _l("losgekoppeld van een Lab")


class SuitabilityAnswer(LabelledEnum):
    YES = "ja", _l("ja")
    NO = "nee", _l("nee")
    UNKNOWN = "weet-niet", _l("weet ik niet")


problem_organisation = db.Table(
    "problem_organisation",
    db.Column("problem_id", ForeignKey("problem.id", ondelete="CASCADE"), primary_key=True),
    db.Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
)


class ProblemStatusLabelled:
    """The words for a vraagstuk's status, for anything that has one: the model and the list's
    rows (problems.listing.ProblemListRow), which carry the status without being a Problem."""

    __slots__ = ()
    status: str

    @property
    def status_label(self) -> str:
        return ProblemStatus(self.status).label


class Problem(ProblemStatusLabelled, db.Model):
    """A vraagstuk: a stuck safety problem an opdrachtgever brings to the Field Lab Hub.
    Its facts and concerns never leave the app in an e-mail; messages carry a link only."""

    __tablename__ = "problem"
    __table_args__ = (
        CheckConstraint("staff_offered >= 0", name="staff_offered"),
        CheckConstraint("confidentiality IN ('openbaar', 'intern', 'vertrouwelijk')", name="confidentiality"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    lab_id: Mapped[int | None] = mapped_column(ForeignKey("lab.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[str] = mapped_column(Text, default="")
    concerns: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str] = mapped_column(String(120), default="")
    confidentiality: Mapped[str] = mapped_column(String(20), default=Confidentiality.INTERNAL)
    status: Mapped[str] = mapped_column(String(20), default=ProblemStatus.DRAFT, index=True)
    staff_offered: Mapped[int] = mapped_column(default=0)
    expertise_needed: Mapped[list] = mapped_column(JSON, default=list)
    # Who the organisation makes available, by name or function (optional, free text).
    staff_names: Mapped[str] = mapped_column(Text, default="")
    desired_start: Mapped[date | None] = mapped_column(Date)
    # The six "when is a Field Lab the right tool" answers: {question key: "ja" | "nee" | "weet-niet"}.
    suitability: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: an edit based on an older version is refused, never silently merged.
    version: Mapped[int] = mapped_column(default=1)

    commissioner = relationship("User")
    organisation = relationship("Organisation")
    lab = relationship("Lab", back_populates="problems")
    organisations_involved = relationship("Organisation", secondary=problem_organisation,
                                          order_by="Organisation.name")
    events: Mapped[list["ProblemEvent"]] = relationship(
        back_populates="problem", cascade="all, delete-orphan", order_by="ProblemEvent.id",
    )
    questions: Mapped[list["ProblemQuestion"]] = relationship(
        back_populates="problem", cascade="all, delete-orphan", order_by="ProblemQuestion.id",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def confidentiality_label(self) -> str:
        return Confidentiality(self.confidentiality).label

    @property
    def is_open_for_edit(self) -> bool:
        """The opdrachtgever may change it until a facilitator has decided."""
        return self.status in {ProblemStatus.DRAFT, ProblemStatus.SUBMITTED}

    @property
    def open_questions(self) -> list["ProblemQuestion"]:
        return [question for question in self.questions if question.answered_at is None]

    def __repr__(self) -> str:
        return f"<Problem {self.id} {self.status}>"


class ProblemEvent(db.Model):
    """One line of a vraagstuk's history. Never updated; `note` is shown next to the kind
    (a rejection's reason, the Lab it was attached to)."""

    __tablename__ = "problem_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    problem = relationship(Problem, back_populates="events")
    actor = relationship("User")

    @property
    def label(self) -> str:
        return ProblemEventKind(self.kind).label

    def __repr__(self) -> str:
        return f"<ProblemEvent {self.id} {self.kind}>"


class ProblemQuestion(db.Model):
    """A facilitator's question about a vraagstuk, answered by the opdrachtgever on the page
    (the e-mail only says there is a question, with a link)."""

    __tablename__ = "problem_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    problem = relationship(Problem, back_populates="questions")
    asked_by = relationship("User", foreign_keys=[asked_by_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])

    def __repr__(self) -> str:
        return f"<ProblemQuestion {self.id}>"
