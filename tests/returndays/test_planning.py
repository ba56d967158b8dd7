"""Proposals on day 1/50/100 with the next-working-day rule, and planning them."""

from datetime import date

import pytest
from flask_babel import force_locale

from fieldlab.extensions import db
from fieldlab.returndays import decisions, invitations, pack, services
from fieldlab.returndays.models import InviteeRole, ReturnDayStatus
from tests.returndays.helpers import arrange_team, at, details, keys


def test_day_n_is_start_plus_n_minus_one_and_working_days_stay():
    proposals = services.proposals_for(date(2025, 2, 10))  # a Monday
    assert [(p.day_number, p.natural_date, p.proposed_date, p.reason) for p in proposals] == [
        (1, date(2025, 2, 10), date(2025, 2, 10), ""),
        (50, date(2025, 3, 31), date(2025, 3, 31), ""),
        (100, date(2025, 5, 20), date(2025, 5, 20), ""),
    ]


def test_day_on_tweede_paasdag_is_proposed_on_tuesday_with_the_reason(app):
    # Day 50 on Monday 21 April 2025 (Tweede paasdag): start 3 March 2025.
    proposal = services.proposals_for(date(2025, 3, 3))[1]
    assert proposal.natural_date == date(2025, 4, 21)
    assert proposal.proposed_date == date(2025, 4, 22)
    assert proposal.reason == "valt op Tweede paasdag, voorgesteld: dinsdag 22 april 2025"


def test_day_in_weekend_moves_to_monday_and_koningsdag_weekend_too(app):
    saturday = services.next_working_day(date(2025, 3, 1))
    assert saturday == (date(2025, 3, 3), "valt op zaterdag, voorgesteld: maandag 3 maart 2025")
    # Hemelvaartsdag 2025 is Thursday 29 May.
    assert services.next_working_day(date(2025, 5, 29))[0] == date(2025, 5, 30)
    # Kerst: 25 and 26 December 2025 (Thu, Fri), then the weekend.
    assert services.next_working_day(date(2025, 12, 25))[0] == date(2025, 12, 29)


def test_plan_return_days_writes_three_proposed_days_and_follows_a_new_start(app):
    setting = arrange_team(date(2025, 2, 10))
    challenge = setting.team.challenge
    planned = services.plan_return_days(challenge, by=setting.facilitator, now=at(date(2025, 1, 6), 9))
    assert [(day.day_number, day.status) for day in planned] == [(1, "proposed"), (50, "proposed"), (100, "proposed")]
    assert planned[0].starts_at == at(date(2025, 2, 10), 9, 30)
    assert keys() == []  # proposing sends nothing

    challenge.starts_on = date(2025, 3, 3)
    again = services.plan_return_days(challenge, by=setting.facilitator, now=at(date(2025, 1, 6), 9))
    assert [day.id for day in again] == [day.id for day in planned]
    assert again[1].proposed_on == date(2025, 4, 22)
    assert "Tweede paasdag" in services.proposal_reason(again[1])
    # Said in the reader's language, from day n kept beside the proposal.
    with force_locale("en"):
        assert services.proposal_reason(again[1]) == "falls on Easter Monday, proposed: Tuesday 22 April 2025"
    assert again[1].natural_on == date(2025, 4, 21) and again[1].proposal_reason == ""


def test_confirming_gathers_members_managers_commissioner_facilitators(app):
    setting = arrange_team()
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(date(2025, 3, 31)), by=setting.facilitator,
                                           now=at(date(2025, 1, 6), 9))
    roles = {invitation.email: invitation.role for invitation in return_day.invitations}
    assert roles == {
        setting.members[0].email: InviteeRole.MEMBER, setting.members[1].email: InviteeRole.MEMBER,
        setting.manager.email: InviteeRole.MANAGER, setting.commissioner.email: InviteeRole.COMMISSIONER,
        setting.facilitator.email: InviteeRole.FACILITATOR,
    }
    assert return_day.status == ReturnDayStatus.CONFIRMED
    assert sorted(job.kind for job in return_day.jobs) == ["evaluation", "invite", "nudge", "practical", "reminder"]
    assert keys() == []  # the invitation moment (21 days before) has not come yet


def test_confirming_after_the_invitation_moment_sends_at_once(app):
    setting = arrange_team()
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(date(2025, 3, 31)), by=setting.facilitator,
                                           now=at(date(2025, 3, 20), 14))
    assert len(keys()) == 5
    assert f"invite:returnday{return_day.id}:user{setting.manager.id}:seq0" in keys()


def test_end_before_start_is_refused(app):
    setting = arrange_team()
    with pytest.raises(services.ReturnDayError):
        decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=1,
                                  details=details(date(2025, 2, 10), start=(15, 0), end=(10, 0)),
                                  by=setting.facilitator, now=at(date(2025, 1, 6), 9))


