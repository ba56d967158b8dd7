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
    WITHDRAWN = "withdrawn", _l("ingetrokken")


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
    # Set (and committed) just before the message is handed to SMTP. A queued message that still
    # has it was perhaps accepted by the server before the sender died: it goes again with the
    # same Message-ID, so mail systems can drop the duplicate, and `resent_at` says so.
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why a queued message was not sent after all (its event began or was cancelled).
    withdrawn_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")

    @property
    def forgets_recipient(self) -> bool:
        """See mail.services.FORGET_AFTER_SENDING (not imported: models import no services)."""
        return self.idempotency_key.startswith("forget:")

    @property
    def status_label(self) -> str:
        return MessageStatus(self.status).label

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status}>"
