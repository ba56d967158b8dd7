"""People are told what happens to their account: deactivation, reactivation, role changes,
two-factor resets and erasure each go through a confirmation page and mail the person once, in
their language, without case content. A deactivated person who logs in with the right password
or clicks on reads that their account is deactivated and whom to contact; a wrong password still
reveals nothing."""

import re

import pytest
from sqlalchemy import select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role, User
from fieldlab.extensions import db
from fieldlab.mail import sender
from fieldlab.mail.models import MessageStatus, OutboxMessage
from tests.factories import PASSWORD


def notices(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.idempotency_key.contains(f"account-{kind}:")).order_by(OutboxMessage.id)))


@pytest.fixture
def facilitator(login_as):
    return login_as(Role.FACILITATOR, name="Fenna de Vries")


@pytest.mark.parametrize("app_config", [{"HUB_CONTACT_EMAIL": "hub@liec.example"}])
def test_deactivation_asks_first_then_mails_once_and_tells_the_person_why(app, client, facilitator, make):
    person = make.make_user(Role.PARTICIPANT, name="Piet Deelnemer")
    db.session.commit()
    theirs = app.test_client()
    theirs.post("/inloggen", data={"email": person.email, "password": PASSWORD})
    assert theirs.get("/").status_code == 200

    confirmation = client.get(f"/accounts/{person.id}/deactiveren")
    assert confirmation.status_code == 200
    page = confirmation.get_data(as_text=True)
    assert "Account van Piet Deelnemer deactiveren?" in page and "krijgt hierover een e-mail" in page
    assert db.session.get(User, person.id).active, "a GET changes nothing"

    for _ in range(2):  # a double click deactivates and mails once
        assert client.post(f"/accounts/{person.id}/deactiveren").status_code == 303
    assert db.session.get(User, person.id).active is False
    [message] = notices("deactivated")
    assert message.recipient == person.email
    assert message.subject == "Uw account voor Fieldlab is gedeactiveerd"
    assert "Fenna de Vries heeft uw account voor Fieldlab gedeactiveerd" in message.body_text
    assert "hub@liec.example" in message.body_text and "hub@liec.example" in message.body_html

    # Their next click says why, once; then the login page.
    click = theirs.get("/labs")
    assert click.status_code == 303 and click.headers["Location"] == "/account-gedeactiveerd"
    shown = theirs.get("/account-gedeactiveerd")
    assert shown.status_code == 403
    assert "Uw account is gedeactiveerd" in shown.get_data(as_text=True)
    assert "hub@liec.example" in shown.get_data(as_text=True)
    assert theirs.get("/labs").headers["Location"].startswith("/inloggen")


@pytest.mark.parametrize("app_config", [{"HUB_CONTACT_EMAIL": "hub@liec.example"}])
def test_a_deactivated_person_learns_it_only_with_the_right_password(app, make):
    person = make.make_user(Role.PARTICIPANT, active=False)
    db.session.commit()
    client = app.test_client()

    wrong = client.post("/inloggen", data={"email": person.email, "password": "niet het wachtwoord"})
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    assert "Het e-mailadres of het wachtwoord klopt niet." in text and "gedeactiveerd" not in text

    right = client.post("/inloggen", data={"email": person.email, "password": PASSWORD})
    assert right.status_code == 403
    assert "Uw account is gedeactiveerd" in right.get_data(as_text=True)
    assert "hub@liec.example" in right.get_data(as_text=True)
    assert client.get("/").status_code == 302, "not logged in"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login_refused_deactivated"))


@pytest.mark.parametrize("app_config", [{"LOGIN_FAILURES_PER_ACCOUNT_ADDRESS": "3 per 15 minutes"}])
def test_the_throttle_comes_before_the_deactivation_message(app, make):
    """Someone guessing passwords is stopped by the throttle; the right password after that does
    not tell them the account is deactivated, and the right password itself is no failure."""
    person = make.make_user(Role.PARTICIPANT, active=False)
    db.session.commit()
    client = app.test_client()
    for _ in range(2):
        client.post("/inloggen", data={"email": person.email, "password": PASSWORD})
    assert client.post("/inloggen", data={"email": person.email, "password": PASSWORD}).status_code == 403
    for _ in range(3):
        client.post("/inloggen", data={"email": person.email, "password": "fout"})
    throttled = client.post("/inloggen", data={"email": person.email, "password": PASSWORD})
    assert throttled.status_code == 429
    assert "gedeactiveerd" not in throttled.get_data(as_text=True)


def test_reactivation_mails_the_person_in_english_and_old_sessions_stay_ended(app, client, facilitator, make):
    person = make.make_user(Role.PARTICIPANT, locale="en")
    db.session.commit()
    theirs = app.test_client()
    theirs.post("/inloggen", data={"email": person.email, "password": PASSWORD}, )
    client.post(f"/accounts/{person.id}/deactiveren")
    assert client.get(f"/accounts/{person.id}/activeren").status_code == 200
    client.post(f"/accounts/{person.id}/activeren")
    client.post(f"/accounts/{person.id}/activeren")

    [message] = notices("reactivated")
    assert message.subject == "Your Fieldlab account is active again"
    assert "/inloggen" in message.body_text
    # The session from before the deactivation does not come back with the reactivation.
    assert theirs.get("/").status_code == 302


