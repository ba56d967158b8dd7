"""Facilitators invite people, change their roles and deactivate accounts; everything is audited."""

import re

import pytest
from sqlalchemy import func, select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role, User
from fieldlab.extensions import db
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.organisations.models import Organisation
from fieldlab.organisations.services import load_reference_list
from tests.factories import PASSWORD


def audit_actions(action=None):
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return db.session.scalars(query).all()


def invite(client, **fields):
    data = {
        "name": "Youssef El Amrani",
        "email": "youssef@om.example",
        "organisation_id": "0",
        "roles": ["participant"],
    }
    data.update(fields)
    return client.post("/accounts/uitnodigen", data=data)


def invitation_path(message: OutboxMessage) -> str:
    link = re.search(r"http://localhost(/uitnodiging/\S+)", message.body_text)
    assert link, message.body_text
    return link.group(1)


@pytest.fixture
def facilitator(login_as):
    return login_as(Role.FACILITATOR, name="Fenna de Vries")


def test_invitation_creates_the_account_and_queues_a_mail(client, facilitator, make):
    organisation = make.make_organisation("Openbaar Ministerie", short_name="OM", kind="justitie")

    response = invite(client, organisation_id=str(organisation.id), roles=["participant", "manager"])

    assert response.status_code == 303
    person = User.by_email("youssef@om.example")
    assert response.location.endswith(f"/accounts/{person.id}")
    assert person.name == "Youssef El Amrani" and person.organisation_id == organisation.id
    assert person.roles == {Role.PARTICIPANT, Role.MANAGER}
    assert not person.has_password
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipient == "youssef@om.example"
    assert message.subject == "Uitnodiging voor Fieldlab"
    assert message.status == MessageStatus.QUEUED
    assert "Fenna de Vries nodigt u uit voor Fieldlab" in message.body_text
    assert "Fenna de Vries nodigt u uit voor Fieldlab" in message.body_html
    [event] = audit_actions("user_invited")
    assert (event.actor_id, event.subject_user_id) == (facilitator.id, person.id)
    assert event.detail == {"roles": ["manager", "participant"]}
    page = client.get(response.location).get_data(as_text=True)
    assert "uitgenodigd, nog geen wachtwoord gekozen" in page


def test_invitee_sets_a_password_through_the_link_and_logs_in(app, client, facilitator):
    invite(client)
    message = db.session.scalars(select(OutboxMessage)).one()
    invitee = app.test_client()

    page = invitee.get(invitation_path(message))
    assert page.status_code == 200
    assert "Welkom bij Fieldlab, Youssef El Amrani" in page.get_data(as_text=True)
    response = invitee.post(
        invitation_path(message),
        data={"password": "mijn eigen wachtwoord", "confirm": "mijn eigen wachtwoord"},
    )
    assert response.status_code == 303
    # Choosing the password logs the person in: they land on their home page.
    assert response.headers["Location"] == "/"
    home = invitee.get("/").get_data(as_text=True)
    assert "Welkom, Youssef El Amrani" in home
    assert "u bent ingelogd" in home
    invitee_id = User.by_email("youssef@om.example").id
    assert [e.actor_id for e in audit_actions("login")][-1] == invitee_id
    invitee.post("/uitloggen")

    login = invitee.post(
        "/inloggen", data={"email": "youssef@om.example", "password": "mijn eigen wachtwoord"}
    )
    assert login.status_code == 303
    assert [e.action for e in audit_actions("invitation_accepted")] == ["invitation_accepted"]
    assert invitee.get(invitation_path(message)).status_code == 400, "the link works once"


def test_duplicate_email_is_refused_next_to_the_field_with_input_kept(client, facilitator, make):
    make.make_user(email="bestaat@example.org")

    response = invite(client, name="Kees van Dijk", email="Bestaat@Example.org", roles=["manager"])

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(
        r'class="field__error" id="email-error">Er bestaat al een account met dit e-mailadres.', page
    )
    assert 'value="Kees van Dijk"' in page
    assert 'value="Bestaat@Example.org"' in page
    assert re.search(r'value="manager"\s+checked', page)
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert audit_actions("user_invited") == []


