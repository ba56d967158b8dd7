"""Changing and cancelling a planned speedlab, and the waiting-list note.

Who hears of a change: everyone invited who has not said no. Seat holders (the problem owner too)
get the updated invitation with an .ics REQUEST (same UID, SEQUENCE + 1); the waiting list gets a
short note without .ics; who said no hears nothing. A new title or question mails nobody. A
cancellation is an .ics CANCEL to the same people, and after it nothing happens in the speedlab.
"""

from datetime import datetime, time, timedelta

import pytest
from babel import dates as babel_dates
from icalendar import Calendar
from sqlalchemy import func, select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.speedlabs import calendar, invitations, links, preparing, rounds, services
from fieldlab.speedlabs.models import InvitationStatus, Phase, SpeedlabSession
from fieldlab.timeutil import LOCAL_ZONE, as_utc, local, utcnow
from tests import factories
from tests.speedlabs.helpers import NOW, make_speedlab, run_to


def _dutch(day) -> str:
    """A day as mail and pages write it in Dutch, like the moments beside it: "5 jan 2027"."""
    return babel_dates.format_date(day, "d MMM y", locale="nl")


def _messages_to(address):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)
                              .order_by(OutboxMessage.id)).all()


def _message_count():
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def _event_of(message):
    [attachment] = message.attachments
    calendar_file = Calendar.from_ical(attachment["content"])
    [event] = calendar_file.walk("VEVENT")
    return calendar_file, event, attachment


@pytest.fixture
def day():
    """A day a month from today in Amsterdam, read per test: the routes use the real clock."""
    return local(utcnow()).date() + timedelta(days=30)


def _at(day, hour, minute=0):
    return as_utc(datetime.combine(day, time(hour, minute), tzinfo=LOCAL_ZONE))


def _planned_speedlab(day):
    """A speedlab a month ahead with everyone a change can reach (the routes use the real clock):
    the owner (invited), Anna (komt), Bram (said no), Cas (got Bram's seat) and Dirk (waiting)."""
    owner = factories.make_user(Role.COMMISSIONER, name="Olga Eigenaar")
    speedlab = make_speedlab(owner=owner, seats=2)
    speedlab.starts_at, speedlab.ends_at = _at(day, 13), _at(day, 15, 30)
    guests = {}
    for name in ("Anna", "Bram", "Cas", "Dirk"):
        guests[name] = invitations.invite_guest(speedlab, name=name, email=f"{name.lower()}@example.org",
                                             by=speedlab.facilitator, now=NOW)
    invitations.respond(guests["Anna"], accept=True, now=NOW)
    invitations.respond(guests["Bram"], accept=False, now=NOW)
    db.session.commit()
    assert [guests[name].status for name in ("Anna", "Bram", "Cas", "Dirk")] == [
        "accepted", "declined", "invited", "waiting"]
    return speedlab, owner, guests


def _form(speedlab, **changes):
    starts, ends = local(speedlab.starts_at), local(speedlab.ends_at)
    data = {"title": speedlab.title, "question": speedlab.question, "context": speedlab.context,
            "day": starts.date().isoformat(), "starts": starts.strftime("%H:%M"), "ends": ends.strftime("%H:%M"),
            "place": speedlab.place, "online_url": speedlab.online_url}
    data.update(changes)
    return data


# --- Changing ----------------------------------------------------------------------------------

