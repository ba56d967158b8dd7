"""The sender delivers committed outbox messages over SMTP (a real server on loopback), with retries
and backoff, and records every failure."""

from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.mail import sender
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.mail.services import queue_message
from fieldlab.timeutil import utcnow
from tests.conftest import SmtpSink, free_port

CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:returnday-1@fieldlab\r\n"
    "SUMMARY:Terugkomdag dag 50\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
def app_config(smtp_server):
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port}


def queue(key="test:1", to="daan@example.org", **kwargs):
    message = queue_message(
        key=key,
        to=to,
        template="password_reset",
        user=SimpleNamespace(name="Daan Visser"),
        link="http://localhost/wachtwoord-herstellen/abc",
        hours=2,
        **kwargs,
    )
    db.session.commit()
    return message


def refreshed(message) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def test_queued_message_is_sent_with_text_and_html(app, smtp_server):
    message = queue()

    assert sender.deliver_due() == 1

    [received] = smtp_server.messages
    assert received["From"] == app.config["MAIL_FROM"]
    assert received["To"] == "daan@example.org"
    assert received["Subject"] == "Nieuw wachtwoord kiezen voor Fieldlab"
    assert received["X-Fieldlab-Key"] == "test:1"
    assert received.get_content_type() == "multipart/alternative"
    assert "Beste Daan Visser," in received.get_body(("plain",)).get_content()
    assert "<p>Beste Daan Visser,</p>" in received.get_body(("html",)).get_content()
    sent = refreshed(message)
    assert (sent.status, sent.attempts, sent.last_error) == (MessageStatus.SENT, 1, "")
    assert sent.sent_at is not None


def test_a_message_is_sent_once(app, smtp_server):
    queue()

    assert sender.deliver_due() == 1
    assert sender.deliver_due() == 0
    assert len(smtp_server.messages) == 1


def test_message_is_handed_to_smtp_only_after_commit(app, smtp_server):
    queue_message(
        key="test:uncommitted",
        to="daan@example.org",
        template="password_reset",
        user=SimpleNamespace(name="Daan"),
        link="http://localhost/x",
        hours=2,
    )
    with app.app_context():  # the sender runs in its own context and session, like the scheduler's job
        assert sender.deliver_due() == 0
    db.session.commit()
    with app.app_context():
        assert sender.deliver_due() == 1
    assert len(smtp_server.messages) == 1


