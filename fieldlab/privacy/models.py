from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import UTCDateTime
from fieldlab.timeutil import utcnow


class RetentionPostponement(db.Model):
    """A facilitator kept one person's data past the retention date (a running complaint, a legal
    hold): the nightly purge leaves the person alone before `until`. One row per person; a new
    postponement replaces the old one (the audit log keeps both)."""

    __tablename__ = "retention_postponement"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    until: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])
    by = relationship("User", foreign_keys=[by_id])
