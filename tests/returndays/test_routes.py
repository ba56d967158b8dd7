"""The pages: planning, changing, who may see what, the calendar and the private feed."""

from datetime import date, timedelta

import pytest
from icalendar import Calendar

from fieldlab.auth.models import Role
from fieldlab.auth.permissions import can
from fieldlab.extensions import db
from fieldlab.labs.models import LabKind
from fieldlab.returndays import decisions, pack, services
from fieldlab.returndays.models import ReturnDay
from fieldlab.timeutil import local, utcnow
from tests import factories
from tests.returndays.helpers import arrange_team, details, keys, outbox


def _confirmed(setting, day=50, on=None):
    on = on or setting.team.challenge.date_of_day(day)
    return decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=day, details=details(on),
                                     by=setting.facilitator, now=utcnow())


def test_facilitator_plans_a_day_from_the_proposal_and_moves_it(app, client, auth):
    setting = arrange_team(local(utcnow()).date() + timedelta(days=14))
    setting.lab.place = "Den Haag"
    db.session.commit()
    auth.login(setting.facilitator)
    page = client.get(f"/terugkomdagen/team/{setting.team.id}").get_data(as_text=True)
    assert "Dag 50 vastleggen" in page
    proposal = services.proposals_for(setting.team.challenge.starts_on)[1]
    response = client.post(f"/terugkomdagen/team/{setting.team.id}/dag/50", data={
        "day50-day": proposal.proposed_date.isoformat(), "day50-start": "10:00", "day50-end": "15:30",
        "day50-place": "Den Haag", "day50-online_link": "", "day50-agenda": "Voortgang"})
    assert response.status_code == 303
    return_day = db.session.query(ReturnDay).one()
    assert local(return_day.starts_at).strftime("%H:%M") == "10:00"

    response = client.post(f"/terugkomdagen/{return_day.id}/wijzigen", data={
        "day": (proposal.proposed_date + timedelta(days=7)).isoformat(), "start": "10:00", "end": "15:30",
        "place": "Den Haag", "online_link": "", "agenda": "Voortgang"})
    assert response.status_code == 303
    db.session.refresh(return_day)
    assert local(return_day.starts_at).date() == proposal.proposed_date + timedelta(days=7)


