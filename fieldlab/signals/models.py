"""The bestuurlijk signaal (to the Landelijk Loket Bestuurlijke Signalen) and its history.

A signal asks a minister's attention for a structural weakness in legal processes that criminals
misuse. It starts as a draft of a team (or of a facilitator), passes the Loket's steps (see
`statemachine.py`) and ends with the effect question six months after it was closed.
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Column, Date, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import LabelledEnum, UTCDateTime
from fieldlab.timeutil import utcnow


class SignalStatus(LabelledEnum):
    CONCEPT = "concept", _l("Concept")
    LOKET_ADVICE = "loket_advice", _l("Advies Loket")
    CONSULTATION = "consultation", _l("Toetsingsoverleg")
    SUBMITTED = "submitted", _l("Definitief ingediend")
    OFFERED = "offered", _l("Aangeboden aan de bewindspersonen")
    REACTION = "reaction", _l("Reactie ontvangen")
    CLOSED = "closed", _l("Afgerond")
    EFFECT = "effect", _l("Effect nagevraagd")


class LegalProcessKind(LabelledEnum):
    LAW = "law", _l("Wet")
    REGULATION = "regulation", _l("Regelgeving")
    SUBSIDY = "subsidy", _l("Subsidie")
    PERMIT = "permit", _l("Vergunning")
    OTHER = "other", _l("Ander juridisch proces")


class MisuseEvidence(LabelledEnum):
    PROVEN = "proven", _l("Aangetoond: vaak misbruikt")
    EXPECTED = "expected", _l("Verwacht: naar verwachting vaak misbruikt")


class ConsultationOutcome(LabelledEnum):
    CONFIRMED = "confirmed", _l("Feiten bevestigd")
    CHANGES = "changes", _l("Aanpassingen nodig")


signal_submitter = Table(
    "signal_submitter",
    db.metadata,
    Column("signal_id", ForeignKey("signal.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
)


class Signal(db.Model):
    __tablename__ = "signal"
    __table_args__ = (CheckConstraint(
        "status IN ('concept', 'loket_advice', 'consultation', 'submitted', 'offered', 'reaction', 'closed', "
        "'effect')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("lab.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=SignalStatus.CONCEPT)

    # The draft
    bottleneck: Mapped[str] = mapped_column(String(500))  # the structural bottleneck, one sentence
    facts: Mapped[str] = mapped_column(Text, default="")
    legal_process: Mapped[str] = mapped_column(Text, default="")
    legal_process_kind: Mapped[str] = mapped_column(String(20), default="")
    ministries: Mapped[list] = mapped_column(JSON, default=list)  # addressed bewindspersonen, one per item
    measures: Mapped[str] = mapped_column(Text, default="")
    submitter_contacts: Mapped[str] = mapped_column(Text, default="")  # e-mail addresses of the indieners, one a line
    # The three criteria, explained by the drafters
    misuse_explanation: Mapped[str] = mapped_column(Text, default="")
    structural_explanation: Mapped[str] = mapped_column(Text, default="")
    misuse_evidence: Mapped[str] = mapped_column(String(20), default="")
    national_explanation: Mapped[str] = mapped_column(Text, default="")
    minister_can_change: Mapped[bool] = mapped_column(default=False)
    # On whose behalf it is submitted: the strategic representative of the partner organisation
    representative_name: Mapped[str] = mapped_column(String(200), default="")
    representative_email: Mapped[str] = mapped_column(String(254), default="")
    representative_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    confirmation_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    representative_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The Loket's steps
    loket_advice: Mapped[str] = mapped_column(Text, default="")
    consultation_on: Mapped[date | None] = mapped_column(Date)
    consultation_outcome: Mapped[str] = mapped_column(String(20), default="")
    consultation_notes: Mapped[str] = mapped_column(Text, default="")
    offered_on: Mapped[date | None] = mapped_column(Date)
    reaction_on: Mapped[date | None] = mapped_column(Date)
    reaction_text: Mapped[str] = mapped_column(Text, default="")
    reaction_reference: Mapped[str] = mapped_column(String(300), default="")
    closed_on: Mapped[date | None] = mapped_column(Date)
    effect_answer: Mapped[str] = mapped_column(Text, default="")
    effect_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lab = relationship("Lab")
    team = relationship("Team")
    representative = relationship("User", foreign_keys=[representative_user_id])
    submitters = relationship("Organisation", secondary=signal_submitter, order_by="Organisation.name")
    events: Mapped[list["SignalEvent"]] = relationship(
        back_populates="signal", cascade="all, delete-orphan", order_by="SignalEvent.at, SignalEvent.id")

    @property
    def status_label(self) -> str:
        return SignalStatus(self.status).label

    @property
    def is_draft(self) -> bool:
        """Before the definitive submission: seen by the team, its facilitators and the representative."""
        return self.status in DRAFT_STATUSES

    @property
    def legal_process_kind_label(self) -> str:
        return LegalProcessKind(self.legal_process_kind).label if self.legal_process_kind else ""

    @property
    def consultation_outcome_label(self) -> str:
        return ConsultationOutcome(self.consultation_outcome).label if self.consultation_outcome else ""

    @property
    def contact_emails(self) -> list[str]:
        return [line.strip() for line in self.submitter_contacts.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<Signal {self.id} {self.status}>"


DRAFT_STATUSES = frozenset({SignalStatus.CONCEPT, SignalStatus.LOKET_ADVICE, SignalStatus.CONSULTATION})


class SignalEvent(db.Model):
    """One transition in a signal's history: from, to, who (an account, or a name for a signed
    link) and when."""

    __tablename__ = "signal_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    by_name: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    signal = relationship("Signal", back_populates="events")
    by = relationship("User")

    @property
    def to_label(self) -> str:
        return SignalStatus(self.to_status).label

    @property
    def who(self) -> str:
        return self.by.name if self.by is not None else self.by_name

    def __repr__(self) -> str:
        return f"<SignalEvent {self.signal_id} {self.from_status}->{self.to_status}>"