def test_a_new_date_and_place_go_to_everyone_invited_who_did_not_say_no(app, client, auth, day):
    speedlab, owner, guests = _planned_speedlab(day)
    first_invitation = _messages_to("anna@example.org")[0]
    auth.login(speedlab.facilitator)
    new_day = day + timedelta(days=2)

    page = client.get(f"/speedlabs/{speedlab.id}/wijzigen").get_data(as_text=True)
    assert 'value="Utrecht"' in page and f'value="{day.isoformat()}"' in page
    response = client.post(f"/speedlabs/{speedlab.id}/wijzigen", data=_form(
        speedlab, day=new_day.isoformat(), starts="14:00", ends="16:00", place="Den Haag, Stadhuis"))

    assert response.status_code == 303 and response.location.endswith(f"/speedlabs/{speedlab.id}")
    prepare = client.get(response.location).get_data(as_text=True)
    assert "Het speedlab is gewijzigd. Wie is uitgenodigd en niet heeft afgezegd, krijgt bericht" in prepare
    assert "Den Haag, Stadhuis" in prepare
    db.session.expire_all()
    assert (speedlab.sequence, speedlab.place, speedlab.starts_at) == (1, "Den Haag, Stadhuis", _at(new_day, 14))

    for invitation in (speedlab.invitations[0], guests["Anna"], guests["Cas"]):
        update = _messages_to(invitation.email)[-1]
        assert update.subject == "Gewijzigd: speedlab Speedlab vastgoed"
        assert (f"Datum en tijd: {_dutch(day)}, 13:00 – 15:30 → {_dutch(new_day)}, 14:00 – 16:00"
                in update.body_text)
        assert "Plaats: Utrecht → Den Haag, Stadhuis" in update.body_text
        assert "/speedlabs/antwoord/" in update.body_text and "/speedlabs/deelnemen/" in update.body_text
        calendar_file, event, attachment = _event_of(update)
        assert attachment["content_type"] == "text/calendar; method=REQUEST"
        assert calendar_file["METHOD"] == "REQUEST"
        assert str(event["UID"]) == calendar.invitation_uid(invitation)
        assert event["SEQUENCE"] == 1 and str(event["STATUS"]) == "CONFIRMED"
        assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
        assert event.decoded("DTSTART").replace(tzinfo=None) == datetime.combine(new_day, time(14))
        assert str(event["LOCATION"]) == "Den Haag, Stadhuis"
    assert owner.email == speedlab.invitations[0].email
    # The same calendar item as the first invitation: the calendar moves it instead of adding one.
    assert str(_event_of(first_invitation)[1]["UID"]) == str(_event_of(_messages_to("anna@example.org")[-1])[1]["UID"])

    assert [m.subject for m in _messages_to("bram@example.org")] == ["Uitnodiging speedlab: Speedlab vastgoed"]
    waiting = _messages_to("dirk@example.org")[-1]
    assert waiting.subject == "Gewijzigd: speedlab Speedlab vastgoed" and waiting.attachments == []
    assert "Plaats: Utrecht → Den Haag, Stadhuis" in waiting.body_text
    assert "U staat nog op de wachtlijst" in waiting.body_text and "/speedlabs/deelnemen/" not in waiting.body_text

    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "speedlab_changed"))
    assert (audit.actor_id, audit.object_id) == (speedlab.facilitator_id, speedlab.id)
    assert audit.detail["fields"] == ["starts_at", "ends_at", "place"] and audit.detail["notified"] == 4


def test_a_new_title_or_question_mails_nobody(app, client, auth, day):
    speedlab, _owner, _guests = _planned_speedlab(day)
    auth.login(speedlab.facilitator)
    before = _message_count()

    response = client.post(f"/speedlabs/{speedlab.id}/wijzigen", data=_form(
        speedlab, title="Vastgoed en witwassen", question="Wat signaleren notarissen?"))

    assert response.status_code == 303
    assert "Het speedlab is gewijzigd." in client.get(response.location).get_data(as_text=True)
    db.session.expire_all()
    assert (speedlab.title, speedlab.question, speedlab.sequence) == ("Vastgoed en witwassen",
                                                                      "Wat signaleren notarissen?", 0)
    assert _message_count() == before


def test_saving_without_changes_says_so_and_records_nothing(app, client, auth, day):
    speedlab, _owner, _guests = _planned_speedlab(day)
    auth.login(speedlab.facilitator)
    response = client.post(f"/speedlabs/{speedlab.id}/wijzigen", data=_form(speedlab), follow_redirects=True)
    assert "Er is niets gewijzigd." in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "speedlab_changed")) is None


