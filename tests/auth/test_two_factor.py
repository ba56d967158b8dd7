"""Two-factor sign-in: required for facilitators, optional for others, codes used once."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth import twofactor
from fieldlab.auth.models import Role, User
from fieldlab.extensions import db
from tests import factories


def password_step(client, user):
    return client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})


def test_facilitator_without_two_factor_must_set_it_up_before_anything_else(client, auth, make):
    facilitator = make.make_user(Role.FACILITATOR, two_factor=False)
    db.session.commit()
    auth.login(facilitator)

    response = client.get("/accounts")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/tweestapsverificatie")

    page = client.get("/account/tweestapsverificatie").get_data(as_text=True)
    assert "<svg" in page and "QR-code" in page
    with client.session_transaction() as session:
        secret = session["totp_setup_secret"]

    wrong = client.post("/account/tweestapsverificatie", data={"code": "000000"})
    assert wrong.status_code == 422
    assert "Deze code klopt niet" in wrong.get_data(as_text=True)

    done = client.post("/account/tweestapsverificatie", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert "Uw herstelcodes" in done.get_data(as_text=True)
    assert client.get("/accounts").status_code == 200
    db.session.refresh(facilitator)
    assert facilitator.has_two_factor


def test_login_with_two_factor_needs_a_right_code_and_never_the_same_one_twice(client, make):
    user = make.make_user(Role.PARTICIPANT, two_factor=True)
    db.session.commit()
    response = password_step(client, user)
    assert response.headers["Location"].endswith("/inloggen/code")
    assert client.get("/").status_code == 302  # not logged in yet

    wrong = client.post("/inloggen/code", data={"code": "123456"})
    assert wrong.status_code == 422
    assert "De code uit de app klopt niet of is verlopen" in wrong.get_data(as_text=True)

    code = pyotp.TOTP(factories.TOTP_SECRET).now()
    assert client.post("/inloggen/code", data={"code": code}).status_code == 303
    assert client.get("/").status_code == 200

    client.post("/uitloggen")
    password_step(client, user)
    replay = client.post("/inloggen/code", data={"code": code})
    assert replay.status_code == 422


def test_a_recovery_code_works_once(client, make):
    user = make.make_user(Role.PARTICIPANT, two_factor=True)
    codes = twofactor.regenerate_recovery_codes(user)
    db.session.commit()

    password_step(client, user)
    assert client.post("/inloggen/code", data={"code": codes[0].upper()}).status_code == 303
    client.post("/uitloggen")
    password_step(client, user)
    used = client.post("/inloggen/code", data={"code": codes[0]})
    assert used.status_code == 422
    assert "Deze herstelcode klopt niet of is al gebruikt" in used.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "recovery_code_used")) is not None


def test_the_second_step_expires(client, make, app):
    user = make.make_user(Role.PARTICIPANT, two_factor=True)
    db.session.commit()
    password_step(client, user)
    with client.session_transaction() as session:
        session["pending_login"]["at"] -= app.config["TWO_FACTOR_PENDING_SECONDS"] + 1
        session.modified = True
    response = client.post("/inloggen/code", data={"code": pyotp.TOTP(factories.TOTP_SECRET).now()})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/inloggen")


def code_step(client, code, address="127.0.0.1"):
    return client.post("/inloggen/code", data={"code": code}, environ_base={"REMOTE_ADDR": address})


def test_wrong_codes_have_their_own_limit_and_message_and_never_lock_the_password(client, make):
    user = make.make_user(Role.PARTICIPANT, two_factor=True)
    db.session.commit()
    password_step(client, user)
    responses = [code_step(client, "000000") for _ in range(6)]

    assert [response.status_code for response in responses] == [422] * 5 + [429]
    assert "De code uit de app klopt niet of is verlopen" in responses[0].get_data(as_text=True)
    last = responses[5].get_data(as_text=True)
    assert "Vijf keer een onjuiste code" in last
    assert "Te veel mislukte pogingen" not in last
    # The attempt is over; the password is asked again and is still right.
    assert code_step(client, "000000").headers["Location"].endswith("/inloggen")
    assert password_step(client, user).headers["Location"].endswith("/inloggen/code")
    assert code_step(client, pyotp.TOTP(factories.TOTP_SECRET).now()).status_code == 303
    reasons = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "login_failed")).all()
    assert all(details.get("reason") == "wrong_code" for details in reasons)


def test_a_used_code_asks_for_the_next_one_and_counts_for_nothing(client, app, make):
    user = make.make_user(Role.PARTICIPANT, two_factor=True)
    db.session.commit()
    code = pyotp.TOTP(factories.TOTP_SECRET).now()
    password_step(client, user)
    assert code_step(client, code).status_code == 303
    client.post("/uitloggen")

    password_step(client, user)
    for _ in range(8):
        reused = code_step(client, code)
        assert reused.status_code == 422
        assert "Deze code is al gebruikt" in reused.get_data(as_text=True)
    next_code = pyotp.TOTP(factories.TOTP_SECRET).at(datetime.now(UTC) + timedelta(seconds=30))
    assert code_step(client, next_code).status_code == 303


@pytest.mark.parametrize("app_config", [{"TWO_FACTOR_FAILURES_PER_ACCOUNT": "7 per hour"}])
def test_wrong_codes_over_many_attempts_reach_the_account_ceiling(client, make):
    """Someone who knows the password cannot guess codes for ever by starting over."""
    user = make.make_user(Role.PARTICIPANT, two_factor=True)
    db.session.commit()
    for _ in range(2):
        password_step(client, user)
        statuses = [code_step(client, "000000").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert "Te veel onjuiste codes voor dit account" in code_step(client, "000000").get_data(as_text=True)


def test_two_people_signing_in_as_the_demo_facilitator_do_not_lock_each_other_out(app, make):
    """The demo facilitator's password and codes are public: one person types the code the other
    just used, then mistypes the password five times; the other still signs in."""
    facilitator = make.make_user(Role.FACILITATOR, two_factor=True)
    db.session.commit()
    anna, bram = app.test_client(), app.test_client()
    code = pyotp.TOTP(factories.TOTP_SECRET).now()
    anna.post("/inloggen", data={"email": facilitator.email, "password": factories.PASSWORD},
              environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert code_step(anna, code, "10.1.1.1").status_code == 303

    bram.post("/inloggen", data={"email": facilitator.email, "password": factories.PASSWORD},
              environ_base={"REMOTE_ADDR": "10.2.2.2"})
    used = code_step(bram, code, "10.2.2.2")
    assert "Deze code is al gebruikt" in used.get_data(as_text=True)
    for _ in range(5):
        bram.post("/inloggen", data={"email": facilitator.email, "password": "verkeerd"},
                  environ_base={"REMOTE_ADDR": "10.2.2.2"})

    anna.post("/uitloggen")
    again = anna.post("/inloggen", data={"email": facilitator.email, "password": factories.PASSWORD},
                      environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert again.headers["Location"].endswith("/inloggen/code")
    next_code = pyotp.TOTP(factories.TOTP_SECRET).at(datetime.now(UTC) + timedelta(seconds=30))
    assert code_step(anna, next_code, "10.1.1.1").status_code == 303


def test_participant_turns_two_factor_on_and_off(client, login_as):
    user = login_as(Role.PARTICIPANT)
    client.get("/account/tweestapsverificatie")
    with client.session_transaction() as session:
        secret = session["totp_setup_secret"]
    client.post("/account/tweestapsverificatie", data={"code": pyotp.TOTP(secret).now()})
    db.session.refresh(user)
    assert user.has_two_factor

    later = datetime.now(UTC) + timedelta(seconds=30)
    client.post("/account/tweestapsverificatie/uit", data={"code": pyotp.TOTP(secret).at(later)})
    db.session.refresh(user)
    assert not user.has_two_factor


def test_facilitator_cannot_turn_required_two_factor_off(client, login_as):
    facilitator = login_as(Role.FACILITATOR)
    code = pyotp.TOTP(factories.TOTP_SECRET).at(datetime.now(UTC) + timedelta(seconds=30))
    response = client.post("/account/tweestapsverificatie/uit", data={"code": code}, follow_redirects=True)
    assert "verplicht" in response.get_data(as_text=True)
    db.session.refresh(facilitator)
    assert facilitator.has_two_factor


def test_facilitator_resets_the_two_factor_of_someone_who_lost_their_phone(client, login_as, make):
    login_as(Role.FACILITATOR)
    person = make.make_user(Role.FACILITATOR, name="Telefoon Kwijt")
    db.session.commit()
    client.post(f"/accounts/{person.id}/tweestapsverificatie-herstellen")
    person = db.session.get(User, person.id)
    assert not person.has_two_factor


@pytest.mark.parametrize("offset_steps, accepted", [(-1, True), (0, True), (1, True), (-2, False), (2, False)])
def test_codes_are_accepted_one_step_either_side(app, make, offset_steps, accepted):
    user = make.make_user(Role.PARTICIPANT, two_factor=True)
    now = datetime(2026, 11, 26, 12, 0, 15, tzinfo=UTC)
    code = pyotp.TOTP(factories.TOTP_SECRET).at(now + timedelta(seconds=30 * offset_steps))
    assert twofactor.verify(user, code, now=now) is accepted


def test_each_kind_of_code_is_refused_in_its_own_words(client, make):
    """A wrong recovery code is not "the next code from the app", and a wrong app code is not a
    used recovery code: the message names what the person typed."""
    user = make.make_user(Role.PARTICIPANT, two_factor=True)
    twofactor.regenerate_recovery_codes(user)
    db.session.commit()
    password_step(client, user)

    recovery = client.post("/inloggen/code", data={"code": "abcdef-123456"}).get_data(as_text=True)
    assert "Deze herstelcode klopt niet of is al gebruikt" in recovery
    assert "De code uit de app" not in recovery and "Wacht tot de app" not in recovery

    app_code = client.post("/inloggen/code", data={"code": "000 000"}).get_data(as_text=True)
    assert "De code uit de app klopt niet of is verlopen" in app_code
    assert "herstelcode klopt niet" not in app_code
