"""A challenge's start date moves after its return days were confirmed (issue #15): nothing stays
outside its challenge silently. Time travel through a challenge whose start moves twice, the
planning page's one action, the Lab page, and a Lab's shared return days when teams move."""

from datetime import date, timedelta

from icalendar import Calendar
from sqlalchemy import select

from fieldlab.audit.models import AuditEvent
from fieldlab.boards import services as boards
from fieldlab.boards.models import BoardEvent, EventKind
from fieldlab.extensions import db
from fieldlab.labs import services as labs
from fieldlab.returndays import decisions, jobs, moves, rsvp, services
from fieldlab.returndays.models import Response, ReturnDay
from fieldlab.timeutil import local, utcnow
from tests import factories
from tests.returndays.helpers import arrange_team, at, details, keys, outbox


def _day(setting, number, team="own"):
    return services.existing_return_day(setting.lab, setting.team if team == "own" else None, number)


def _confirm_all(lab, team, challenge, by, now):
    for proposal in services.proposals_for(challenge.starts_on):
        decisions.save_return_day(lab=lab, team=team, day_number=proposal.day_number,
                                  details=details(proposal.proposed_date), by=by, now=now)


def _event(message):
    [attachment] = message.attachments
    return Calendar.from_ical(attachment["content"]).walk("VEVENT")[0]