def test_two_changes_send_two_updates_and_a_retry_none(app, day):
    speedlab, _owner, guests = _planned_speedlab(day)
    anna = guests["Anna"]
    for number, place in enumerate(("Den Haag", "Tilburg"), start=1):
        details = preparing.details_of(speedlab)
        result = preparing.change_session(speedlab, preparing.SpeedlabDetails(**{**vars(details), "place": place}),
                                         by=speedlab.facilitator, now=NOW)
        assert [change.what for change in result.changes] == ["place"] and speedlab.sequence == number
    # A retry of the last one queues nothing.
    invitations.queue_calendar_notice(anna, kind="update", method="REQUEST", now=NOW, changes=result.changes)

    updates = [m for m in _messages_to(anna.email) if m.subject.startswith("Gewijzigd")]
    assert [m.idempotency_key for m in updates] == [
        f"speedlab:{speedlab.id}:update:invitation{anna.id}:seq1",
        f"speedlab:{speedlab.id}:update:invitation{anna.id}:seq2",
    ]
    assert [_event_of(m)[1]["SEQUENCE"] for m in updates] == [1, 2]
    assert "Plaats: Den Haag → Tilburg" in updates[1].body_text


@pytest.mark.parametrize("changes, field, message", [
    ({"starts": "15:00", "ends": "13:00"}, "ends", "De eindtijd moet na de begintijd liggen."),
    ({"day": "2020-05-04"}, "day", "Kies een datum en begintijd die nog moeten komen."),
    ({"place": "", "online_url": ""}, "place", "Vul een plaats of een link voor online deelname in."),
    ({"online_url": "teams.example"}, "online_url", "Vul een volledige link in, met https://."),
    ({"title": ""}, "title", "Dit veld is verplicht."),
    ({"day": "2026-02-30"}, "day", "Not a valid date value."),
])
def test_a_wrong_change_is_refused_in_dutch_next_to_the_field_and_saves_nothing(app, client, auth, changes, field,
                                                                                  message, day):
    speedlab, _owner, _guests = _planned_speedlab(day)
    auth.login(speedlab.facilitator)
    before, messages = (speedlab.title, speedlab.place, speedlab.starts_at, speedlab.ends_at), _message_count()
    data = _form(speedlab, question="Een nieuwe vraag die bewaard blijft", **{"place": "Den Haag", **changes})

    response = client.post(f"/speedlabs/{speedlab.id}/wijzigen", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    if message.startswith("Not a valid"):  # WTForms' own text, translated by its catalogue
        assert f'id="{field}-error"' in page
    else:
        assert f'<p class="field__error" id="{field}-error">{message}' in page
    assert "Een nieuwe vraag die bewaard blijft" in page  # the input is kept
    if "place" not in changes:
        assert 'value="Den Haag"' in page
    db.session.expire_all()
    assert (speedlab.title, speedlab.place, speedlab.starts_at, speedlab.ends_at) == before
    assert speedlab.question != "Een nieuwe vraag die bewaard blijft" and speedlab.sequence == 0
    assert _message_count() == messages


def test_a_date_that_passed_may_stay_when_only_the_title_changes(app, client, auth, day):
    speedlab, _owner, _guests = _planned_speedlab(day)
    two_days_ago = local(utcnow()).date() - timedelta(days=2)
    speedlab.starts_at, speedlab.ends_at = _at(two_days_ago, 13), _at(two_days_ago, 15)
    db.session.commit()
    auth.login(speedlab.facilitator)
    response = client.post(f"/speedlabs/{speedlab.id}/wijzigen", data=_form(speedlab, title="Nieuwe titel"))
    assert response.status_code == 303 and response.location.endswith(f"/speedlabs/{speedlab.id}")
    page = client.get(response.location).get_data(as_text=True)
    assert "Het speedlab is gewijzigd." in page and "<h1>Nieuwe titel</h1>" in page
    db.session.expire_all()
    assert speedlab.title == "Nieuwe titel"
    assert local(speedlab.starts_at).date() == two_days_ago


def test_a_started_speedlab_can_no_longer_be_changed_or_cancelled(app, client, auth, day):
    speedlab, _owner, _guests = _planned_speedlab(day)
    run_to(speedlab, Phase.IDEAS, now=utcnow())
    db.session.commit()
    auth.login(speedlab.facilitator)
    assert 'id="speedlab-manage"' not in client.get(f"/speedlabs/{speedlab.id}").get_data(as_text=True)
    changed = client.post(f"/speedlabs/{speedlab.id}/wijzigen", data=_form(speedlab, place="Den Haag"))
    assert changed.status_code == 409 and "wijzigen kan niet meer" in changed.get_data(as_text=True)
    cancelled = client.post(f"/speedlabs/{speedlab.id}/annuleren", data={"reason": "Ziek"})
    assert cancelled.status_code == 409 and "annuleren kan niet meer" in cancelled.get_data(as_text=True)
    db.session.expire_all()
    assert (speedlab.place, speedlab.cancelled_at) == ("Utrecht", None)


def test_saying_yes_again_after_a_change_brings_the_current_invitation(app, day):
    speedlab, _owner, guests = _planned_speedlab(day)
    speedlab.seats = 3
    bram = guests["Bram"]
    preparing.change_session(speedlab, preparing.SpeedlabDetails(**{**vars(preparing.details_of(speedlab)),
                                                                  "place": "Den Haag"}),
                            by=speedlab.facilitator, now=NOW)
    assert len(_messages_to(bram.email)) == 1  # who said no does not hear of the change

    invitations.respond(bram, accept=True, now=NOW)

    invitation = _messages_to(bram.email)[-1]
    assert bram.status == InvitationStatus.ACCEPTED
    assert invitation.subject == "Uitnodiging speedlab: Speedlab vastgoed"
    assert _event_of(invitation)[1]["SEQUENCE"] == 1 and str(_event_of(invitation)[1]["LOCATION"]) == "Den Haag"


# --- Cancelling --------------------------------------------------------------------------------

def test_cancelling_asks_a_reason_then_sends_a_cancel_to_everyone_who_did_not_say_no(app, client, auth, day):
    speedlab, owner, guests = _planned_speedlab(day)
    auth.login(speedlab.facilitator)
    before = _message_count()

    confirm = client.get(f"/speedlabs/{speedlab.id}/annuleren").get_data(as_text=True)
    assert "Let op: annuleren kunt u niet ongedaan maken" in confirm
    assert '<dd id="speedlab-cancel-count">4</dd>' in confirm
    refused = client.post(f"/speedlabs/{speedlab.id}/annuleren", data={"reason": "  "})
    assert refused.status_code == 422
    assert '<p class="field__error" id="reason-error">Vul de reden van de annulering in.' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert speedlab.cancelled_at is None and _message_count() == before

    response = client.post(f"/speedlabs/{speedlab.id}/annuleren",
                           data={"reason": "De probleemeigenaar is verhinderd."})

    assert response.status_code == 303
    prepare = client.get(response.location).get_data(as_text=True)
    assert "Het speedlab is geannuleerd." in prepare and "Reden: De probleemeigenaar is verhinderd." in prepare
    assert "Voorgestelde alumni" not in prepare and "/annuleren" not in prepare
    db.session.expire_all()
    assert speedlab.cancelled and speedlab.sequence == 1
    for invitation in (speedlab.invitations[0], guests["Anna"], guests["Cas"]):
        message = _messages_to(invitation.email)[-1]
        assert message.subject == f"Geannuleerd: speedlab Speedlab vastgoed op {_dutch(day)}"
        assert "gaat niet door" in message.body_text
        assert "Reden: De probleemeigenaar is verhinderd." in message.body_text
        calendar_file, event, attachment = _event_of(message)
        assert attachment["content_type"] == "text/calendar; method=CANCEL"
        assert calendar_file["METHOD"] == "CANCEL"
        assert str(event["UID"]) == calendar.invitation_uid(invitation)
        assert event["SEQUENCE"] == 1 and str(event["STATUS"]) == "CANCELLED"
        assert event.decoded("DTSTART").replace(tzinfo=None) == datetime.combine(day, time(13))
    assert owner.email == speedlab.invitations[0].email
    waiting = _messages_to("dirk@example.org")[-1]
    assert waiting.subject.startswith("Geannuleerd") and waiting.attachments == []
    assert "U stond op de wachtlijst" in waiting.body_text
    assert not any(m.subject.startswith("Geannuleerd") for m in _messages_to("bram@example.org"))
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "speedlab_cancelled"))
    assert (audit.actor_id, audit.detail["notified"]) == (speedlab.facilitator_id, 4)

    index = client.get("/speedlabs/").get_data(as_text=True)
    assert "<strong>Geannuleerd</strong>: De probleemeigenaar is verhinderd." in index
    again = client.post(f"/speedlabs/{speedlab.id}/annuleren", data={"reason": "Nog eens"})
    assert again.status_code == 409 and "Dit speedlab is geannuleerd." in again.get_data(as_text=True)
    assert client.get(f"/speedlabs/{speedlab.id}/wijzigen").status_code == 409


