"""Labs services: programme days, timeline, pasted participants, registration, alumni."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from fieldlab.auth.models import Role, User
from fieldlab.auth.permissions import alumnus_clause
from fieldlab.extensions import db
from fieldlab.labs import alumni, participants, services
from fieldlab.labs.models import LabKind, Level, ParticipantProfile, Participation
from fieldlab.labs.services import LabData, LabError, ProgrammeDayData
from fieldlab.mail.models import OutboxMessage
from fieldlab.problems.models import ProblemStatus

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)


@pytest.fixture
def facilitator(app, make):
    return make.make_user(Role.FACILITATOR)


@pytest.fixture
def police(make):
    return make.make_organisation("Nationale Politie", short_name="Politie", kind="politie")


def test_programme_days_set_the_programme_dates_and_can_be_edited(facilitator):
    lab = services.create_lab(LabData(name="Field Lab A", days=[
        ProgrammeDayData(date(2026, 4, 2), "Utrecht"), ProgrammeDayData(date(2026, 4, 1), "Utrecht", "start 9.30"),
    ], facilitator_ids=[facilitator.id]), by=facilitator, now=NOW)
    assert (lab.programme_starts_on, lab.programme_ends_on) == (date(2026, 4, 1), date(2026, 4, 2))
    assert lab.facilitator_ids == {facilitator.id} and lab.place == "Utrecht"
    services.update_lab(lab, LabData(name="Field Lab A", days=[ProgrammeDayData(date(2026, 4, 2), "Den Haag")]),
                        by=facilitator, now=NOW)
    assert [(day.held_on, day.place) for day in lab.programme_days] == [(date(2026, 4, 2), "Den Haag")]
    assert lab.programme_starts_on == date(2026, 4, 2) and lab.facilitator_ids == set()


def test_timeline_uses_the_teams_challenge_dates_and_says_what_is_next(facilitator, make):
    lab = services.create_lab(LabData(name="Lab", days=[ProgrammeDayData(TODAY - timedelta(days=40))]),
                              by=facilitator, now=NOW)
    commissioner = make.make_user(Role.COMMISSIONER)
    make.make_problem(commissioner, lab=lab, status=ProblemStatus.ACCEPTED)
    make.make_team(lab, starts_on=TODAY - timedelta(days=36))
    db.session.expire(lab)
    steps = services.timeline(lab, today=TODAY)
    assert [step.key for step in steps] == ["problems", "programme", "day1", "day50", "day100"]
    assert [step.state for step in steps] == ["done", "done", "done", "todo", "todo"]
    assert steps[3].starts_on == TODAY - timedelta(days=36) + timedelta(days=49)
    assert services.next_step(steps).key == "day50"


def test_timeline_of_a_speedlab_stops_after_the_programme(facilitator):
    lab = services.create_lab(LabData(name="Speedlab", kind=LabKind.SPEEDLAB,
                                      days=[ProgrammeDayData(TODAY)]), by=facilitator, now=NOW)
    steps = services.timeline(lab, today=TODAY)
    assert [step.key for step in steps] == ["problems", "programme"]
    assert services.next_step(steps).key == "programme" and steps[1].state == "current"


PASTED = """naam; e-mail; organisatie; niveau; expertise
Daan Visser; daan@politie.example; Politie; uitvoering; wijkagent, mensenhandel
Sanne Smit;  SANNE@gemeente.example ; Gemeente Nergens; beleid;
Youssef\tyoussef@@om.example\tNationale Politie\tchef\t
Daan Tweede; daan@politie.example; ; ;
Bestaande; bestaand@example.org; ; expert; ; extra veld