def test_calendar_attachment_arrives_as_such(app, smtp_server):
    queue(
        attachments=[
            {
                "filename": "terugkomdag.ics",
                "content_type": "text/calendar; method=REQUEST",
                "content": CALENDAR,
            }
        ]
    )

    sender.deliver_due()

    [received] = smtp_server.messages
    assert received.get_content_type() == "multipart/mixed"
    assert "Beste Daan Visser," in received.get_body(("plain",)).get_content()
    [attachment] = list(received.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "terugkomdag.ics"
    content = attachment.get_content()
    assert (content.decode() if isinstance(content, bytes) else content) == CALENDAR


def test_message_is_not_sent_before_it_is_due(app, smtp_server):
    now = utcnow()
    queue(now=now + timedelta(minutes=5))

    assert sender.deliver_due(now=now) == 0
    assert sender.deliver_due(now=now + timedelta(minutes=5)) == 1


@pytest.mark.parametrize("app_config", [{"SMTP_HOST": ""}])
def test_without_smtp_host_messages_stay_queued(app, smtp_server):
    message = queue()

    assert sender.deliver_due() == 0

    kept = refreshed(message)
    assert (kept.status, kept.attempts) == (MessageStatus.QUEUED, 0)
    assert smtp_server.messages == []


@pytest.mark.parametrize("app_config", [{"SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port()}])
def test_smtp_down_records_the_error_and_backs_off_until_failed(app):
    message = queue()
    now = utcnow()
    delays = []

    for _ in range(app.config["MAIL_MAX_ATTEMPTS"]):
        assert sender.deliver_due(now=now) == 0
        current = refreshed(message)
        if current.status == MessageStatus.QUEUED:
            delays.append(current.next_attempt_at - now)
            now = current.next_attempt_at

    failed = refreshed(message)
    assert failed.status == MessageStatus.FAILED
    assert failed.attempts == 10
    assert "ConnectionRefusedError" in failed.last_error
    assert [delay.total_seconds() for delay in delays] == [30, 60, 120, 240, 480, 960, 1920, 3840, 7200]
    assert sender.deliver_due(now=now + timedelta(days=1)) == 0, "a failed message is not retried by itself"


@pytest.mark.parametrize("app_config", [{"SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port()}])
def test_message_goes_out_once_when_the_server_is_back(app, smtp_server):
    message = queue()
    now = utcnow()
    sender.deliver_due(now=now)
    failed_once = refreshed(message)
    assert (failed_once.status, failed_once.attempts) == (MessageStatus.QUEUED, 1)
    assert failed_once.next_attempt_at == now + timedelta(seconds=30)

    app.config["SMTP_PORT"] = smtp_server.port
    assert sender.deliver_due(now=now + timedelta(seconds=10)) == 0, "not yet due"
    assert sender.deliver_due(now=now + timedelta(seconds=30)) == 1
    assert sender.deliver_due(now=now + timedelta(hours=1)) == 0

    sent = refreshed(message)
    assert (sent.status, sent.attempts, sent.last_error) == (MessageStatus.SENT, 2, "")
    assert len(smtp_server.messages) == 1


class CountingSink(SmtpSink):
    """The loopback server, counting every recipient it was offered (also the ones it refuses)."""

    def __init__(self):
        super().__init__()
        self.offered: Counter[str] = Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.offered[address] += 1
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_without_a_retry_delay_a_drain_tries_each_failing_message_once(app):
    """MAIL_FIRST_RETRY = 0: a refused message is due again at once, but its next attempt is the
    next drain's, not a run through all its attempts in this one."""
    sink = CountingSink()
    sink.port = free_port()
    server = Controller(sink, hostname="127.0.0.1", port=sink.port)
    server.start()
    try:
        app.config.update(SMTP_PORT=sink.port, MAIL_FIRST_RETRY=timedelta(0))
        first = queue("test:refused-1", to="een@refused.example")
        second = queue("test:refused-2", to="twee@refused.example")
        delivered = queue("test:ok", to="daan@example.org")
        now = utcnow()

        assert sender.deliver_due(now=now) == 1

        assert sink.offered == {"een@refused.example": 1, "twee@refused.example": 1, "daan@example.org": 1}
        for message in (first, second):
            current = refreshed(message)
            assert (current.status, current.attempts) == (MessageStatus.QUEUED, 1)
            assert "SMTPRecipientsRefused" in current.last_error
            assert current.next_attempt_at == now, "due again at once: at the next drain"
        assert refreshed(delivered).status == MessageStatus.SENT

        assert sender.deliver_due(now=now + timedelta(seconds=1)) == 0
        assert sink.offered == {"een@refused.example": 2, "twee@refused.example": 2, "daan@example.org": 1}
        assert [refreshed(message).attempts for message in (first, second)] == [2, 2]
    finally:
        server.stop()


def test_retry_now_requeues_a_failed_message(app):
    message = queue()
    message.status, message.attempts, message.last_error = MessageStatus.FAILED, 10, "SMTPServerDisconnected"
    db.session.commit()
    now = utcnow()

    sender.retry_now(message, now=now)
    db.session.commit()

    requeued = refreshed(message)
    assert requeued.status == MessageStatus.QUEUED and requeued.next_attempt_at == now
    assert requeued.attempts == 0  # a new series: one more failure retries again, with backoff


def test_a_requeued_message_that_fails_once_more_is_retried_again(app):
    message = queue()
    message.status, message.attempts = MessageStatus.FAILED, 10
    db.session.commit()
    now = utcnow()
    sender.retry_now(message, now=now)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nothing listens there
    db.session.commit()

    sender.deliver_due(now=now)

    again = refreshed(message)
    assert (again.status, again.attempts) == (MessageStatus.QUEUED, 1)
    assert again.next_attempt_at == now + timedelta(seconds=30)


def test_refused_recipient_is_recorded_and_does_not_hold_up_the_others(app, smtp_server):
    refused = queue(key="test:bad", to="niemand@refused.example")
    queue(key="test:good", to="good@example.org")

    assert sender.deliver_due() == 1

    statuses = dict(db.session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status)).all())
    assert statuses == {"test:bad": MessageStatus.QUEUED, "test:good": MessageStatus.SENT}
    assert "SMTPRecipientsRefused" in refreshed(refused).last_error
    assert "Mailbox unavailable" in refreshed(refused).last_error
    assert [m["To"] for m in smtp_server.messages] == ["good@example.org"]


def test_message_that_cannot_be_built_is_recorded_and_does_not_block_the_outbox(app, smtp_server):
    """A broken message (here a header injection attempt) must not stop every message behind it."""
    broken = queue(key="test:broken", to="kapot@example.org\r\nBcc: stiekem@example.org")
    queue(key="test:good", to="good@example.org")

    assert sender.deliver_due() == 1

    assert [m["To"] for m in smtp_server.messages] == ["good@example.org"]
    failed = refreshed(broken)
    assert failed.status == MessageStatus.QUEUED and failed.attempts == 1
    assert "ValueError" in failed.last_error


def test_a_message_accepted_before_the_sender_died_is_resent_with_the_same_message_id(app, smtp_server, monkeypatch,
                                                                                     client, login_as):
    """The sender dies after the SMTP server accepted a message and before it was marked sent (here:
    interrupted right after the SMTP conversation, its transaction lost). After the lease, the
    message goes again with the same Message-ID, and the outbox says it was resent."""
    message = queue()
    now = utcnow()

    def die():
        raise KeyboardInterrupt

    monkeypatch.setattr(sender, "utcnow", die)
    with pytest.raises(KeyboardInterrupt):
        sender.deliver_due(now=now)
    db.session.rollback()
    monkeypatch.undo()
    assert len(smtp_server.messages) == 1
    assert refreshed(message).status == MessageStatus.QUEUED
    assert sender.deliver_due(now=now + timedelta(minutes=1)) == 0  # within the lease: left alone

    assert sender.deliver_due(now=now + sender.SEND_LEASE) == 1
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"]
    stored = refreshed(message)
    assert stored.status == MessageStatus.SENT and stored.resent_at is not None and stored.sending_since is None

    login_as(Role.FACILITATOR)
    assert "opnieuw verzonden" in client.get("/uitgaande-berichten/").get_data(as_text=True)


def test_a_message_that_failed_is_not_marked_as_resent(app, smtp_server):
    message = queue(to="iemand@refused.example")
    now = utcnow()
    sender.deliver_due(now=now)
    stored = refreshed(message)
    assert stored.attempts == 1 and stored.sending_since is None and stored.next_attempt_at > now