def test_nothing_happens_in_a_cancelled_speedlab(app, client, auth, day):
    speedlab, _owner, guests = _planned_speedlab(day)
    anna = guests["Anna"]
    preparing.cancel_session(speedlab, reason="Te weinig aanmeldingen.", by=speedlab.facilitator, now=NOW)
    db.session.commit()
    messages = _message_count()

    # The RSVP link says it is cancelled instead of asking yes or no; an answer is refused.
    rsvp = f"/speedlabs/antwoord/{links.make_link_token(guests['Cas'], links.RSVP)}"
    page = client.get(rsvp).get_data(as_text=True)
    assert "Geannuleerd" in page and "Reden: Te weinig aanmeldingen." in page
    assert "Ja, ik kom" not in page and "Nee, ik kan niet" not in page
    assert client.post(rsvp, data={"answer": "nee"}).status_code == 409
    # The join link and the board say so too (410), and nobody gets in through them.
    joined = client.get(f"/speedlabs/deelnemen/{links.make_link_token(anna, links.JOIN)}")
    assert joined.status_code == 410 and "Te weinig aanmeldingen." in joined.get_data(as_text=True)
    assert client.get(f"/speedlabs/{speedlab.id}/bord").status_code == 404  # the join link let nobody in

    auth.login(speedlab.facilitator)
    board = client.get(f"/speedlabs/{speedlab.id}/bord")
    assert board.status_code == 410 and "Speedlab geannuleerd" in board.get_data(as_text=True)
    polled = client.get(f"/speedlabs/{speedlab.id}/bord/stand", headers={"HX-Request": "true"})
    assert polled.status_code == 204 and polled.headers["HX-Refresh"] == "true"
    for path, data in (("ronde/volgende", {"minutes": "10"}), ("ronde/stoppen", {}), ("ideeen", {"title": "Idee"}),
                       ("clusters", {"heading": "Kop"}), ("stippen", {}), ("gasten", {"name": "X", "email": "x@example.org"})):
        refused = client.post(f"/speedlabs/{speedlab.id}/{path}", data=data)
        assert refused.status_code == 409, path
        assert "Dit speedlab is geannuleerd." in refused.get_data(as_text=True)
    summary = client.get(f"/speedlabs/{speedlab.id}/samenvatting").get_data(as_text=True)
    assert "Reden: Te weinig aanmeldingen." in summary
    db.session.expire_all()
    assert (speedlab.phase, guests["Cas"].status) == (Phase.PREPARING, InvitationStatus.INVITED)
    assert _message_count() == messages

    with pytest.raises(services.SpeedlabCancelled):
        rounds.start_next_round(speedlab, minutes=10, by=speedlab.facilitator, now=NOW)


