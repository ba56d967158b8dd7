"""Signed links carry opaque ids only: no e-mail address or name can be read from any link the app
mails (a signed payload is base64, not encrypted). Links mailed in the old format, with the address
in them, keep working until they expire, and no longer."""

import base64
import json
import time
from datetime import datetime, timedelta
from unittest import mock

import pytest
from flask import current_app
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from fieldlab import links
from fieldlab.auth import services as accounts
from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.returndays import rsvp as returnday_rsvp
from fieldlab.signals import services as signals
from tests.returndays.test_invitations import _invitation
from tests.signals.helpers import NOW, complete_draft, to_consultation, world
from tests.signals.test_workflow import closed_signal


def payload_text(token: str) -> str:
    """What anyone holding the link can read: the base64 payload, decoded."""
    encoded = token.split(".")[0]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8", "replace")


def old_format_token(salt: str, payload: dict, *, signed_at: datetime | None = None) -> str:
    """A link as the app signed it before: the same serializer, at `signed_at` (to make it old)."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)
    if signed_at is None:
        return serializer.dumps(payload)
    with mock.patch("itsdangerous.timed.time.time", return_value=signed_at.timestamp()):
        return serializer.dumps(payload)


def assert_opaque(token: str, *secrets_: str) -> None:
    readable = payload_text(token)
    json.loads(readable)  # it is the payload we decoded
    assert "@" not in readable
    for secret in secrets_:
        assert secret.lower() not in readable.lower()


def test_rsvp_link_names_nobody_and_old_links_keep_working_until_they_expire(app, client):
    _setting, return_day, stakeholder = _invitation(app)
    token = returnday_rsvp.rsvp_token(stakeholder)
    assert_opaque(token, "buurt@example.net", "Bea Buurt", "buurt")
    page = client.get(f"/antwoord/{stakeholder.id}/{token}")
    assert page.status_code == 200 and "<h1>Komt u naar de terugkomdag?</h1>" in page.get_data(as_text=True)

    old = old_format_token(returnday_rsvp.RSVP_SALT, {"i": stakeholder.id, "e": stakeholder.email})
    assert "buurt@example.net" in payload_text(old)  # what was mailed before
    page = client.get(f"/antwoord/{stakeholder.id}/{old}")
    assert page.status_code == 200 and "<h1>Komt u naar de terugkomdag?</h1>" in page.get_data(as_text=True)
    client.post(f"/antwoord/{stakeholder.id}/{old}", data={"response": "yes", "remark": ""})
    assert stakeholder.response == "yes"
    # An old link for another address does not fit this invitation.
    wrong = old_format_token(returnday_rsvp.RSVP_SALT, {"i": stakeholder.id, "e": "iemand@anders.example"})
    assert client.get(f"/antwoord/{stakeholder.id}/{wrong}").status_code == 403
    # ... and an old link past its age limit is refused like any other.
    expired = old_format_token(returnday_rsvp.RSVP_SALT, {"i": stakeholder.id, "e": stakeholder.email},
                               signed_at=datetime.now() - returnday_rsvp.RSVP_MAX_AGE - timedelta(days=1))
    with pytest.raises(returnday_rsvp.RsvpRefused) as refused:
        returnday_rsvp.invitation_for_rsvp(stakeholder.id, expired, now=return_day.starts_at - timedelta(days=1))
    assert refused.value.reason == "expired"


def test_a_new_rsvp_link_stops_fitting_when_the_invitation_is_for_someone_else(app):
    _setting, return_day, stakeholder = _invitation(app)
    token = returnday_rsvp.rsvp_token(stakeholder)
    stakeholder.email = "opvolger@example.net"
    db.session.flush()
    with pytest.raises(returnday_rsvp.RsvpRefused) as refused:
        returnday_rsvp.invitation_for_rsvp(stakeholder.id, token, now=return_day.starts_at - timedelta(days=1))
    assert refused.value.reason == "other"


def test_signal_confirmation_link_shows_no_address_and_fits_only_the_representative(app):
    w = world()
    signal = complete_draft(w)
    to_consultation(w, signal)
    signals.record_consultation(signal, on=NOW.date(), outcome="confirmed", notes="", by=w.facilitator, now=NOW)
    signals.request_confirmation(signal, now=NOW)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key.contains(":confirm:")))
    token = message.body_text.split("/signalen/bevestigen/")[1].split()[0]
    assert_opaque(token, signal.representative_email, signal.representative_name)
    assert signals.signal_for_confirmation(token).id == signal.id

    old = old_format_token(signals.CONFIRM_SALT, {"signal": signal.id, "email": signal.representative_email.lower()})
    assert signals.signal_for_confirmation(old).id == signal.id
    signal.representative_email = "nieuw@riec.example"
    db.session.flush()
    for stale in (token, old):
        with pytest.raises(links.LinkError):
            signals.signal_for_confirmation(stale)
    expired = old_format_token(signals.CONFIRM_SALT, {"signal": signal.id, "email": "nieuw@riec.example"},
                               signed_at=datetime.fromtimestamp(time.time()) - timedelta(days=31))
    with pytest.raises(links.LinkError) as error:
        signals.signal_for_confirmation(expired)
    assert error.value.reason == "expired"


def test_signal_effect_link_shows_no_address_and_still_knows_who_answers(app):
    from datetime import UTC

    from fieldlab import followups

    w = world()
    signal = closed_signal(w)
    followups.run_due(datetime(2027, 10, 10, 8, tzinfo=UTC))
    db.session.commit()
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.idempotency_key.contains("signal_effect"))).all()
    assert messages
    for message in messages:
        token = message.body_text.split("/signalen/effect/")[1].split()[0]
        assert_opaque(token, message.recipient)
        found, email = signals.signal_for_effect(token)
        assert found.id == signal.id and email == message.recipient.lower()
    old = old_format_token(signals.EFFECT_SALT, {"signal": signal.id, "email": messages[0].recipient.lower()})
    assert signals.signal_for_effect(old)[1] == messages[0].recipient.lower()
    stranger = old_format_token(signals.EFFECT_SALT, {"signal": signal.id, "email": "vreemde@example.net"})
    with pytest.raises(links.LinkError):
        signals.signal_for_effect(stranger)


def test_account_links_carry_ids_only(app, make):
    person = make.make_user(Role.PARTICIPANT, name="Henk de Vries", email="henk@gemeente.example")
    for purpose in ("reset", "invite"):
        assert_opaque(accounts.make_token(person, purpose), "henk", "Vries")


def test_every_link_in_every_queued_mail_is_opaque(app, client, login_as, make):
    """Whatever the app mailed while the tests above ran their features, checked once more
    across the outbox: no token in a mailed link decodes to an address."""
    from tests.returndays.test_invitations import _invitation as make_invitation

    make_invitation(app)
    person = make.make_user(Role.PARTICIPANT, name="Ina Link", email="ina@gemeente.example")
    accounts.request_password_reset(person.email)
    db.session.commit()
    tokens = []
    for message in db.session.scalars(select(OutboxMessage)):
        for word in message.body_text.split():
            if word.startswith("http") and "." in word.rsplit("/", 1)[-1]:
                tokens.append(word.rstrip(".,").rsplit("/", 1)[-1])
    assert tokens
    for token in tokens:
        try:
            assert "@" not in payload_text(token)
        except (ValueError, UnicodeDecodeError):
            continue  # not a signed token (a file name)