def test_invalid_times_rerender_with_dutch_errors_and_keep_input(app, client, auth):
    setting = arrange_team(local(utcnow()).date() + timedelta(days=14))
    db.session.commit()
    auth.login(setting.facilitator)
    response = client.post(f"/terugkomdagen/team/{setting.team.id}/dag/1", data={
        "day1-day": "", "day1-start": "15:00", "day1-end": "10:00", "day1-place": "", "day1-online_link": "nee",
        "day1-agenda": "Mijn agenda"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Dit veld is verplicht." in page
    assert "De eindtijd moet na de begintijd liggen." in page
    assert "Vul een volledige link in" in page
    assert "Mijn agenda" in page
    assert db.session.query(ReturnDay).count() == 0


def test_a_day_is_not_confirmed_without_a_place_or_a_link_and_the_errors_are_summed_up(app, client, auth):
    """A confirmed day with neither went out as an invitation without a location line: the check
    never ran, as the place's Optional() stopped its chain when the place was empty. The errors
    now also have a summary with links above the form (the page's script moves focus to it)."""
    setting = arrange_team(local(utcnow()).date() + timedelta(days=14))
    db.session.commit()
    auth.login(setting.facilitator)
    day = setting.team.challenge.date_of_day(50).isoformat()
    response = client.post(f"/terugkomdagen/team/{setting.team.id}/dag/50", data={
        "day50-day": day, "day50-start": "10:00", "day50-end": "15:00", "day50-place": "", "day50-online_link": "",
        "day50-agenda": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Vul een plaats of een link voor online deelname in." in page
    assert 'class="alert alert--error error-summary"' in page and 'href="#day50-place"' in page
    assert 'Plaats <span class="field__optional">(of een link)</span>' in page
    assert db.session.query(ReturnDay).count() == 0
    response = client.post(f"/terugkomdagen/team/{setting.team.id}/dag/50", data={
        "day50-day": day, "day50-start": "10:00", "day50-end": "15:00", "day50-place": "",
        "day50-online_link": "https://meet.example.org/dag50", "day50-agenda": ""})
    assert response.status_code == 303


def test_planning_without_a_start_date_links_to_where_it_is_set(app, client, auth):
    setting = arrange_team(None)
    db.session.commit()
    auth.login(setting.facilitator)
    page = client.get(f"/terugkomdagen/team/{setting.team.id}").get_data(as_text=True)
    assert "nog niet bekend" in page and f'href="/teams/{setting.team.id}/challenge"' in page


def test_team_member_adds_a_stakeholder_but_cannot_manage(app, client, auth):
    setting = arrange_team(local(utcnow()).date() + timedelta(days=14))
    return_day = _confirmed(setting)
    db.session.commit()
    auth.login(setting.members[0])
    page = client.get(f"/terugkomdagen/{return_day.id}").get_data(as_text=True)
    assert "Stakeholder uitnodigen" in page and "Wijzigingen opslaan" not in page
    response = client.post(f"/terugkomdagen/{return_day.id}/stakeholders",
                           data={"name": "Sanne", "email": "sanne@example.net"})
    assert response.status_code == 303
    assert any(i.email == "sanne@example.net" for i in return_day.invitations)
    assert client.post(f"/terugkomdagen/{return_day.id}/afgelasten").status_code == 403
    assert client.get(f"/terugkomdagen/team/{setting.team.id}").status_code == 403


@pytest.mark.parametrize("who, view, manage, add_stakeholder", [
    ("facilitator", True, True, True),
    ("member", True, False, True),
    ("manager", True, False, False),
    ("commissioner", True, False, False),
    ("stranger", False, False, False),
    ("other_participant", False, False, False),
])
def test_permission_matrix(app, who, view, manage, add_stakeholder):
    setting = arrange_team(date(2030, 2, 11))
    return_day = _confirmed(setting)
    people = {
        "facilitator": factories.make_user(Role.FACILITATOR), "member": setting.members[0],
        "manager": setting.manager, "commissioner": setting.commissioner,
        "stranger": factories.make_user(Role.MANAGER),
        "other_participant": factories.make_user(Role.PARTICIPANT),
    }
    factories.add_participant(setting.lab, people["other_participant"])
    user = people[who]
    assert can(user, "returnday.view", return_day) is view
    assert can(user, "returnday.manage", return_day) is manage
    assert can(user, "returnday.add_stakeholder", return_day) is add_stakeholder
    assert can(user, "calendar.view") is (who == "facilitator")


def test_other_people_get_404_on_a_return_day(app, client, login_as):
    setting = arrange_team(date(2030, 2, 11))
    return_day = _confirmed(setting)
    db.session.commit()
    login_as(Role.PARTICIPANT)
    assert client.get(f"/terugkomdagen/{return_day.id}").status_code == 404
    assert client.get(f"/terugkomdagen/{return_day.id}/pakket").status_code == 404


def test_pack_shows_open_agreements_of_the_previous_day(app, client, auth):
    setting = arrange_team(date(2030, 2, 11))
    day1 = _confirmed(setting, 1)
    day50 = _confirmed(setting, 50)
    pack.add_action(day1, description="Gesprek met de RIEC plannen", owner=None, owner_name="Deelnemer 1",
                    due_on=date(2030, 3, 1), team=None, by=setting.facilitator, now=utcnow())
    done = pack.add_action(day1, description="Afgeronde taak", owner=None, owner_name="X", due_on=None,
                           team=None, by=setting.facilitator, now=utcnow())
    pack.set_action_done(done, True, by=setting.facilitator, now=utcnow())
    db.session.commit()
    day_pack = pack.gather_pack(day50, now=utcnow())
    assert [a.description for a in day_pack.teams[0].earlier_actions] == ["Gesprek met de RIEC plannen"]
    auth.login(setting.members[0])
    page = client.get(f"/terugkomdagen/{day50.id}/pakket").get_data(as_text=True)
    assert "Gesprek met de RIEC plannen" in page and "Afgeronde taak" not in page
    assert "Een concreet doel." in page


def test_calendar_month_and_list_show_return_days_and_programme_days(app, client, auth):
    today = local(utcnow()).date()
    setting = arrange_team(today + timedelta(days=3))
    setting.lab.programme_starts_on = today + timedelta(days=1)
    setting.lab.programme_ends_on = today + timedelta(days=2)
    return_day = _confirmed(setting, 1)
    db.session.commit()
    auth.login(setting.facilitator)
    month = client.get(f"/agenda?weergave=maand&maand={local(return_day.starts_at):%Y-%m}").get_data(as_text=True)
    assert f"/terugkomdagen/{return_day.id}" in month
    listing = client.get("/agenda?weergave=lijst").get_data(as_text=True)
    assert "Programmadag · Field Lab Mensenhandel" in listing
    assert "Terugkomdag dag 1 · Team Lovitura" in listing


def test_private_feed_works_until_revoked(app, client, auth):
    setting = arrange_team(local(utcnow()).date() + timedelta(days=30))
    return_day = _confirmed(setting, 1)
    db.session.commit()
    auth.login(setting.members[0])
    page = client.post("/agenda/abonnement", data={"action": "create"}).get_data(as_text=True)
    link = page.split('id="agenda-feed-link" type="text" readonly value="')[1].split('"')[0]
    path = link.removeprefix("http://localhost")
    client.post("/uitloggen")
    feed = client.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    calendar = Calendar.from_ical(feed.data)
    # The same identity as the invitation mail of this person, with the organiser of that mail.
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"returnday-{return_day.id}-user{setting.members[0].id}@fieldlab"
    assert str(event["ORGANIZER"]).startswith("mailto:")

    auth.login(setting.members[0])
    client.post("/agenda/abonnement", data={"action": "revoke"})
    assert client.get(path).status_code == 404


def test_cancelling_asks_for_confirmation_and_a_reason_that_the_invitees_read(app, client, auth):
    setting = arrange_team(local(utcnow()).date() + timedelta(days=3))
    return_day = _confirmed(setting, 1)
    db.session.commit()
    assert len(keys()) == 5
    auth.login(setting.facilitator)
    detail = client.get(f"/terugkomdagen/{return_day.id}").get_data(as_text=True)
    assert f'href="/terugkomdagen/{return_day.id}/afgelasten"' in detail
    page = client.get(f"/terugkomdagen/{return_day.id}/afgelasten").get_data(as_text=True)
    assert "Let op: afgelasten kunt u niet ongedaan maken" in page
    assert '<dd id="returndays-cancel-count">5</dd>' in page
    assert not [k for k in keys() if k.startswith("cancel:")]

    refused = client.post(f"/terugkomdagen/{return_day.id}/afgelasten", data={"reason": "  "})
    assert refused.status_code == 422
    assert "Vul de reden in: de genodigden lezen die in het bericht." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert return_day.status == "confirmed" and not [k for k in keys() if k.startswith("cancel:")]

    reason = "De zaal is niet beschikbaar; we plannen een nieuwe datum."
    assert client.post(f"/terugkomdagen/{return_day.id}/afgelasten", data={"reason": reason}).status_code == 303
    cancellations = [message for message in outbox() if message.idempotency_key.startswith("cancel:")]
    assert len(cancellations) == 5
    for message in cancellations:
        assert f"Reden: {reason}" in message.body_text and reason in message.body_html
        calendar = Calendar.from_ical(message.attachments[0]["content"])
        assert calendar["METHOD"] == "CANCEL"
        assert reason in str(calendar.walk("VEVENT")[0]["DESCRIPTION"])
    assert reason in client.get(f"/terugkomdagen/{return_day.id}").get_data(as_text=True)


def test_overview_pages_render(app, client, auth):
    setting = arrange_team(date(2030, 2, 11))
    _confirmed(setting, 1)
    db.session.commit()
    auth.login(setting.facilitator)
    speedlab_lab = factories.make_lab(name="Speedlab Vastgoed", kind=LabKind.SPEEDLAB)
    factories.make_lab(name="Lab voor individuele deelnemers", kind=LabKind.INDIVIDUAL)
    db.session.commit()
    overview_page = client.get("/terugkomdagen").get_data(as_text=True)
    assert "Team Lovitura" in overview_page
    # No 100-day challenge, so no return days: such Labs are not listed with "nog geen teams".
    assert speedlab_lab.name not in overview_page and "Lab voor individuele deelnemers" not in overview_page
    lab_page = client.get(f"/terugkomdagen/lab/{setting.lab.id}")
    assert lab_page.status_code == 200
    assert f"Terugkomdagen van {setting.lab.name}" in lab_page.get_data(as_text=True)
    assert "Team Lovitura" in lab_page.get_data(as_text=True)
    response = client.post(f"/terugkomdagen/lab/{setting.lab.id}", data={"invitation_days_before": "3"})
    assert response.status_code == 422
    assert "Kies een aantal dagen tussen 6 en 120." in response.get_data(as_text=True)
    client.post("/uitloggen")
    auth.login(setting.members[0])
    mine = client.get("/terugkomdagen").get_data(as_text=True)
    assert "Dag 1 · Team Lovitura" in mine and "nog geen antwoord" in mine


def test_ones_own_invitations_list_what_is_coming_first_and_mark_what_is_over(app, client, auth):
    """The list put a past day 1 first with "Uw antwoord: nog geen antwoord", as if it could still
    be answered."""
    starts = local(utcnow()).date() - timedelta(days=60)
    setting = arrange_team(starts)
    _confirmed(setting, 1), _confirmed(setting, 100)
    db.session.commit()
    auth.login(setting.members[0])
    mine = client.get("/terugkomdagen").get_data(as_text=True)
    assert mine.index("Dag 100 · Team Lovitura") < mine.index("Dag 1 · Team Lovitura")
    day_1 = mine.split("Dag 1 · Team Lovitura")[1].split("</li>")[0]
    assert "voorbij" in day_1 and "nog geen antwoord" not in day_1
    day_100 = mine.split("Dag 100 · Team Lovitura")[1].split("</li>")[0]
    assert "nog geen antwoord" in day_100 and "voorbij" not in day_100
