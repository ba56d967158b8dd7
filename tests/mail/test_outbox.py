"""The outbox: queueing is idempotent and transactional; facilitators read and retry messages."""

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.mail.services import external_url, queue_message


def queue(key="test:1", to="daan@example.org", **context):
    context = {
        "user": SimpleNamespace(name="Daan Visser"),
        "link": "http://localhost/x",
        "hours": 2,
        **context,
    }
    return queue_message(key=key, to=to, template="password_reset", **context)


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_same_key_twice_queues_one_message(app):
    first = queue()
    second = queue(user=SimpleNamespace(name="Iemand anders"))
    db.session.commit()
    third = queue()

    assert first.id == second.id == third.id
    assert outbox_count() == 1
    assert "Daan Visser" in db.session.scalar(select(OutboxMessage.body_text))


def test_different_keys_queue_different_messages(app):
    queue(key="test:1")
    queue(key="test:2")

    assert outbox_count() == 2


def test_queued_message_is_rolled_back_with_its_transaction(app):
    """Mail leaves only after the commit: a rolled-back action leaves no message behind."""
    queue()
    db.session.rollback()

    assert outbox_count() == 0


def test_queued_message_is_rolled_back_with_earlier_writes(app, make):
    make.make_user()
    queue()
    db.session.rollback()

    assert outbox_count() == 0


def test_message_is_rendered_in_the_recipients_language(app):
    english = queue(key="test:en", locale="en")
    dutch = queue(key="test:nl", locale="nl")

    assert english.subject == "Choose a new password for Fieldlab"
    assert "Dear Daan Visser," in english.body_text and "Beste" not in english.body_text
    assert "http://localhost/x" in english.body_text and "http://localhost/x" in english.body_html
    assert english.body_html.lstrip().lower().startswith("<!doctype html")
    assert '<html lang="en"' in english.body_html
    assert "Someone (hopefully you) requested a new password for your Fieldlab account." in english.body_text
    assert "The link works for 2 hours and can be used once." in english.body_text
    assert "The link works for 2 hours and can be used once." in english.body_html
    assert dutch.subject == "Nieuw wachtwoord kiezen voor Fieldlab"
    assert "Beste Daan Visser," in dutch.body_text and "Dear" not in dutch.body_text
    assert "Iemand (hopelijk u) vroeg een nieuw wachtwoord aan voor uw Fieldlab-account." in dutch.body_text
    assert "De link werkt 2 uur en één keer." in dutch.body_text and "De link werkt 2 uur" in dutch.body_html
    assert '<html lang="nl"' in dutch.body_html and "http://localhost/x" in dutch.body_html
    assert "hours" not in dutch.body_text + dutch.body_html and "uur" not in english.body_text


def test_external_url_uses_the_configured_base_url(app):
    app.config["BASE_URL"] = "https://fieldlab.example.nl/"

    assert external_url("auth.login") == "https://fieldlab.example.nl/inloggen"


@pytest.mark.parametrize("app_config", [{"SERVER_NAME": None}])
def test_external_url_works_in_a_job_without_request_or_server_name(app):
    """Deployments set BASE_URL, not SERVER_NAME; a scheduled job has no request to build URLs from."""
    app.config["BASE_URL"] = "https://fieldlab.example.nl"

    assert (
        external_url("auth.reset_password", token="abc")
        == "https://fieldlab.example.nl/wachtwoord-herstellen/abc"
    )
    assert (
        external_url("mail.outbox", status="failed")
        == "https://fieldlab.example.nl/uitgaande-berichten/?status=failed"
    )


@pytest.mark.parametrize("app_config", [{"SERVER_NAME": None}])
def test_external_url_keeps_a_path_in_the_base_url(app):
    app.config["BASE_URL"] = "https://www.example.nl/fieldlab/"

    assert external_url("auth.login") == "https://www.example.nl/fieldlab/inloggen"


@pytest.mark.parametrize("app_config", [{"SERVER_NAME": None}])
def test_invitation_queued_outside_a_request_has_a_working_link(app, client, make):
    from fieldlab.auth.services import send_invitation
    from fieldlab.timeutil import utcnow

    facilitator, invitee = make.make_user(Role.FACILITATOR), make.make_user(password=False)
    send_invitation(invitee, by=facilitator, now=utcnow())
    db.session.commit()

    link = re.search(
        r"http://localhost(/uitnodiging/\S+)", db.session.scalar(select(OutboxMessage.body_text))
    )
    assert link and client.get(link.group(1)).status_code == 200


def test_outbox_page_lists_status_recipient_and_subject(client, login_as):
    login_as(Role.FACILITATOR)
    queue(key="test:queued", to="wachtend@example.org")
    failed = queue(key="test:failed", to="mislukt@example.org")
    failed.status, failed.attempts, failed.last_error = (
        MessageStatus.FAILED,
        10,
        "ConnectionRefusedError: nee",
    )

    page = client.get("/uitgaande-berichten/").get_data(as_text=True)

    assert "Er is geen mailserver ingesteld" in page
    assert re.search(
        r"wachtend@example.org.*?Nieuw wachtwoord kiezen voor Fieldlab.*?in de wachtrij", page, re.S
    )
    assert re.search(r"mislukt@example.org.*?mislukt.*?ConnectionRefusedError", page, re.S)
    only_failed = client.get("/uitgaande-berichten/?status=failed").get_data(as_text=True)
    assert "mislukt@example.org" in only_failed and "wachtend@example.org" not in only_failed