def test_a_start_that_moves_twice_never_leaves_a_confirmed_day_behind(app):
    setting = arrange_team(None)
    member, facilitator = setting.members[0], setting.facilitator
    challenge = boards.ensure_challenge(setting.team, now=at(date(2026, 10, 1), 9))
    boards.set_start_date(challenge, date(2026, 10, 29), by=member, now=at(date(2026, 10, 1), 9))
    _confirm_all(setting.lab, setting.team, challenge, facilitator, at(date(2026, 10, 1), 10))
    db.session.commit()
    assert [local(_day(setting, n).starts_at).date() for n in (1, 50, 100)] == \
        [date(2026, 10, 29), date(2026, 12, 17), date(2027, 2, 5)]

    # The day-1 invitations go out; one member says no.
    jobs.run_due(at(date(2026, 10, 8), 9))
    day_1 = _day(setting, 1)
    first_invitations = {m.recipient: m for m in outbox() if m.idempotency_key.startswith("invite:")}
    assert len(first_invitations) == 5
    declined = next(i for i in day_1.invitations if i.user_id == setting.members[1].id)
    rsvp.record_response(declined, response=Response.NO, remark="", now=at(date(2026, 10, 9), 12))
    db.session.commit()

    # First move (the case): day 1 becomes 9 March 2027.
    sent_before = len(keys())
    boards.set_start_date(challenge, date(2027, 3, 9), by=member, now=at(date(2026, 10, 20), 14))
    db.session.commit()
    flagged = moves.moved_days(setting.lab, setting.team)
    assert [(row.day_number, row.confirmed_on, row.proposal.proposed_date) for row in flagged] == [
        (1, date(2026, 10, 29), date(2027, 3, 9)),
        (50, date(2026, 12, 17), date(2027, 4, 28)),  # 27 April 2027 is Koningsdag
        (100, date(2027, 2, 5), date(2027, 6, 16)),
    ]
    assert flagged[1].proposal.reason == "valt op Koningsdag, voorgesteld: woensdag 28 april 2027"
    # The facilitator is asked (not the invitees yet); the team's feed says so.
    new = outbox()[sent_before:]
    assert [m.recipient for m in new] == [facilitator.email]
    assert "Dag 50: vastgelegd op donderdag 17 december 2026, nieuw voorstel woensdag 28 april 2027 " \
           "(valt op Koningsdag" in new[0].body_text
    assert f"/terugkomdagen/team/{setting.team.id}" in new[0].body_text
    review = db.session.scalar(select(BoardEvent).where(BoardEvent.kind == EventKind.RETURN_DAYS_REVIEW))
    assert review.detail["name"] == "1, 50, 100"
    # The Lab page says the same as the return days: day 1 still stands on 29 October.
    steps = labs.timeline(setting.lab, today=date(2026, 10, 20))
    attention = labs.next_step(steps)
    assert attention.key == "day1" and "29 oktober 2026" in attention.attention
    assert "terugkomdag vastgelegd op 29 oktober 2026" == steps[2].return_days

    # The facilitator re-times all three in one action; day 1's invitees who did not decline get
    # the update (same UID, SEQUENCE 1) saying from → to.
    sent_before = len(keys())
    moved, kept = moves.retime_return_days(setting.lab, setting.team, move={1, 50, 100}, by=facilitator,
                                           now=at(date(2026, 10, 21), 9))
    db.session.commit()
    assert (len(moved), kept) == (3, [])
    assert [local(_day(setting, n).starts_at).date() for n in (1, 50, 100)] == \
        [date(2027, 3, 9), date(2027, 4, 28), date(2027, 6, 16)]
    updates = outbox()[sent_before:]
    assert sorted(m.recipient for m in updates) == sorted(set(first_invitations) - {declined.email})
    for message in updates:
        assert message.idempotency_key.endswith(":seq1")
        assert "Verplaatst: van donderdag 29 oktober 2026 10:00 naar dinsdag 9 maart 2027 10:00." in message.body_text
        assert str(_event(message)["UID"]) == str(_event(first_invitations[message.recipient])["UID"])
        assert _event(message)["SEQUENCE"] == 1
    assert moves.moved_days(setting.lab, setting.team) == []
    assert not labs.next_step(labs.timeline(setting.lab, today=date(2026, 10, 21))).attention

    # The old day 1 passes: no reminder, no practical note, no evaluation for it.
    count = len(keys())
    jobs.run_due(at(date(2026, 10, 30), 20))
    assert len(keys()) == count

    # Second move, a week later still: day 1, 50 and 100 are flagged again; this time the
    # facilitator keeps day 100 deliberately.
    boards.set_start_date(challenge, date(2027, 3, 16), by=member, now=at(date(2026, 12, 1), 9))
    db.session.commit()
    assert [row.day_number for row in moves.moved_days(setting.lab, setting.team)] == [1, 50, 100]
    sent_before = len(keys())
    moved, kept = moves.retime_return_days(setting.lab, setting.team, move={1, 50}, by=facilitator,
                                           now=at(date(2026, 12, 2), 9))
    db.session.commit()
    assert [day.day_number for day in kept] == [100]
    assert [local(_day(setting, n).starts_at).date() for n in (1, 50, 100)] == \
        [date(2027, 3, 16), date(2027, 5, 4), date(2027, 6, 16)]
    assert all(m.idempotency_key.endswith(":seq2") for m in outbox()[sent_before:])
    assert len(outbox()[sent_before:]) == 4
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "returnday_kept")) is not None
    assert moves.moved_days(setting.lab, setting.team) == []

    # Day 1's invitation moment comes at its new date: everyone has the current version, and the
    # one who said no gets no new calendar entry.
    count = len(keys())
    jobs.run_due(at(date(2027, 2, 23), 9))
    assert len(keys()) == count
    # The Lab page and the return days agree on day 1.
    steps = labs.timeline(setting.lab, today=date(2027, 2, 23))
    assert steps[2].starts_on == date(2027, 3, 16) and steps[2].return_days == \
        "terugkomdag vastgelegd op 16 maart 2027"


def test_planning_page_shows_confirmed_beside_proposal_and_retimes_in_one_action(app, client, auth):
    start = local(utcnow()).date() + timedelta(days=40)
    setting = arrange_team(start)
    challenge = setting.team.challenge
    _confirm_all(setting.lab, setting.team, challenge, setting.facilitator, utcnow())
    db.session.commit()
    boards.set_start_date(challenge, start + timedelta(days=14), by=setting.members[0], now=utcnow())
    db.session.commit()

    auth.login(setting.facilitator)
    page = client.get(f"/terugkomdagen/team/{setting.team.id}").get_data(as_text=True)
    assert "Startdatum verschoven: terugkomdagen opnieuw plannen" in page
    assert page.count('name="move"') == 3
    lab_page = client.get(f"/labs/{setting.lab.id}").get_data(as_text=True)
    assert "De startdatum is verschoven: de terugkomdag van dag 1 staat nog op" in lab_page
    response = client.post(f"/terugkomdagen/team/{setting.team.id}/verplaatsen", data={"move": ["1", "50"]})
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "Verplaatst: dag 1 en 50." in page and "Bewust op de vastgelegde datum gehouden: dag 100." in page
    assert "Startdatum verschoven: terugkomdagen opnieuw plannen" not in page
    db.session.expire_all()
    assert local(_day(setting, 1).starts_at).date() == services.next_working_day(start + timedelta(days=14))[0]