def test_adding_and_removing_invitees_later_messages_only_them(app):
    setting = arrange_team()
    now = at(date(2025, 3, 20), 14)
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(date(2025, 3, 31)), by=setting.facilitator, now=now)
    before = set(keys())
    stakeholder = invitations.add_stakeholder(return_day, email="Wethouder@Gemeente.example", name="Wim Wethouder",
                                              by=setting.members[0], now=now)
    added = set(keys()) - before
    assert added == {f"invite:returnday{return_day.id}:guest{stakeholder.id}:seq0"}

    member = next(i for i in return_day.invitations if i.user_id == setting.members[1].id)
    invitations.remove_invitee(member, by=setting.facilitator, now=now)
    assert set(keys()) - before - added == {f"cancel:returnday{return_day.id}:user{setting.members[1].id}:seq0"}
    # Removed people are not put back by a later sync, and a duplicate stakeholder is refused.
    assert invitations.sync_invitees(return_day, now=now) == []
    with pytest.raises(services.ReturnDayError):
        invitations.add_stakeholder(return_day, email="wethouder@gemeente.example", name="", by=setting.facilitator,
                                    now=now)


def test_shared_lab_day_invites_every_team(app, make):
    setting = arrange_team()
    other_member = make.make_user(name="Ander Teamlid")
    make.make_team(setting.lab, members=[other_member], name="Team Twee")
    services.update_settings(setting.lab, invitation_days_before=21, shared=True, by=setting.facilitator,
                             now=at(date(2025, 1, 6), 9))
    planned = services.plan_return_days(setting.team.challenge, by=setting.facilitator, now=at(date(2025, 1, 6), 9))
    assert all(day.team_id is None for day in planned)
    return_day = decisions.save_return_day(lab=setting.lab, team=None, day_number=1,
                                           details=details(date(2025, 2, 10)), by=setting.facilitator,
                                           now=at(date(2025, 1, 6), 9))
    emails = {invitation.email for invitation in return_day.invitations}
    assert other_member.email in emails and setting.members[0].email in emails
    db.session.flush()


def test_setting_the_start_date_on_the_board_proposes_the_three_return_days(app):
    from fieldlab.boards import services as boards

    setting = arrange_team(None)
    challenge = setting.team.challenge
    if challenge is None:
        from fieldlab.boards.models import Challenge

        challenge = setting.team.challenge = Challenge(goal="Doel")
        db.session.flush()
    boards.set_start_date(challenge, date(2025, 4, 17), by=setting.members[0], now=at(date(2025, 4, 1), 9))
    days = {day.day_number: day for day in services.return_days_of_lab(setting.lab)}
    assert sorted(days) == [1, 50, 100]
    assert all(day.status == "proposed" for day in days.values())
    assert days[1].proposed_on == date(2025, 4, 17)  # a Thursday, no holiday

    # Moving day 1 to Good Friday re-proposes it past the Easter weekend and Easter Monday.
    boards.set_start_date(challenge, date(2025, 4, 18), by=setting.members[0], now=at(date(2025, 4, 2), 9))
    moved = {day.day_number: day for day in services.return_days_of_lab(setting.lab)}
    assert moved[1].proposed_on == date(2025, 4, 22)
    assert "Goede vrijdag" in services.proposal_reason(moved[1])


def test_the_pack_shows_the_board_indicators_progress_and_help_asked(app):
    from decimal import Decimal

    from fieldlab.boards import card_changes, tracking
    from fieldlab.boards.models import Column, Status

    setting = arrange_team(date(2025, 2, 10))
    challenge = setting.team.challenge
    member = setting.members[0]
    now = at(date(2025, 3, 20), 10)
    card_changes.add_card(challenge, title="Gesprek met woningcorporatie", owner_id=member.id, by=member, now=now)
    card_changes.add_card(challenge, title="Signalen bundelen", owner_id=member.id, column=Column.DONE, by=member,
                          now=now)
    indicator = tracking.add_indicator(challenge, name="Gecontroleerde panden", baseline=Decimal(0),
                                       target=Decimal(40), by=member, now=now)
    tracking.record_indicator_value(indicator, measured_on=date(2025, 3, 19), value=Decimal(12), by=member, now=now)
    tracking.add_progress_update(challenge, status=Status.AT_RISK,
                                 went_well="Eerste controles gedaan", help_needed="Capaciteit van de handhavers",
                                 by=member, now=now)
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(date(2025, 3, 31)), by=setting.facilitator, now=now)

    team_pack = pack.gather_pack(return_day, now=now).teams[0]
    assert team_pack.board_status == ["Gepland: 1 kaart", "Bezig: 0 kaarten", "Geblokkeerd: 0 kaarten",
                                      "Klaar: 1 kaart"]
    assert any("Gecontroleerde panden: nu 12" in line and "doel 40" in line for line in team_pack.indicators)
    assert any("Eerste controles gedaan" in line for line in team_pack.progress_updates)
    assert any("Capaciteit van de handhavers" in line for line in team_pack.help_asked)


def test_a_row_from_before_day_n_was_kept_shows_its_reason_as_written(app):
    setting = arrange_team(date(2025, 3, 3))
    [_day_1, day_50, _day_100] = services.plan_return_days(setting.team.challenge, by=setting.facilitator,
                                                           now=at(date(2025, 1, 6), 9))
    day_50.natural_on, day_50.proposal_reason = None, "valt op Tweede paasdag, voorgesteld: dinsdag 22 april 2025"
    with force_locale("en"):
        assert services.proposal_reason(day_50) == "valt op Tweede paasdag, voorgesteld: dinsdag 22 april 2025"