def test_the_database_keeps_a_cancellation_with_its_reason(app):
    from sqlalchemy.exc import IntegrityError

    speedlab = make_speedlab()
    db.session.commit()
    speedlab.cancelled_at = NOW
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- The waiting list --------------------------------------------------------------------------

def test_who_lands_on_the_waiting_list_hears_their_place_in_line(app):
    speedlab = make_speedlab(seats=1)
    first, second, third = (invitations.invite_guest(speedlab, name=name, email=f"{name.lower()}@example.org",
                                                  by=speedlab.facilitator, now=NOW)
                            for name in ("Eva", "Fien", "Gert"))
    assert [first.status, second.status, third.status] == ["invited", "waiting", "waiting"]

    [notice] = _messages_to("gert@example.org")
    assert notice.subject == "Wachtlijst speedlab: Speedlab vastgoed" and notice.attachments == []
    assert "alle plaatsen zijn bezet. U staat op de wachtlijst, op plaats 2." in notice.body_text
    assert "Komt er een plaats vrij, dan krijgt u vanzelf een uitnodiging" in notice.body_text
    assert "/speedlabs/antwoord/" in notice.body_text and "/speedlabs/deelnemen/" not in notice.body_text
    assert "op plaats 1." in _messages_to("fien@example.org")[0].body_text

    # Eva says no: Fien gets the invitation with the .ics; Gert is now first in line.
    invitations.respond(first, accept=False, now=NOW)
    invitation = _messages_to("fien@example.org")[-1]
    assert invitation.subject == "Uitnodiging speedlab: Speedlab vastgoed"
    assert _event_of(invitation)[0]["METHOD"] == "REQUEST"
    # Eva changes her mind while the seat is taken: back in line, at place 2, told so again.
    invitations.respond(first, accept=True, now=NOW + timedelta(hours=1))
    assert first.status == InvitationStatus.WAITING
    assert "op plaats 2." in _messages_to("eva@example.org")[-1].body_text
    # Fien says no after all: Gert gets her seat and his invitation.
    invitations.respond(second, accept=False, now=NOW + timedelta(hours=2))
    assert _messages_to("gert@example.org")[-1].subject == "Uitnodiging speedlab: Speedlab vastgoed"


