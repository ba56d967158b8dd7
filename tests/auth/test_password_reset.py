"""Password reset by e-mail, over a real SMTP server on loopback: signed, single-use, expiring links."""

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from fieldlab.auth.models import User
from fieldlab.extensions import db
from fieldlab.mail import sender
from fieldlab.mail.models import OutboxMessage
from tests.conftest import SECRET_KEY
from tests.factories import PASSWORD

SAME_ANSWER = "Als er een account bij dit e-mailadres hoort, ontvangt u binnen enkele minuten een e-mail"
NEW_PASSWORD = "een zin van vier woorden"


@pytest.fixture
def app_config(smtp_server):
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port}


def request_reset(client, email):
    return client.post("/wachtwoord-vergeten", data={"email": email})


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def parts_of(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def reset_path_in(text: str) -> str:
    link = re.search(r"http://localhost(/wachtwoord-herstellen/\S+)", text)
    assert link, text
    return link.group(1)


def set_password(client, path, password=NEW_PASSWORD):
    return client.post(path, data={"password": password, "confirm": password})


def test_reset_mail_arrives_and_its_link_sets_a_new_password(client, make, smtp_server):
    user = make.make_user(name="Ingrid Mulder", email="ingrid@example.org")

    response = request_reset(client, "Ingrid@Example.org")
    assert response.status_code == 303
    assert SAME_ANSWER in client.get(response.location).get_data(as_text=True)
    assert sender.deliver_due() == 1

    [message] = smtp_server.messages
    assert message["To"] == "ingrid@example.org"
    assert message.envelope_recipients == ["ingrid@example.org"]
    assert message["Subject"] == "Nieuw wachtwoord kiezen voor Fieldlab"
    text, html = parts_of(message)
    assert "Beste Ingrid Mulder," in text and "Beste Ingrid Mulder," in html
    assert "De link werkt 2 uur en één keer." in text
    path = reset_path_in(text)
    assert f'href="http://localhost{path}"' in html

    page = client.get(path)
    assert page.status_code == 200 and "Kies een nieuw wachtwoord voor ingrid@example.org." in page.get_data(as_text=True)
    assert set_password(client, path).status_code == 303

    assert client.post("/inloggen", data={"email": user.email, "password": PASSWORD}).status_code == 422
    assert client.post("/inloggen", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 303


def test_reset_link_works_once(client, make, smtp_server):
    user = make.make_user()
    request_reset(client, user.email)
    sender.deliver_due()
    path = reset_path_in(parts_of(smtp_server.messages[0])[0])
    assert set_password(client, path).status_code == 303

    again = client.get(path)
    posted_again = set_password(client, path, "nog een ander wachtwoord")

    assert again.status_code == 400
    assert "Deze link werkt niet (meer)" in again.get_data(as_text=True)
    assert posted_again.status_code == 400
    assert client.post("/inloggen", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 303


def test_reset_ends_every_session_of_the_user(app, client, make, smtp_server):
    user = make.make_user()
    elsewhere = app.test_client()
    assert elsewhere.post("/inloggen", data={"email": user.email, "password": PASSWORD}).status_code == 303
    request_reset(client, user.email)
    sender.deliver_due()

    set_password(client, reset_path_in(parts_of(smtp_server.messages[0])[0]))

    assert elsewhere.get("/").status_code == 302


class EarlierSigner(TimestampSigner):
    """Signs as if it were three hours ago: a link mailed earlier."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 3 * 3600


def test_expired_reset_link_does_not_work(client, make):
    user = make.make_user()
    token = URLSafeTimedSerializer(SECRET_KEY, salt="fieldlab.reset", signer=EarlierSigner).dumps(
        {"user": user.id, "version": user.password_version}
    )

    response = client.get(f"/wachtwoord-herstellen/{token}")

    assert response.status_code == 400
    assert "Deze link werkt niet (meer)" in response.get_data(as_text=True)
    assert "Vraag een nieuwe link aan" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"PASSWORD_RESET_MAX_AGE": timedelta(hours=4)}])
def test_reset_link_lives_as_long_as_configured(client, make):
    user = make.make_user()
    token = URLSafeTimedSerializer(SECRET_KEY, salt="fieldlab.reset", signer=EarlierSigner).dumps(
        {"user": user.id, "version": user.password_version}
    )

    page = client.get(f"/wachtwoord-herstellen/{token}")
    assert page.status_code == 200
    assert f"Kies een nieuw wachtwoord voor {user.email}." in page.get_data(as_text=True)
    assert set_password(client, f"/wachtwoord-herstellen/{token}").status_code == 303
    assert client.post("/inloggen", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 303


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "niet-een-token",
    ],
)
def test_tampered_link_does_not_work(client, make, tamper):
    user = make.make_user()
    token = URLSafeTimedSerializer(SECRET_KEY, salt="fieldlab.reset").dumps(
        {"user": user.id, "version": user.password_version}
    )

    assert client.get(f"/wachtwoord-herstellen/{tamper(token)}").status_code == 400


def test_invitation_link_is_not_a_reset_link(client, make):
    user = make.make_user()
    token = URLSafeTimedSerializer(SECRET_KEY, salt="fieldlab.invite").dumps(
        {"user": user.id, "version": user.password_version}
    )

    assert client.get(f"/wachtwoord-herstellen/{token}").status_code == 400


def test_unknown_email_queues_nothing_but_gets_the_same_answer(client, make, smtp_server):
    make.make_user(email="bestaat@example.org")

    unknown = request_reset(client, "bestaat-niet@example.org")

    assert unknown.status_code == 303
    assert SAME_ANSWER in client.get(unknown.location).get_data(as_text=True)
    assert outbox_count() == 0
    assert sender.deliver_due() == 0
    assert smtp_server.messages == []


def test_deactivated_account_gets_no_reset_mail(client, make):
    user = make.make_user(active=False)

    assert request_reset(client, user.email).status_code == 303
    assert outbox_count() == 0


def test_reset_form_refuses_a_short_password_in_dutch(client, make, smtp_server):
    user = make.make_user()
    request_reset(client, user.email)
    sender.deliver_due()
    path = reset_path_in(parts_of(smtp_server.messages[0])[0])

    response = set_password(client, path, "kort")

    assert response.status_code == 422
    assert "Kies een wachtwoord van minstens 10 tekens." in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(User, user.id).password_version == 0


def test_reset_request_is_queued_until_commit_and_sent_once(client, make, smtp_server):
    user = make.make_user()
    request_reset(client, user.email)

    assert sender.deliver_due() == 1
    assert sender.deliver_due() == 0
    assert len(smtp_server.messages) == 1
    assert urlsplit(reset_path_in(parts_of(smtp_server.messages[0])[0])).path.startswith(
        "/wachtwoord-herstellen/"
    )
