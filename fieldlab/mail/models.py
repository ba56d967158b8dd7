from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fieldlab.extensions import db
from fieldlab.models import LabelledEnum, UTCDateTime
from fieldlab.timeutil import utcnow


class MessageStatus(LabelledEnum):
    QUEUED = "queued", _l("in de wachtrij")
    SENT = "sent", _l("verzonden")
    FAILED = "failed", _l("mislukt")


class OutboxMessage(db.Model):
    """An e-mail waiting for, or past, delivery. Jobs and services write rows; only the sender
    talks SMTP. The unique idempotency key makes queueing the same message twice a no-op."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(250))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # [{"filename": ..., "content_type": "text/calendar; method=REQUEST", "content": "<text>"}]
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=MessageStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status_label(self) -> str:
        return MessageStatus(self.status).label

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status}>"