# --- Who may ---------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [
    ("facilitator", 200), ("other facilitator", 200), ("invited", 404), ("owner", 404), ("stranger", 404),
    ("anonymous", 302),
])
def test_only_facilitators_change_or_cancel(app, client, auth, who, status, day):
    speedlab, owner, guests = _planned_speedlab(day)
    user = {
        "facilitator": speedlab.facilitator, "other facilitator": factories.make_user(Role.FACILITATOR),
        "invited": factories.make_user(Role.PARTICIPANT), "owner": owner,
        "stranger": factories.make_user(Role.PARTICIPANT), "anonymous": None,
    }[who]
    if who == "invited":
        invitations.invite_alumni(speedlab, [user], reasons={}, by=speedlab.facilitator, now=NOW)
    db.session.commit()
    if user is not None:
        auth.login(user)
    messages = _message_count()

    assert client.get(f"/speedlabs/{speedlab.id}/wijzigen").status_code == status
    assert client.get(f"/speedlabs/{speedlab.id}/annuleren").status_code == status
    if status != 200:
        assert client.post(f"/speedlabs/{speedlab.id}/wijzigen",
                           data=_form(speedlab, place="Den Haag")).status_code == status
        assert client.post(f"/speedlabs/{speedlab.id}/annuleren", data={"reason": "Weg"}).status_code == status
        db.session.expire_all()
        assert (speedlab.place, speedlab.cancelled_at, _message_count()) == ("Utrecht", None, messages)
    assert db.session.get(SpeedlabSession, speedlab.id) is not None


def test_the_html_mail_escapes_what_the_facilitator_typed(app, day):
    speedlab, _owner, guests = _planned_speedlab(day)
    details = preparing.details_of(speedlab)
    preparing.change_session(speedlab, preparing.SpeedlabDetails(**{**vars(details), "place": "Zaal <b>2</b>"}),
                            by=speedlab.facilitator, now=NOW)
    preparing.cancel_session(speedlab, reason="<script>x</script>", by=speedlab.facilitator, now=NOW)
    update, cancellation = _messages_to(guests["Anna"].email)[-2:]
    assert "Zaal &lt;b&gt;2&lt;/b&gt;" in update.body_html and "<b>2</b>" not in update.body_html
    assert "Plaats: Utrecht → Zaal <b>2</b>" in update.body_text
    assert "&lt;script&gt;" in cancellation.body_html and "<script>" not in cancellation.body_html


def test_a_new_speedlab_needs_a_place_or_a_link(login_as, client, day):
    login_as(Role.FACILITATOR)
    response = client.post("/speedlabs/nieuw", data={
        "problem_id": "0", "lab_id": "0", "title": "T", "question": "V", "owner_name": "O", "day": day.isoformat(),
        "starts": "13:00", "ends": "15:00", "place": "", "online_url": "", "seats": "6", "dots": "3",
    })
    assert response.status_code == 422
    assert "Vul een plaats of een link voor online deelname in." in response.get_data(as_text=True)
    assert db.session.scalar(select(SpeedlabSession)) is None