def test_message_detail_shows_body_and_error(client, login_as):
    login_as(Role.FACILITATOR)
    message = queue(
        attachments=[
            {
                "filename": "terugkomdag.ics",
                "content_type": "text/calendar; method=REQUEST",
                "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            }
        ]
    )
    message.attempts, message.last_error = 2, "SMTPServerDisconnected: Connection unexpectedly closed"

    page = client.get(f"/uitgaande-berichten/{message.id}").get_data(as_text=True)

    assert "Beste Daan Visser," in page
    assert "http://localhost/x" in page
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in page
    assert "terugkomdag.ics" in page
    assert "Opnieuw proberen" not in page, "only a failed message can be retried"


def test_retry_button_requeues_a_failed_message(client, login_as):
    login_as(Role.FACILITATOR)
    message = queue()
    message.status, message.attempts, message.last_error = MessageStatus.FAILED, 10, "ConnectionRefusedError"
    db.session.commit()
    assert "Opnieuw proberen" in client.get(f"/uitgaande-berichten/{message.id}").get_data(as_text=True)

    response = client.post(f"/uitgaande-berichten/{message.id}/opnieuw")

    assert response.status_code == 303
    assert "Het bericht staat weer in de wachtrij." in client.get(response.location).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == MessageStatus.QUEUED


def test_retry_leaves_a_sent_message_alone(client, login_as):
    login_as(Role.FACILITATOR)
    message = queue()
    message.status = MessageStatus.SENT

    client.post(f"/uitgaande-berichten/{message.id}/opnieuw")

    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == MessageStatus.SENT


def test_unknown_message_is_404(client, login_as):
    login_as(Role.FACILITATOR)

    assert client.get("/uitgaande-berichten/999999").status_code == 404


def test_outbox_pages_through_many_messages(client, login_as, app):
    login_as(Role.FACILITATOR)
    newest = app.config["PAGE_SIZE"]
    for number in range(newest + 1):
        queue(key=f"test:{number}", to=f"persoon{number}@example.org")

    first = client.get("/uitgaande-berichten/?status=queued").get_data(as_text=True)
    second = client.get("/uitgaande-berichten/?status=queued&pagina=2").get_data(as_text=True)

    assert "Pagina 1 van 2" in first and 'rel="next"' in first
    assert "/uitgaande-berichten/?status=queued&amp;pagina=2" in first  # the filter stays in the link
    assert "persoon0@example.org" in second and f"persoon{newest}@example.org" not in second



@pytest.mark.parametrize("endpoint, arguments", [
    ("returndays.rsvp", {"invitation_id": 7, "token": "ondertekend.rsvp.token"}),
    ("evaluations.answer_by_link", {"token": "ondertekend.evaluatie.token"}),
    ("speedlabs.join", {"token": "ondertekend.deelnemen.token"}),
    ("auth.reset_password", {"token": "ondertekend.wachtwoord.token"}),
])
def test_the_outbox_hides_signed_links_that_the_sent_mail_keeps(client, login_as, app, smtp_server, endpoint,
                                                                 arguments):
    """A facilitator reading the outbox could otherwise answer an invitation or an evaluation on
    the invitee's behalf."""
    from fieldlab.mail import sender

    link = external_url(endpoint, **arguments)
    message = queue(link=link)
    db.session.commit()
    login_as(Role.FACILITATOR)

    page = client.get(f"/uitgaande-berichten/{message.id}").get_data(as_text=True)
    assert arguments["token"] not in page
    assert "[persoonlijke link: staat alleen in de verzonden e-mail]" in page
    assert "Beste Daan Visser" in page

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    assert sender.deliver_due() == 1
    [received] = smtp_server.messages
    assert link in received.get_body(("plain",)).get_content()


def test_the_outbox_keeps_ordinary_links(client, login_as):
    message = queue(link=external_url("problems.detail", problem_id=12))
    db.session.commit()
    login_as(Role.FACILITATOR)
    page = client.get(f"/uitgaande-berichten/{message.id}").get_data(as_text=True)
    assert "http://localhost/vraagstukken/12" in page
    assert "[persoonlijke link" not in page


def test_a_real_reset_mail_shows_no_token_in_the_outbox(client, app, login_as, make):
    person = make.make_user(Role.PARTICIPANT)
    db.session.commit()
    client.post("/wachtwoord-vergeten", data={"email": person.email})
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == person.email))
    token = re.search(r"/wachtwoord-herstellen/(\S+)", message.body_text).group(1)
    login_as(Role.FACILITATOR)
    page = client.get(f"/uitgaande-berichten/{message.id}").get_data(as_text=True)
    assert token not in page
