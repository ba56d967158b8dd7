"""Deliver queued outbox messages over SMTP, with retries and backoff.

Runs as a scheduler job (every MAIL_DRAIN_INTERVAL) and can be called directly by tests. It only
ever sees committed rows, so a message is handed to SMTP only after the transaction that queued
it committed. On PostgreSQL rows are claimed with SKIP LOCKED so two senders never take the same one.

Just before a message goes out, the withdrawal rules of the features are asked whether it still
makes sense (an invitation for a day that has begun or was cancelled does not), and the claim is
committed: `sending_since` set and the next attempt moved a lease ahead. If the sender dies after
the SMTP server accepted the message but before it was marked sent, the message is sent again
after the lease with the same Message-ID (derived from the row), so mail systems can drop the
duplicate; the outbox shows it as resent.
"""

import hashlib
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from sqlalchemy import select

from fieldlab.extensions import db
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.mail.services import withdrawal_reason
from fieldlab.timeutil import utcnow

# How long a claimed message is left alone before another drain assumes its sender died.
SEND_LEASE = timedelta(minutes=5)


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most MAIL_MAX_RETRY."""
    first = current_app.config["MAIL_FIRST_RETRY"]
    return min(first * (2 ** max(attempts - 1, 0)), current_app.config["MAIL_MAX_RETRY"])


def build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message_id(message)
    email["X-Fieldlab-Key"] = message.idempotency_key
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype_and_params = attachment["content_type"].partition("/")
        subtype, *params = [part.strip() for part in subtype_and_params.split(";")]
        email.add_attachment(
            attachment["content"].encode("utf-8"), maintype=maintype, subtype=subtype,
            filename=attachment["filename"],
            params=dict(param.split("=", 1) for param in params if "=" in param),
        )
    return email


def message_id(message: OutboxMessage) -> str:
    """The same Message-ID every time this row is sent, so a resend is recognisably a duplicate."""
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:16]
    return f"<outbox.{message.id}.{digest}@fieldlab>"


def deliver_due(*, now: datetime | None = None, limit: int = 50, should_stop=lambda: False) -> int:
    """Send what is due; commit after each message so a crash never re-sends a delivered one.
    Stops between messages when `should_stop()` says so. Returns the number sent.

    Each message is tried at most once per call: a failure with no retry delay
    (MAIL_FIRST_RETRY = 0) is due again at once, and would otherwise be retried in this same
    drain until its attempts were gone; its next attempt is the next drain's."""
    if not smtp_configured():
        return 0
    now = now or utcnow()
    sent = 0
    tried: set[int] = set()
    while sent < limit and not should_stop():
        due = select(OutboxMessage).where(OutboxMessage.status == MessageStatus.QUEUED,
                                          OutboxMessage.next_attempt_at <= now)
        if tried:
            due = due.where(OutboxMessage.id.not_in(tried))
        message = db.session.scalar(
            due.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1).with_for_update(skip_locked=True)
        )
        if message is None:
            break
        tried.add(message.id)
        reason = withdrawal_reason(message, now)
        if reason:
            message.status = MessageStatus.WITHDRAWN
            message.withdrawn_reason = reason[:300]
            db.session.commit()
            continue
        resend = message.sending_since is not None
        message.sending_since = now
        message.next_attempt_at = now + SEND_LEASE
        db.session.commit()
        try:
            _send(message)
        except Exception as error:  # noqa: BLE001 - a message that cannot be sent must not block the rest
            # Not only SMTP and network errors: a message that cannot even be built (a bad header,
            # a malformed attachment) would otherwise stay first in line and stop every later one.
            message.sending_since = None
            message.next_attempt_at = now
            _record_failure(message, error, now)
            db.session.commit()
            continue
        message.status = MessageStatus.SENT
        message.attempts += 1
        message.sent_at = utcnow()
        message.last_error = ""
        message.sending_since = None
        if resend:
            message.resent_at = message.sent_at
        if message.forgets_recipient:
            message.recipient = ""
            message.body_text = message.body_html = ""
        db.session.commit()
        sent += 1
    return sent


def _send(message: OutboxMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(build_email(message))


def _record_failure(message: OutboxMessage, error: Exception, now: datetime) -> None:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    if message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        message.status = MessageStatus.FAILED
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)


def retry_now(message: OutboxMessage, *, now: datetime) -> None:
    """A facilitator's 'opnieuw proberen' on a failed message: a fresh series of attempts (with
    the usual backoff), so one more failure does not mark it failed again at once."""
    message.status = MessageStatus.QUEUED
    message.attempts = 0
    message.sending_since = None
    message.next_attempt_at = now
