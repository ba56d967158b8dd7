"""The mail drain as the scheduler runs it (`run_job("fieldlab.mail.jobs:drain_outbox")`, committing
like the real wrapper) against real SMTP servers on loopback: while the server is down a message is
retried, never lost and never sent twice; when it is back it goes out once."""

import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from fieldlab import scheduler
from fieldlab.extensions import db
from fieldlab.mail import jobs
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.mail.services import queue_message
from tests.conftest import free_port

DRAIN = "fieldlab.mail.jobs:drain_outbox"
DEAD_PORT = free_port()


@pytest.fixture
def app_config():
    # SMTP down (nothing listens there); a failed message is due again after milliseconds, so each
    # drain below retries it (once: a drain looks at one moment).
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": DEAD_PORT, "MAIL_FIRST_RETRY": timedelta(milliseconds=1)}


def drain() -> None:
    time.sleep(0.05)  # past the retry delay
    scheduler.run_job(DRAIN)


@pytest.fixture
def job_app(app, monkeypatch):
    monkeypatch.setattr(scheduler, "_app", app)
    return app


def queue(key: str) -> None:
    queue_message(key=key, to=f"{key.replace(':', '-')}@example.org", template="password_reset",
                  user=SimpleNamespace(name="Daan Visser"), link="http://localhost/wachtwoord-herstellen/abc",
                  hours=2)
    db.session.commit()


def stored() -> dict[str, tuple[str, int]]:
    db.session.rollback()
    return {message.idempotency_key: (message.status, message.attempts)
            for message in db.session.scalars(select(OutboxMessage))}


def test_smtp_down_retries_every_drain_and_smtp_back_sends_each_message_once(job_app, smtp_server):
    queue("job:one")
    queue("job:two")

    drain()
    drain()

    assert stored() == {"job:one": (MessageStatus.QUEUED, 2), "job:two": (MessageStatus.QUEUED, 2)}
    assert all("ConnectionRefusedError" in error for error in db.session.scalars(select(OutboxMessage.last_error)))

    job_app.config["SMTP_PORT"] = smtp_server.port  # the server is back
    drain()
    drain()

    assert stored() == {"job:one": (MessageStatus.SENT, 3), "job:two": (MessageStatus.SENT, 3)}
    assert sorted(message["X-Fieldlab-Key"] for message in smtp_server.messages) == ["job:one", "job:two"]


def test_the_drain_stops_between_messages_when_the_scheduler_stops(job_app, smtp_server):
    job_app.config["SMTP_PORT"] = smtp_server.port
    queue("job:one")
    queue("job:two")
    scheduler._stop.set()
    try:
        jobs.drain_outbox()
        db.session.commit()
    finally:
        scheduler._stop.clear()

    assert stored() == {"job:one": (MessageStatus.QUEUED, 0), "job:two": (MessageStatus.QUEUED, 0)}
    assert smtp_server.messages == []