def test_a_role_change_mails_the_roles_before_and_after(client, facilitator, make):
    person = make.make_user(Role.PARTICIPANT, name="Rob Rol")
    db.session.commit()
    client.post(f"/accounts/{person.id}", data={"roles": ["participant", "manager"]})
    assert notices("roles_changed") == [], "nothing before the confirmation"
    client.post(f"/accounts/{person.id}", data={"roles": ["participant", "manager"], "bevestigd": "ja"})
    client.post(f"/accounts/{person.id}", data={"roles": ["participant", "manager"], "bevestigd": "ja"})

    [message] = notices("roles_changed")
    assert "Uw rollen waren: deelnemer. Nu zijn ze: deelnemer, leidinggevende." in message.body_text


def test_a_two_factor_reset_asks_first_and_mails_the_person(client, facilitator, make):
    person = make.make_user(Role.FACILITATOR, name="Telefoon Kwijt")
    db.session.commit()
    page = client.get(f"/accounts/{person.id}/tweestapsverificatie-herstellen").get_data(as_text=True)
    assert "Tweestapsverificatie van Telefoon Kwijt herstellen?" in page
    assert db.session.get(User, person.id).has_two_factor
    client.post(f"/accounts/{person.id}/tweestapsverificatie-herstellen")
    client.post(f"/accounts/{person.id}/tweestapsverificatie-herstellen")
    [message] = notices("two_factor_reset")
    assert "Fenna de Vries heeft de tweestapsverificatie van uw account uitgezet" in message.body_text


def test_notices_carry_no_case_content_and_escape_names(client, facilitator, make):
    facilitator.name = "Fenna <b>de</b> Vries"
    person = make.make_user(Role.PARTICIPANT)
    db.session.commit()
    client.post(f"/accounts/{person.id}/deactiveren")
    [message] = notices("deactivated")
    assert "<b>de</b>" not in message.body_html and "&lt;b&gt;de&lt;/b&gt;" in message.body_html
    assert "Fenna <b>de</b> Vries heeft" in message.body_text


@pytest.mark.parametrize("app_config", [{"SMTP_HOST": "127.0.0.1"}])
def test_erasure_asks_first_and_sends_one_last_mail_whose_address_the_outbox_forgets(app, client, facilitator,
                                                                                    make, smtp_server):
    app.config["SMTP_PORT"] = smtp_server.port
    person = make.make_user(Role.PARTICIPANT, name="Wies Wissen", email="wies@gemeente.example")
    db.session.commit()
    page = client.get(f"/privacy/persoon/wissen?persoon={person.id}")
    assert page.status_code == 200 and "Wies Wissen wissen?" in page.get_data(as_text=True)
    client.post(f"/privacy/persoon/wissen?persoon={person.id}", data={"bevestigen": "ja"})
    client.post(f"/privacy/persoon/wissen?persoon={person.id}", data={"bevestigen": "ja"})

    [message] = notices("erased")
    assert message.recipient == "wies@gemeente.example"
    # The key goes along as a mail header: an opaque fingerprint, not the account's id.
    assert re.fullmatch(r"forget:account-erased:[0-9a-f]{20}", message.idempotency_key)
    assert "Wies" not in message.body_text, "the last mail does not name the erased person"
    outbox = client.get("/uitgaande-berichten/").get_data(as_text=True)
    assert "wies@gemeente.example" not in outbox and "Wies Wissen" not in outbox

    assert sender.deliver_due() >= 1
    assert any(mail["To"] == "wies@gemeente.example" for mail in smtp_server.messages)
    db.session.refresh(message)
    assert message.status == MessageStatus.SENT
    assert message.recipient == "" and message.body_text == ""


def test_invitation_of_a_facilitator_leads_to_two_factor_setup_first(app, client, facilitator):
    client.post("/accounts/uitnodigen", data={"name": "Nieuwe Facilitator", "email": "nf@liec.example",
                                              "organisation_id": "0", "roles": ["facilitator"]})
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "nf@liec.example"))
    path = re.search(r"http://localhost(/uitnodiging/\S+)", message.body_text).group(1)
    invitee = app.test_client()
    response = invitee.post(path, data={"password": "een goed wachtwoord", "confirm": "een goed wachtwoord"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/tweestapsverificatie"
    assert invitee.get("/account/tweestapsverificatie").status_code == 200


def test_a_deactivated_person_with_only_a_remember_cookie_is_told_too_and_the_cookie_goes(app, client, facilitator,
                                                                                         make):
    person = make.make_user(Role.PARTICIPANT)
    db.session.commit()
    theirs = app.test_client()
    theirs.post("/inloggen", data={"email": person.email, "password": PASSWORD, "remember": "y"})
    assert theirs.get_cookie("remember_token") is not None
    theirs.delete_cookie("session")  # the browser was closed: only the remember cookie is left
    client.post(f"/accounts/{person.id}/deactiveren")

    told = theirs.get("/")
    assert told.status_code == 303 and told.headers["Location"] == "/account-gedeactiveerd"
    assert theirs.get_cookie("remember_token") is None
    assert theirs.get("/account-gedeactiveerd").status_code == 403
    assert theirs.get("/").headers["Location"].startswith("/inloggen")
