"""Queue messages in the outbox. Nothing here talks SMTP: see sender.py."""

import re
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import load_only
from werkzeug.exceptions import HTTPException

from fieldlab.extensions import db
from fieldlab.mail import hooks
from fieldlab.mail.models import OutboxMessage
from fieldlab.paging import Page, paginate
from fieldlab.timeutil import utcnow

# An idempotency key that starts with this marks a message whose address must not outlive its
# sending (the notice to someone whose data was erased): the outbox does not show the address,
# and the sender blanks it and the body once the message is sent.
FORGET_AFTER_SENDING = "forget:"

# Links in mail when BASE_URL is not set and `fieldlab serve` did not fill it in.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def queue_message(*, key: str, to: str, template: str, locale: str = "nl", attachments=(), now=None,
                  **context) -> OutboxMessage:
    """Render `mail/<template>.txt` and `.html` in the recipient's language and queue them once.

    A second call with the same key returns the first message instead of queueing another:
    re-running a job, a double click or a second scheduler can never send twice.
    """
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    with force_locale(locale):
        subject = render_template(f"mail/{template}.subject.txt", **context).strip()
        body_text = render_template(f"mail/{template}.txt", **context)
        body_html = render_template(f"mail/{template}.html", subject=subject, **context)
    # INSERT ... ON CONFLICT DO NOTHING: another process may queue the same key between our check and
    # our insert. Not a SAVEPOINT: with pysqlite a SAVEPOINT that opens the transaction commits on
    # RELEASE, so the message would be sent even if the caller's transaction is rolled back.
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = now or utcnow()
    db.session.execute(
        insert(OutboxMessage)
        .values(idempotency_key=key, recipient=to, subject=subject, body_text=body_text, body_html=body_html,
                attachments=list(attachments), next_attempt_at=now, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[OutboxMessage.idempotency_key])
    )
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))


def withdrawal_reason(message: OutboxMessage, now) -> str | None:
    """The first reason a feature gives (through `hooks.withdrawal_asked`) to withdraw `message`
    just before it would be sent, or None: mail itself knows none of them."""
    for _receiver, reason in hooks.withdrawal_asked.send(message, now=now):
        if reason:
            return str(reason)
    return None


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, built from BASE_URL: a job has no request to take it from.

    Built on the URL map bound to BASE_URL, not with url_for: outside a request url_for needs
    SERVER_NAME, which deployments do not set, so every scheduled mail with a link would fail."""
    base = urlsplit(current_app.config["BASE_URL"] or DEFAULT_BASE_URL)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def outbox_page(*, status: str | None, page: int) -> Page:
    """One page of the outbox, newest first. The bodies are not loaded: the list shows none."""
    query = (select(OutboxMessage)
             .options(load_only(OutboxMessage.id, OutboxMessage.idempotency_key, OutboxMessage.created_at,
                                OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.status, OutboxMessage.last_error,
                                OutboxMessage.attempts))
             .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))
    if status:
        query = query.where(OutboxMessage.status == status)
    return paginate(query, page=page)



# --- Reading the outbox ----------------------------------------------------------------------

_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def without_signed_links(text: str) -> str:
    """The text as a facilitator may read it in the outbox: every link to a page that takes a
    signed token (RSVP, evaluation, speedlab join and answer, password and invitation links, the
    private calendar feed) is replaced by a note. Those links act as the invitee without a login,
    so whoever reads them could answer on the person's behalf; the sent e-mail keeps them.
    Recognised by the app's own URL map (any route with a `token` argument), so a new signed
    link is hidden without being listed here."""
    adapter = current_app.url_map.bind("localhost")
    base_path = urlsplit(current_app.config["BASE_URL"]).path.rstrip("/")
    hidden = "[" + _("persoonlijke link: staat alleen in de verzonden e-mail") + "]"

    def replace(match: re.Match) -> str:
        url = match.group(0).rstrip(".,;:!?")
        path = urlsplit(url).path
        if base_path and path.startswith(base_path):
            path = path[len(base_path):] or "/"
        try:
            _endpoint, arguments = adapter.match(path, method="GET")
        except HTTPException:
            return match.group(0)
        return hidden + match.group(0)[len(url):] if "token" in arguments else match.group(0)

    return _URL.sub(replace, text)