def test_invitation_needs_a_role_and_a_valid_email(client, facilitator):
    response = invite(client, email="geen-adres", roles=[])

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Vul een geldig e-mailadres in" in page
    assert "Kies minstens één rol." in page
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_invite_form_offers_concrete_organisations_only(client, facilitator):
    load_reference_list()
    db.session.commit()

    page = client.get("/accounts/uitnodigen").get_data(as_text=True)

    assert "Openbaar Ministerie" in page
    assert "(elke " not in page
    generic = db.session.scalar(select(Organisation).where(Organisation.name == "Gemeente (elke gemeente)"))
    response = invite(client, organisation_id=str(generic.id))
    assert response.status_code == 422
    assert User.by_email("youssef@om.example") is None


def test_resending_an_invitation_queues_a_new_mail(client, facilitator):
    invite(client)
    person = User.by_email("youssef@om.example")

    response = client.post(f"/accounts/{person.id}/uitnodiging-opnieuw")

    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) >= 1


def test_role_change_is_saved_and_audited(client, facilitator, make):
    person = make.make_user(Role.PARTICIPANT)

    confirmation = client.post(f"/accounts/{person.id}", data={"roles": ["participant", "manager"]})
    assert confirmation.status_code == 200
    page = confirmation.get_data(as_text=True)
    assert "Rollen van" in page and "deelnemer, leidinggevende" in page
    assert db.session.get(User, person.id).roles == {Role.PARTICIPANT}, "not before the confirmation"

    response = client.post(f"/accounts/{person.id}", data={"roles": ["participant", "manager"], "bevestigd": "ja"})

    assert response.status_code == 303
    assert db.session.get(User, person.id).roles == {Role.PARTICIPANT, Role.MANAGER}
    [event] = audit_actions("roles_changed")
    assert (event.actor_id, event.subject_user_id) == (facilitator.id, person.id)
    assert event.detail == {"before": ["participant"], "after": ["manager", "participant"]}


def test_saving_the_same_roles_writes_no_audit_row(client, facilitator, make):
    person = make.make_user(Role.PARTICIPANT)

    client.post(f"/accounts/{person.id}", data={"roles": ["participant"]})

    assert audit_actions("roles_changed") == []


def test_facilitator_cannot_remove_own_facilitator_role(client, facilitator):
    response = client.post(f"/accounts/{facilitator.id}", data={"roles": ["participant"]})

    assert response.status_code == 422
    assert "U kunt uw eigen facilitatorrol niet intrekken." in response.get_data(as_text=True)
    assert db.session.get(User, facilitator.id).roles == {Role.FACILITATOR}
    assert audit_actions("roles_changed") == []


def test_facilitator_may_add_a_role_to_own_account(client, facilitator):
    response = client.post(f"/accounts/{facilitator.id}", data={"roles": ["facilitator", "participant"],
                                                                "bevestigd": "ja"})

    assert response.status_code == 303
    assert db.session.get(User, facilitator.id).roles == {Role.FACILITATOR, Role.PARTICIPANT}


def test_deactivation_is_audited_and_refuses_login(client, facilitator, make):
    person = make.make_user()

    response = client.post(f"/accounts/{person.id}/deactiveren")

    assert response.status_code == 303
    assert "is gedeactiveerd, wordt bij de volgende klik uitgelogd" in client.get(
        response.location
    ).get_data(as_text=True)
    assert db.session.get(User, person.id).active is False
    [event] = audit_actions("user_deactivated")
    assert (event.actor_id, event.subject_user_id) == (facilitator.id, person.id)
    other = client.application.test_client()
    assert other.post("/inloggen", data={"email": person.email, "password": PASSWORD}).status_code == 403


