"""The outbox's guard against two processes queueing the same message: another process (a second
database connection, committed) inserts the same key after queue_message looked for it and before
it inserts. Without ON CONFLICT DO NOTHING the insert fails with an IntegrityError; with it, the
caller gets the message the other process queued, and there is one. On SQLite and PostgreSQL."""

from flask import before_render_template
from sqlalchemy import func, insert, select

from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.mail.services import queue_message
from fieldlab.timeutil import utcnow


def test_a_second_process_queueing_the_same_key_between_check_and_insert_wins_quietly(app):
    key = "race:password-reset:1"
    other = {}

    def other_process_queues_first(sender, template, context, **extra):
        # The check is done (rendering comes after it); now the other process inserts and commits.
        if other:
            return
        with db.engine.begin() as connection:
            other["id"] = connection.execute(
                insert(OutboxMessage).values(
                    idempotency_key=key, recipient="daan@example.org", subject="Van het andere proces",
                    body_text="tekst", body_html="<p>tekst</p>", attachments=[], next_attempt_at=utcnow(),
                    created_at=utcnow())
                .returning(OutboxMessage.id)).scalar_one()

    before_render_template.connect(other_process_queues_first, app)
    try:
        message = queue_message(key=key, to="daan@example.org", template="password_reset",
                                user=type("U", (), {"name": "Daan Visser"})(), link="http://localhost/x", hours=2)
    finally:
        before_render_template.disconnect(other_process_queues_first, app)
    db.session.commit()

    assert other, "the other process did not run between the check and the insert"
    assert message.id == other["id"]
    assert message.subject == "Van het andere proces"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.idempotency_key == key)) == 1