def test_the_team_is_told_the_facilitator_was_asked(app, client, auth):
    start = local(utcnow()).date() + timedelta(days=40)
    setting = arrange_team(start)
    _confirm_all(setting.lab, setting.team, setting.team.challenge, setting.facilitator, utcnow())
    db.session.commit()
    auth.login(setting.members[0])
    later = start + timedelta(days=7)
    response = client.post(f"/teams/{setting.team.id}/challenge/startdatum",
                           data={"starts_on": later.isoformat()}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "De terugkomdagen van dag 1, 50 en 100 waren al vastgelegd; de facilitator is gevraagd ze opnieuw te plannen" \
        in page
    # The new start in words, as the page itself writes dates ("12 november 2026"), not 12-11-2026.
    assert f"De startdatum is {later.day} " in page and later.strftime("%d-%m-%Y") not in page


def test_shared_lab_days_follow_the_earliest_team_and_are_flagged_when_teams_move(app):
    setting = arrange_team(None)
    services.update_settings(setting.lab, invitation_days_before=21, shared=True, by=setting.facilitator,
                             now=at(date(2026, 9, 1), 9))
    other = factories.make_team(setting.lab, members=[factories.make_user(name="Bea Baken")], name="Team Baken")
    first = boards.ensure_challenge(setting.team, now=at(date(2026, 9, 1), 9))
    second = boards.ensure_challenge(other, now=at(date(2026, 9, 1), 9))
    boards.set_start_date(first, date(2026, 10, 5), by=setting.members[0], now=at(date(2026, 9, 1), 9))
    boards.set_start_date(second, date(2026, 10, 12), by=setting.members[0], now=at(date(2026, 9, 1), 10))
    _confirm_all(setting.lab, None, first, setting.facilitator, at(date(2026, 9, 2), 9))
    db.session.commit()
    shared_days = db.session.scalars(select(ReturnDay).where(ReturnDay.team_id.is_(None))).all()
    assert len(shared_days) == 3

    # The earlier team moves past the other: the proposals now follow Team Baken's start.
    boards.set_start_date(first, date(2026, 10, 26), by=setting.members[0], now=at(date(2026, 9, 10), 9))
    db.session.commit()
    rows = moves.moved_days(setting.lab, None)
    assert [(row.day_number, row.proposal.proposed_date) for row in rows] == [
        (1, date(2026, 10, 12)), (50, date(2026, 11, 30)), (100, date(2027, 1, 19))]
    [asked] = [m for m in outbox() if m.idempotency_key.startswith("startmoved:")]
    assert asked.subject == "Startdatum verschoven: terugkomdagen van Field Lab Mensenhandel opnieuw plannen"
    assert f"/terugkomdagen/lab/{setting.lab.id}" in asked.body_text
    moves.retime_return_days(setting.lab, None, move={1, 50, 100}, by=setting.facilitator,
                             now=at(date(2026, 9, 11), 9))
    db.session.commit()
    assert sorted(local(day.starts_at).date() for day in shared_days) == \
        [date(2026, 10, 12), date(2026, 11, 30), date(2027, 1, 19)]
    assert moves.moved_days(setting.lab, None) == []


def test_the_facilitator_who_moves_the_start_is_told_to_re_plan_not_that_a_facilitator_was_asked(app, client, auth):
    start = local(utcnow()).date() + timedelta(days=40)
    setting = arrange_team(start)
    _confirm_all(setting.lab, setting.team, setting.team.challenge, setting.facilitator, utcnow())
    db.session.commit()
    auth.login(setting.facilitator)
    response = client.post(f"/teams/{setting.team.id}/challenge/startdatum",
                           data={"starts_on": (start + timedelta(days=7)).isoformat()}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert ("De terugkomdagen van dag 1, 50 en 100 waren al vastgelegd en blijven op hun datum tot u ze opnieuw "
            "plant onder Terugkomdagen.") in page
    assert "de facilitator is gevraagd" not in page