def test_reactivation_lets_the_person_in_again(client, facilitator, make):
    person = make.make_user(active=False)

    client.post(f"/accounts/{person.id}/activeren")

    assert db.session.get(User, person.id).active is True
    assert [e.action for e in audit_actions("user_reactivated")] == ["user_reactivated"]
    other = client.application.test_client()
    assert other.post("/inloggen", data={"email": person.email, "password": PASSWORD}).status_code == 303


def test_facilitator_cannot_deactivate_self(client, facilitator):
    response = client.post(f"/accounts/{facilitator.id}/deactiveren")

    assert response.status_code == 303
    assert "U kunt uw eigen account niet deactiveren." in client.get(response.location).get_data(as_text=True)
    assert db.session.get(User, facilitator.id).active is True
    assert audit_actions("user_deactivated") == []


def test_the_deactivation_page_of_ones_own_account_is_refused_too(client, facilitator):
    response = client.get(f"/accounts/{facilitator.id}/deactiveren")

    assert response.status_code == 303
    assert "U kunt uw eigen account niet deactiveren." in client.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_two_factor_reset_of_ones_own_account_or_of_someone_without_it(client, facilitator, make, method):
    without = make.make_user(Role.PARTICIPANT, name="Zonder Code")
    db.session.commit()
    for person in (facilitator, without):
        response = getattr(client, method)(f"/accounts/{person.id}/tweestapsverificatie-herstellen")
        assert response.status_code == 303 and response.location.endswith(f"/accounts/{person.id}")
        page = client.get(response.location).get_data(as_text=True)
        assert "alert--success" not in page and 'role="alert">' not in page  # no flash: not a word
    assert db.session.get(User, facilitator.id).has_two_factor
    assert [event.action for event in audit_actions()] == ["login"]
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_accounts_page_lists_people_with_their_status(client, facilitator, make):
    make.make_user(Role.MANAGER, name="Lotte Jansen")
    make.make_user(name="Ruben de Jong", active=False)
    make.make_user(name="Sanne Smit", password=False)

    page = client.get("/accounts").get_data(as_text=True)

    assert "Lotte Jansen" in page and "leidinggevende" in page
    assert re.search(r"Ruben de Jong.*?gedeactiveerd", page, re.S)
    assert re.search(r"Sanne Smit.*?uitgenodigd", page, re.S)


def test_audit_page_shows_logins_and_failed_logins(app, client, facilitator, make):
    person = make.make_user(name="Marieke Hendriks")
    other = app.test_client()
    other.post("/inloggen", data={"email": person.email, "password": "fout wachtwoord"})
    other.post("/inloggen", data={"email": person.email, "password": PASSWORD})

    page = client.get("/logboek/").get_data(as_text=True)

    assert re.search(r"inloggen mislukt</td>\s*<td>—</td>\s*<td>Marieke Hendriks", page)
    assert re.search(r"ingelogd</td>\s*<td>Marieke Hendriks", page)
    filtered = client.get("/logboek/?actie=login_failed").get_data(as_text=True)
    assert "inloggen mislukt" in filtered and "<td>ingelogd</td>" not in filtered


def test_the_accounts_list_names_organisations_in_full_and_finds_people_by_them(client, facilitator, make):
    """The list showed short names ("Tilburg", "NLA") where every other page says "Gemeente
    Tilburg"; searching "oister" found nobody of Gemeente Oisterwijk."""
    oisterwijk = make.make_organisation("Gemeente Oisterwijk", short_name="Oisterwijk")
    make.make_user(Role.PARTICIPANT, name="Bas Bakker", email="bas@voorbeeld.example", organisation=oisterwijk)
    make.make_user(Role.PARTICIPANT, name="Iris Ander", email="iris@elders.example")
    db.session.commit()
    page = client.get("/accounts?zoek=oister").get_data(as_text=True)
    assert "Bas Bakker" in page and "Iris Ander" not in page
    assert "<td>Gemeente Oisterwijk</td>" in page