"""


def test_pasted_lines_mark_every_problem_before_anything_is_saved(facilitator, police, make):
    lab = make.make_lab()
    existing = make.make_user(Role.MANAGER, email="bestaand@example.org")
    registered = make.make_user(Role.PARTICIPANT, email="al@example.org")
    make.add_participant(lab, registered)
    lines = participants.parse_participant_lines(PASTED + "Al Aangemeld; al@example.org;;;\n", lab)
    by_number = {line.number: line for line in lines}
    assert sorted(by_number) == [2, 3, 4, 5, 6, 8]
    assert by_number[2].ok and by_number[2].organisation == police and by_number[2].level == Level.EXECUTION
    assert by_number[2].expertise == ["wijkagent", "mensenhandel"]
    assert by_number[3].email == "sanne@gemeente.example"
    assert by_number[3].errors == ["onbekende organisatie 'Gemeente Nergens'"]
    assert "ongeldig e-mailadres" in by_number[4].errors
    assert any("onbekend niveau 'chef'" in error for error in by_number[4].errors)
    assert by_number[5].errors == ["dubbel: dit e-mailadres staat ook op regel 2"]
    assert any("te veel velden" in error for error in by_number[6].errors)
    assert by_number[6].existing_user == existing
    assert by_number[8].errors == ["al aangemeld voor dit Lab"]
    assert db.session.scalar(select(Participation).where(Participation.user_id != registered.id)) is None


def test_registration_refuses_a_list_with_problems_entirely(facilitator, make):
    lab = make.make_lab()
    lines = participants.parse_participant_lines("Goed; goed@example.org\nFout; geen-adres\n", lab)
    with pytest.raises(LabError):
        participants.register_participants(lab, lines, by=facilitator, now=NOW)
    assert db.session.scalar(select(User).where(User.email == "goed@example.org")) is None


def test_registration_invites_new_people_and_reuses_existing_accounts(facilitator, police, make):
    lab = make.make_lab(name="Field Lab Test")
    existing = make.make_user(Role.MANAGER, email="bestaand@example.org", level=Level.POLICY, expertise=["toezicht"])
    lines = participants.parse_participant_lines(
        "Nieuw Persoon; nieuw@example.org; Politie; expert; financieel onderzoek\n"
        "Bestaande Naam; bestaand@example.org; Politie; uitvoering; toezicht, vastgoed\n", lab)
    result = participants.register_participants(lab, lines, by=facilitator, now=NOW)
    assert [user.email for user in result.created] == ["nieuw@example.org"]
    assert result.reused == [existing]
    new = result.created[0]
    assert new.has_role(Role.PARTICIPANT) and not new.has_password and new.organisation == police
    assert db.session.get(ParticipantProfile, new.id).level == Level.EXPERT
    assert existing.has_role(Role.PARTICIPANT) and existing.has_role(Role.MANAGER)
    profile = db.session.get(ParticipantProfile, existing.id)
    assert profile.level == Level.POLICY and profile.expertise == ["toezicht", "vastgoed"]  # kept, merged
    assert {p.user_id for p in lab.participations} == {new.id, existing.id}
    subjects = dict(db.session.execute(select(OutboxMessage.recipient, OutboxMessage.subject)).all())
    assert subjects["nieuw@example.org"] == "Uitnodiging voor Fieldlab"
    assert subjects["bestaand@example.org"] == "U bent aangemeld voor Field Lab Test"


def test_setting_a_manager_gives_the_manager_role_and_invite_reuses_accounts(facilitator, make):
    lab = make.make_lab()
    participant = make.make_user(Role.PARTICIPANT)
    participation = make.add_participant(lab, participant)
    colleague = make.make_user(Role.PARTICIPANT)
    participants.set_manager(participation, colleague, by=facilitator, now=NOW)
    assert participation.manager == colleague and colleague.has_role(Role.MANAGER)
    with pytest.raises(LabError):
        participants.set_manager(participation, participant, by=facilitator, now=NOW)
    invited = participants.invite_manager(participation, name="Lotte Jansen", email="Lotte@Politie.example",
                                      by=facilitator, now=NOW)
    assert invited.email == "lotte@politie.example" and invited.has_role(Role.MANAGER)
    again = participants.invite_manager(participation, name="Lotte", email="lotte@politie.example", by=facilitator, now=NOW)
    assert again == invited


def test_alumni_are_participants_of_labs_that_ended(facilitator, police, make):
    ended = make.make_lab(theme="vastgoed", programme_starts_on=TODAY - timedelta(days=100),
                          programme_ends_on=TODAY - timedelta(days=98))
    running = make.make_lab(theme="mensenhandel", programme_starts_on=TODAY - timedelta(days=1),
                            programme_ends_on=TODAY)
    alumnus = make.make_user(Role.PARTICIPANT, name="Anouk Alumnus", organisation=police, level=Level.EXPERT,
                             expertise=["Financieel onderzoek"])
    current = make.make_user(Role.PARTICIPANT, name="Chris Current")
    make.add_participant(ended, alumnus)
    make.add_participant(running, current)
    make.add_participant(running, alumnus)

    assert [a.user for a in alumni.alumni(today=TODAY)] == [alumnus]
    assert alumni.alumni(today=TODAY)[0].labs == [ended]
    assert alumni.alumni(today=TODAY, theme="Vastgoed")[0].user == alumnus
    assert alumni.alumni(today=TODAY, theme="mensenhandel") == []
    assert [a.user for a in alumni.alumni(today=TODAY, organisation_id=police.id)] == [alumnus]
    assert [a.user for a in alumni.alumni(today=TODAY, expertise="financieel")] == [alumnus]
    assert alumni.alumni(today=TODAY, expertise="strafrecht") == []
    # After the running Lab ends, its participants are alumni too.
    assert {a.user.name for a in alumni.alumni(today=TODAY + timedelta(days=1))} == {"Anouk Alumnus",
                                                                                        "Chris Current"}
    # A speedlab invites the alumni of Labs that ended before it starts.
    speedlab = make.make_lab(kind=LabKind.SPEEDLAB, programme_starts_on=TODAY + timedelta(days=30),
                             programme_ends_on=TODAY + timedelta(days=30))
    assert {a.user.name for a in alumni.alumni(today=TODAY + timedelta(days=60), before=speedlab)} == {
        "Anouk Alumnus", "Chris Current"}
    # One person's question (the library's rule, the login's user query) agrees with the list.
    assert _is_alumnus(alumnus, TODAY) and not _is_alumnus(current, TODAY)
    assert _is_alumnus(current, TODAY + timedelta(days=1))


def _is_alumnus(user: User, today: date) -> bool:
    return bool(db.session.scalar(select(alumnus_clause(user.id, today))))


def test_visible_labs_match_lab_view(facilitator, make):
    from fieldlab.auth.permissions import can

    lab_a, lab_b = make.make_lab(), make.make_lab()
    participant = make.make_user(Role.PARTICIPANT)
    manager = make.make_user(Role.MANAGER)
    make.add_participant(lab_a, participant, manager=manager)
    for person in (facilitator, participant, manager, make.make_user(Role.COMMISSIONER)):
        listed = {lab.id for lab in services.labs_list(person)}
        assert listed == {lab.id for lab in (lab_a, lab_b) if can(person, "lab.view", lab)}


def test_any_alumni_agrees_with_the_alumni_list(app, make):
    today = date(2026, 6, 1)
    assert alumni.any_alumni(today=today) is False
    lab = make.make_lab(programme_starts_on=date(2026, 5, 1), programme_ends_on=date(2026, 5, 3))
    person = make.make_user(make.Role.PARTICIPANT)
    make.add_participant(lab, person)
    assert alumni.any_alumni(today=date(2026, 5, 3)) is False  # the programme's last day
    assert alumni.any_alumni(today=today) is True
    assert bool(alumni.alumni(today=today)) is True
    person.active = False
    assert alumni.any_alumni(today=today) is False
    assert alumni.alumni(today=today) == []
