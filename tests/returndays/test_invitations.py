"""Invitations over real SMTP with their .ics, RSVP links, and what a facilitator sees."""

import email
import socket
from datetime import date, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from fieldlab.extensions import db
from fieldlab.mail import sender
from fieldlab.returndays import decisions, invitations, routes, rsvp
from fieldlab.returndays.models import Response
from tests.returndays.helpers import arrange_team, at, details, outbox


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


def _calendar_of(message) -> Calendar:
    part = next(part for part in message.walk() if part.get_content_type() == "text/calendar")
    return Calendar.from_ical(part.get_payload(decode=True))


def test_invitation_arrives_over_smtp_with_an_ics_and_an_update_has_a_higher_sequence(app, smtp_server):
    controller, inbox = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    setting = arrange_team(date(2025, 2, 10), members=1)
    now = at(date(2025, 3, 20), 9)
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(date(2025, 3, 31), agenda="Terugblik op 50 dagen"),
                                           by=setting.facilitator, now=now)
    db.session.commit()
    assert sender.deliver_due(now=now) == 4

    message = next(m for m in inbox.messages if m["To"] == setting.members[0].email)
    assert message["Subject"] == "Uitnodiging: terugkomdag dag 50 op 31 maart 2025"
    text = message.get_body(("plain",)).get_content()
    for expected in ("maandag 31 maart 2025", "10:00–16:00", "Utrecht, LIEC", "Terugblik op 50 dagen",
                     "Lars Leidinggevende (leidinggevende)", "Olga Opdrachtgever (opdrachtgever)", "/antwoord/"):
        assert expected in text
    assert "Vraagstuk" not in text  # no case content, only the Lab and team
    calendar = _calendar_of(message)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Amsterdam"
    event = calendar.walk("VEVENT")[0]
    invitation = next(i for i in return_day.invitations if i.user_id == setting.members[0].id)
    assert str(event["UID"]) == f"returnday-{return_day.id}-user{setting.members[0].id}@fieldlab"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART").isoformat() == "2025-03-31T10:00:00+02:00"
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert str(event["ORGANIZER"]) == "mailto:fieldlab@localhost"
    assert str(event["ATTENDEE"]) == f"mailto:{invitation.email}"
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert str(event["LOCATION"]) == "Utrecht, LIEC"

    decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50, details=details(date(2025, 4, 7)),
                              by=setting.facilitator, now=now + timedelta(days=1))
    db.session.commit()
    inbox.messages.clear()
    assert sender.deliver_due(now=now + timedelta(days=1)) == 4
    update = next(m for m in inbox.messages if m["To"] == setting.members[0].email)
    assert update["Subject"].startswith("Gewijzigde uitnodiging")
    updated = _calendar_of(update).walk("VEVENT")[0]
    assert str(updated["UID"]) == str(event["UID"])
    assert updated["SEQUENCE"] == 1
    assert updated.decoded("DTSTART").date() == date(2025, 4, 7)


def _invitation(app):
    setting = arrange_team(date(2030, 2, 11), members=1)
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(date(2030, 4, 1)), by=setting.facilitator,
                                           now=at(date(2030, 3, 20), 9))
    stakeholder = invitations.add_stakeholder(return_day, email="buurt@example.net", name="Bea Buurt",
                                              by=setting.facilitator, now=at(date(2030, 3, 20), 9))
    db.session.commit()
    return setting, return_day, stakeholder


