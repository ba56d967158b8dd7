"""The follow-up step: a row per scheduled step, written with the change that caused it."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fieldlab.extensions import db
from fieldlab.models import LabelledEnum, UTCDateTime
from fieldlab.timeutil import utcnow


class StepStatus(LabelledEnum):
    PENDING = "pending", _l("gepland")
    DONE = "done", _l("uitgevoerd")
    SKIPPED = "skipped", _l("overgeslagen")
    FAILED = "failed", _l("mislukt")


class FollowUpStep(db.Model):
    """One scheduled step of some kind (`signal_reminder`, `signal_effect`, ...) for a subject
    (the id of a signal, a team result ...). `key` is unique so the same step is written once."""

    __tablename__ = "follow_up_step"
    __table_args__ = (
        Index("ix_follow_up_step_due", "status", "due_at"),
        Index("ix_follow_up_step_subject", "kind", "subject_id"),
        CheckConstraint("status IN ('pending', 'done', 'skipped', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=StepStatus.PENDING)
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status_label(self) -> str:
        return StepStatus(self.status).label

    @property
    def pending(self) -> bool:
        return self.status == StepStatus.PENDING

    def __repr__(self) -> str:
        return f"<FollowUpStep {self.key} {self.status}>"
