"""Labs through HTTP: the Lab form, the pasted-participants preview and confirm, managers, profile."""

from datetime import timedelta

from sqlalchemy import func, select

from fieldlab.auth.models import Role, User
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, Level, ParticipantProfile, Participation
from fieldlab.problems.models import ProblemStatus
from fieldlab.returndays import decisions
from fieldlab.timeutil import local, utcnow
from tests.returndays.helpers import arrange_team, details

LAB_FORM = {"name": "Field Lab Ondermijning", "kind": "teams", "theme": "ondermijning", "description": "",
            "days-0-held_on": "2027-02-01", "days-0-place": "Utrecht", "days-0-note": "", "action": "save"}


def test_lab_form_adds_a_day_row_without_javascript_and_keeps_input(login_as, client):
    login_as(Role.FACILITATOR)
    response = client.post("/labs/nieuw", data={**LAB_FORM, "action": "add_day"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="days-1-held_on"' in page and 'value="Field Lab Ondermijning"' in page
    assert db.session.scalar(select(func.count()).select_from(Lab)) == 0


def test_lab_form_refuses_a_place_without_a_date_and_duplicate_dates(login_as, client):
    login_as(Role.FACILITATOR)
    response = client.post("/labs/nieuw", data={**LAB_FORM, "days-1-held_on": "", "days-1-place": "Zwolle",
                                                "days-1-note": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Vul de datum van deze dag in." in page
    # The summary links each error to its field, the day's named (it said only "the red borders").
    assert '<a href="#days-1-held_on">Dag 2, datum: Vul de datum van deze dag in.</a>' in page
    response = client.post("/labs/nieuw", data={**LAB_FORM, "days-1-held_on": "2027-02-01", "days-1-place": "",
                                                "days-1-note": ""})
    assert response.status_code == 422
    assert "een datum staat er nu dubbel in" in response.get_data(as_text=True)
    assert '<a href="#labs-days">Programmadagen: Elke programmadag' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Lab)) == 0


def test_facilitator_creates_and_edits_a_lab(login_as, client):
    facilitator = login_as(Role.FACILITATOR)
    response = client.post("/labs/nieuw", data={**LAB_FORM, "days-1-held_on": "2027-02-02", "days-1-place": "Utrecht",
                                                "days-1-note": "", "facilitator_ids": str(facilitator.id),
                                                "boards_open_to_participants": "y"})
    assert response.status_code == 303
    lab = db.session.scalar(select(Lab))
    assert len(lab.programme_days) == 2 and lab.boards_open_to_participants
    page = client.get(f"/labs/{lab.id}").get_data(as_text=True)
    assert "Tijdlijn" in page and "Dag 50" in page and "Koppel een of meer geaccepteerde vraagstukken" in page
    edit = client.get(f"/labs/{lab.id}/bewerken").get_data(as_text=True)
    assert 'value="2027-02-02"' in edit and 'name="days-2-held_on"' in edit


def test_paste_preview_marks_problem_lines_and_saves_nothing(login_as, client, make):
    login_as(Role.FACILITATOR)
    lab = make.make_lab()
    make.make_organisation("Nationale Politie", short_name="Politie")
    db.session.commit()
    response = client.post(f"/labs/{lab.id}/deelnemers/plakken", data={"lines": (
        "Daan Visser; daan@politie.example; Politie; uitvoering; wijkagent\n"
        "Sanne Smit; sanne@; Onbekend BV; baas;\n"
        "Daan Dubbel; daan@politie.example;;;\n")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "2 regels zijn niet in orde" in page
    assert "ongeldig e-mailadres" in page and "onbekende organisatie" in page and "onbekend niveau" in page
    assert "dubbel: dit e-mailadres staat ook op regel 1" in page
    assert 'id="labs-preview-line-2"' in page and "labs-preview__row--error" in page
    assert "deelnemers aanmelden" not in page  # no confirm button while lines are wrong
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0


def test_paste_confirm_registers_everyone_in_one_go(login_as, client, make):
    login_as(Role.FACILITATOR)
    lab = make.make_lab()
    make.make_organisation("Nationale Politie", short_name="Politie")
    db.session.commit()
    text = "Daan Visser\tdaan@politie.example\tPolitie\tuitvoering\twijkagent, mensenhandel\nSanne Smit;sanne@example.org;;beleid;\n"
    preview = client.post(f"/labs/{lab.id}/deelnemers/plakken", data={"lines": text})
    assert preview.status_code == 200 and "2 deelnemers aanmelden" in preview.get_data(as_text=True)
    response = client.post(f"/labs/{lab.id}/deelnemers/plakken/bevestigen", data={"lines": text})
    assert response.status_code == 303
    page = client.get(f"/labs/{lab.id}/deelnemers").get_data(as_text=True)
    assert "Daan Visser" in page and "Sanne Smit" in page and "wijkagent, mensenhandel" in page
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 2


def test_confirming_a_list_that_became_invalid_saves_nothing(login_as, client, make):
    login_as(Role.FACILITATOR)
    lab = make.make_lab()
    db.session.commit()
    response = client.post(f"/labs/{lab.id}/deelnemers/plakken/bevestigen",
                           data={"lines": "Goed; goed@example.org\nFout; fout@\n"})
    assert response.status_code == 422
    assert db.session.scalar(select(User).where(User.email == "goed@example.org")) is None


def test_one_participant_with_an_existing_registration_gets_an_error_next_to_the_email(login_as, client, make):
    login_as(Role.FACILITATOR)
    lab = make.make_lab()
    person = make.make_user(Role.PARTICIPANT, email="al@example.org")
    make.add_participant(lab, person)
    db.session.commit()
    data = {"name": "Al", "email": "al@example.org", "organisation_id": "0", "level": "", "expertise": ""}
    response = client.post(f"/labs/{lab.id}/deelnemers/toevoegen", data=data)
    assert response.status_code == 422 and "al aangemeld voor dit Lab" in response.get_data(as_text=True)
    response = client.post(f"/labs/{lab.id}/deelnemers/toevoegen", data={**data, "email": "nieuw@example.org"})
    assert response.status_code == 303


def test_facilitator_invites_a_manager_for_a_participant(login_as, client, make):
    login_as(Role.FACILITATOR)
    lab = make.make_lab()
    participation = make.add_participant(lab, make.make_user(Role.PARTICIPANT))
    db.session.commit()
    response = client.post(f"/labs/{lab.id}/deelnemers/leidinggevende", data={
        "participation_id": participation.id, "manager_id": 0, "name": "", "email": "chef@example.org"})
    assert response.status_code == 422 and "Vul de naam in" in response.get_data(as_text=True)
    response = client.post(f"/labs/{lab.id}/deelnemers/leidinggevende", data={
        "participation_id": participation.id, "manager_id": 0, "name": "Chef", "email": "chef@example.org"})
    assert response.status_code == 303
    db.session.refresh(participation)
    assert participation.manager.email == "chef@example.org" and participation.manager.has_role(Role.MANAGER)


def test_participant_completes_own_profile(login_as, client, make):
    organisation = make.make_organisation("Belastingdienst")
    db.session.commit()
    user = login_as(Role.PARTICIPANT)
    assert "Vul uw profiel aan" in client.get("/").get_data(as_text=True)
    response = client.post("/mijn-profiel", data={"organisation_id": organisation.id, "level": "",
                                                  "expertise": ""})
    assert response.status_code == 422 and "Kies uw niveau." in response.get_data(as_text=True)
    response = client.post("/mijn-profiel", data={"organisation_id": organisation.id, "level": "expert",
                                                  "expertise": "fiscaal, witwassen"})
    assert response.status_code == 303
    profile = db.session.get(ParticipantProfile, user.id)
    assert profile.level == Level.EXPERT and profile.expertise == ["fiscaal", "witwassen"]
    assert db.session.get(User, user.id).organisation_id == organisation.id


def test_participant_sees_own_labs_only_and_not_the_participants_page(login_as, client, make):
    mine, other = make.make_lab(name="Mijn Lab"), make.make_lab(name="Ander Lab")
    user = login_as(Role.PARTICIPANT)
    make.add_participant(mine, user)
    db.session.commit()
    page = client.get("/labs").get_data(as_text=True)
    assert "Mijn Lab" in page and "Ander Lab" not in page
    assert client.get(f"/labs/{other.id}").status_code == 404
    assert client.get(f"/labs/{mine.id}/deelnemers").status_code == 403


def test_alumni_page_filters(login_as, client, make, today):
    from datetime import timedelta

    login_as(Role.FACILITATOR)
    lab = make.make_lab(theme="vastgoed", programme_starts_on=today - timedelta(days=50),
                        programme_ends_on=today - timedelta(days=49))
    make.add_participant(lab, make.make_user(Role.PARTICIPANT, name="Oud Deelnemer", level=Level.EXPERT,
                                             expertise=["witwassen"]))
    db.session.commit()
    assert "Oud Deelnemer" in client.get("/alumni?thema=vastgoed&expertise=witwas").get_data(as_text=True)
    assert "Oud Deelnemer" not in client.get("/alumni?expertise=strafrecht").get_data(as_text=True)
    # The expertise filter ignores case and accents like every tag comparison (fieldlab.expertise).
    assert "Oud Deelnemer" in client.get("/alumni?expertise=WITWÁS").get_data(as_text=True)


def test_lab_page_counts_the_vraagstukken_it_lists_and_links_only_to_pages_the_reader_opens(client, auth, make):
    """A leidinggevende read '2 vraagstuk(ken) gekoppeld' above 'Er is nog geen vraagstuk aan dit
    Lab gekoppeld', and an opdrachtgever's Lab page linked to the Labs list they may not open."""
    from fieldlab.problems.models import ProblemStatus

    lab = make.make_lab()
    commissioner = make.make_user(Role.COMMISSIONER, organisation=make.make_organisation())
    other = make.make_user(Role.COMMISSIONER, organisation=make.make_organisation())
    make.make_problem(commissioner, lab=lab, title="Eerste vraagstuk", status=ProblemStatus.ACCEPTED)
    make.make_problem(other, lab=lab, title="Tweede vraagstuk", status=ProblemStatus.ACCEPTED)
    member, manager = make.make_user(Role.PARTICIPANT), make.make_user(Role.MANAGER)
    make.add_participant(lab, member, manager=manager)
    db.session.commit()

    auth.login(manager)
    page = client.get(f"/labs/{lab.id}").get_data(as_text=True)
    assert "2 vraagstukken gekoppeld" in page and "(ken)" not in page
    assert "Er is nog geen vraagstuk" not in page
    assert "2 vraagstukken gekoppeld die u niet kunt inzien" in page
    assert 'href="/labs"' not in page
    auth.logout()

    auth.login(commissioner)
    page = client.get(f"/labs/{lab.id}").get_data(as_text=True)
    assert "Eerste vraagstuk" in page and "Tweede vraagstuk" not in page
    assert "1 vraagstuk gekoppeld die u niet kunt inzien" not in page
    assert "Aan dit Lab is 1 vraagstuk gekoppeld dat u niet kunt inzien" in page
    assert 'href="/labs"' not in page


def test_taking_a_participant_off_a_lab_is_asked_first_and_takes_them_out_of_its_team(login_as, client, make):
    """Before, "Afmelden" acted at once and left the person in their team: the team page and the
    board still listed someone the Lab no longer had, while the team formation showed a change."""
    facilitator = login_as(Role.FACILITATOR)
    lab = make.make_lab(name="Field Lab Buitengebied", facilitators=[facilitator])
    hanna, other = make.make_user(Role.PARTICIPANT, name="Hanna Peters"), make.make_user(Role.PARTICIPANT)
    team = make.make_team(lab, members=[hanna, other], name="Team Akker")
    db.session.commit()
    participation_id = db.session.scalar(select(Participation.id).where(Participation.user_id == hanna.id))
    url = f"/labs/{lab.id}/deelnemers/{participation_id}/afmelden"

    listed = client.get(f"/labs/{lab.id}/deelnemers").get_data(as_text=True)
    assert f'href="{url}"' in listed  # a link to the question, not a button that acts at once
    asked = client.get(url)
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Hanna Peters afmelden voor Field Lab Buitengebied?" in page
    assert "Hanna Peters gaat uit Team Akker en ziet het bord van dat team niet meer." in page
    assert db.session.get(Participation, participation_id) is not None and hanna.id in team.member_ids

    response = client.post(url)
    assert response.status_code == 303
    assert "Hanna Peters is afgemeld voor dit Lab." in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Participation, participation_id) is None
    assert team.member_ids == {other.id}
    assert "Hanna Peters" not in client.get(f"/teams/{team.id}/challenge").get_data(as_text=True)


def test_what_next_on_the_lab_page_names_the_return_day_beside_the_challenge_day(client, auth):
    starts = local(utcnow()).date() + timedelta(days=10)
    setting = arrange_team(starts)
    setting.team.problem.status = ProblemStatus.ACCEPTED
    setting.lab.programme_starts_on = setting.lab.programme_ends_on = starts - timedelta(days=20)
    decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=1,
                              details=details(starts + timedelta(days=1)), by=setting.facilitator, now=utcnow())
    db.session.commit()
    auth.login(setting.facilitator)
    page = client.get(f"/labs/{setting.lab.id}").get_data(as_text=True)
    what_next = page.split('id="labs-next"')[1].split("</p>")[0]
    assert "Dag 1 op" in what_next and "Let op: terugkomdag vastgelegd op" in what_next