def test_stakeholder_answers_without_logging_in_and_can_change_the_answer(app, client):
    _setting, return_day, stakeholder = _invitation(app)
    link = rsvp.rsvp_link(stakeholder).removeprefix("http://localhost")
    page = client.get(link)
    assert page.status_code == 200
    assert "Komt u naar de terugkomdag?" in page.get_data(as_text=True)
    response = client.post(link, data={"response": "maybe", "remark": "Ik kom misschien later"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert stakeholder.response == Response.MAYBE and stakeholder.remark == "Ik kom misschien later"
    client.post(link, data={"response": "yes", "remark": ""})
    db.session.refresh(stakeholder)
    assert stakeholder.response == Response.YES


def test_rsvp_without_a_choice_is_refused_with_a_dutch_message(app, client):
    _setting, _return_day, stakeholder = _invitation(app)
    link = rsvp.rsvp_link(stakeholder).removeprefix("http://localhost")
    response = client.post(link, data={"remark": "hallo"})
    assert response.status_code == 422
    assert "Kies Ja, Nee of Misschien." in response.get_data(as_text=True)


def test_tampered_token_is_refused(app, client):
    _setting, _return_day, stakeholder = _invitation(app)
    token = rsvp.rsvp_token(stakeholder)
    response = client.get(f"/antwoord/{stakeholder.id}/{token[:-2]}xx")
    assert response.status_code == 400
    assert "Deze link klopt niet" in response.get_data(as_text=True)


def test_other_persons_token_is_refused(app, client):
    _setting, return_day, stakeholder = _invitation(app)
    someone_else = next(i for i in return_day.invitations if i.id != stakeholder.id)
    response = client.post(f"/antwoord/{someone_else.id}/{rsvp.rsvp_token(stakeholder)}",
                           data={"response": "no"})
    assert response.status_code == 403
    assert "hoort bij de uitnodiging van iemand anders" in response.get_data(as_text=True)
    assert someone_else.response is None


def test_token_expires_when_the_day_has_begun(app, client):
    _setting, return_day, stakeholder = _invitation(app)
    with pytest.raises(rsvp.RsvpRefused) as refused:
        rsvp.invitation_for_rsvp(stakeholder.id, rsvp.rsvp_token(stakeholder),
                                 now=return_day.starts_at + timedelta(minutes=1))
    assert refused.value.reason == "expired"
    assert "verlopen" in refused.value.message
    assert rsvp.invitation_for_rsvp(stakeholder.id, rsvp.rsvp_token(stakeholder),
                                    now=return_day.starts_at - timedelta(minutes=1)) is stakeholder


def test_removed_invitee_token_is_refused(app, client):
    setting, _return_day, stakeholder = _invitation(app)
    invitations.remove_invitee(stakeholder, by=setting.facilitator, now=at(date(2030, 3, 21), 9))
    db.session.commit()
    response = client.get(rsvp.rsvp_link(stakeholder).removeprefix("http://localhost"))
    assert response.status_code == 410
    assert "niet (meer) op de lijst" in response.get_data(as_text=True)


def test_facilitator_sees_answers_messages_exports_csv_and_resends(app, client, auth):
    setting, return_day, stakeholder = _invitation(app)
    rsvp.record_response(stakeholder, response=Response.NO, remark="Andere afspraak", now=at(date(2030, 3, 22), 9))
    db.session.commit()
    auth.login(setting.facilitator)
    page = client.get(f"/terugkomdagen/{return_day.id}").get_data(as_text=True)
    assert "Bea Buurt" in page and "Andere afspraak" in page
    assert "Uitnodiging: terugkomdag dag 50 op 1 april 2030" in page  # from the outbox
    assert "Versie van de uitnodiging</dt><dd>1 " in page and "SEQUENCE" not in page  # words, not iCalendar's

    csv = client.get(f"/terugkomdagen/{return_day.id}/aanwezigheid.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Naam;E-mailadres;Rol")
    assert "Bea Buurt;buurt@example.net;stakeholder;;Nee;Andere afspraak" in lines[-1]

    before = len(outbox())
    response = client.post(f"/terugkomdagen/{return_day.id}/genodigden/{stakeholder.id}/opnieuw")
    assert response.status_code == 303
    assert len(outbox()) == before + 1
    assert ":resend" in outbox()[-1].idempotency_key


def test_a_signed_in_invitee_answers_on_the_return_days_page_until_it_begins(app, client, auth, monkeypatch):
    setting, return_day, stakeholder = _invitation(app)
    member = setting.members[0]
    own = next(i for i in return_day.invitations if i.user_id == member.id)
    auth.login(member)
    path = f"/terugkomdagen/{return_day.id}"
    assert "Uw antwoord tot nu toe: nog geen antwoord." in client.get(path).get_data(as_text=True)

    refused = client.post(f"{path}/mijn-antwoord", data={"remark": "Ik kom na de lunch"})
    assert refused.status_code == 422
    assert "Kies Ja, Nee of Misschien." in refused.get_data(as_text=True)
    assert "Ik kom na de lunch" in refused.get_data(as_text=True) and own.response is None

    saved = client.post(f"{path}/mijn-antwoord", data={"response": "yes", "remark": "Ik kom na de lunch"},
                        follow_redirects=True)
    assert "Uw antwoord is opgeslagen (Ja)." in saved.get_data(as_text=True)
    db.session.refresh(own)
    assert (own.response, own.remark) == (Response.YES, "Ik kom na de lunch")
    assert stakeholder.response is None, "only one's own invitation"

    # Once the day has begun the answer stands, as with the mailed link.
    monkeypatch.setattr(routes, "utcnow", lambda: return_day.starts_at + timedelta(minutes=1))
    assert "mijn-antwoord" not in client.get(path).get_data(as_text=True)
    late = client.post(f"{path}/mijn-antwoord", data={"response": "no"}, follow_redirects=True)
    assert "U kunt voor deze terugkomdag niet (meer) antwoorden" in late.get_data(as_text=True)
    db.session.refresh(own)
    assert own.response == Response.YES


def test_an_invitee_taken_off_the_list_sees_no_answer_form(app, client, auth):
    setting, return_day, _stakeholder = _invitation(app)
    member = setting.members[0]
    own = next(i for i in return_day.invitations if i.user_id == member.id)
    invitations.remove_invitee(own, by=setting.facilitator, now=at(date(2030, 3, 21), 9))
    db.session.commit()
    auth.login(member)
    assert "mijn-antwoord" not in client.get(f"/terugkomdagen/{return_day.id}").get_data(as_text=True)
    assert client.post(f"/terugkomdagen/{return_day.id}/mijn-antwoord", data={"response": "yes"}).status_code == 303
    db.session.refresh(own)
    assert own.response is None
