"""Vraagstukken through HTTP: the form, the list with search, review actions, and refusals."""

from datetime import date, timedelta

from sqlalchemy import select

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.problems.models import Confidentiality, Problem, ProblemStatus
from fieldlab.timeutil import local, utcnow

# Ahead of whatever day the suite runs on: a fixed date would pass, and a start in the past is refused.
SOON = (local(utcnow()).date() + timedelta(days=90)).isoformat()

FORM = {
    "title": "Huisjesmelkers in de binnenstad", "description": "Overbewoning en hoge huren.",
    "facts": "Veertig adressen.", "concerns": "Bewoners zijn afhankelijk.", "theme": "vastgoed",
    "staff_offered": "3", "staff_names": "", "expertise_needed": "vastgoed, handhaving",
    "desired_start": SOON, "confidentiality": "intern", "suitability_stuck": "ja",
    "suitability_many_partners": "ja", "new_organisation_name": "", "new_organisation_kind": "",
}


def test_opdrachtgever_saves_a_draft_then_submits_it(login_as, client, make):
    organisation = make.make_organisation("Gemeente Tilburg")
    user = login_as(Role.COMMISSIONER, organisation=organisation)
    response = client.post("/vraagstukken/nieuw", data={**FORM, "facts": "", "action": "draft"})
    assert response.status_code == 303
    problem = db.session.scalar(select(Problem))
    assert problem.status == ProblemStatus.DRAFT and problem.commissioner_id == user.id
    assert problem.expertise_needed == ["vastgoed", "handhaving"]
    page = client.get(f"/vraagstukken/{problem.id}").get_data(as_text=True)
    assert "Vul nog in: de feiten" in page
    response = client.post(f"/vraagstukken/{problem.id}/bewerken",
                           data={**FORM, "version": str(problem.version), "action": "submit"})
    assert response.status_code == 303
    db.session.refresh(problem)
    assert problem.status == ProblemStatus.SUBMITTED
    page = client.get(f"/vraagstukken/{problem.id}").get_data(as_text=True)
    assert "ingediend bij de Field Lab Hub" in page and "Advies: een Field Lab voor teams" in page


def test_submitting_with_missing_fields_shows_dutch_errors_and_keeps_input(login_as, client, make):
    login_as(Role.COMMISSIONER, organisation=make.make_organisation())
    response = client.post("/vraagstukken/nieuw", data={**FORM, "concerns": "", "action": "submit"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Vul de zorgen in voordat u indient." in page
    assert "Huisjesmelkers in de binnenstad" in page
    assert db.session.scalar(select(Problem)) is None


def test_a_too_long_title_is_refused_in_plain_dutch_and_the_text_is_kept(login_as, client, make):
    login_as(Role.COMMISSIONER, organisation=make.make_organisation())
    title = "Huisjesmelkers " * 14  # 210 characters
    response = client.post("/vraagstukken/nieuw", data={**FORM, "title": title, "action": "draft"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Dit veld mag niet langer zijn dan 200 tekens." in page and "karakters" not in page
    assert title.strip() in page and db.session.scalar(select(Problem)) is None


def test_fields_a_draft_may_leave_empty_but_submitting_needs_say_so_not_optional(login_as, client, make):
    login_as(Role.COMMISSIONER, organisation=make.make_organisation())
    page = client.get("/vraagstukken/nieuw").get_data(as_text=True)
    for label in ("Omschrijving", "Feiten", "Zorgen"):
        assert f'{label} <span class="field__optional">(nodig om in te dienen)</span>' in page, label
    assert 'Thema <span class="field__optional">(optioneel)</span>' in page


def test_adding_an_existing_organisation_inline_is_refused_next_to_the_field(login_as, client, make):
    login_as(Role.COMMISSIONER, organisation=make.make_organisation("Gemeente Tilburg"))
    response = client.post("/vraagstukken/nieuw", data={
        **FORM, "new_organisation_name": "gemeente tilburg", "new_organisation_kind": "gemeente", "action": "draft"})
    assert response.status_code == 422
    assert "Deze organisatie staat al in de lijst" in response.get_data(as_text=True)


def test_advice_fragment_follows_the_answers(login_as, client):
    login_as(Role.COMMISSIONER)
    response = client.get("/vraagstukken/advies?suitability_collaboration=ja&suitability_public_values=ja",
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Field Lab voor individuele deelnemers" in page and "<html" not in page


def test_advice_fragment_advises_a_speedlab_only_when_alumni_exist(login_as, client, make):
    login_as(Role.COMMISSIONER)
    url = "/vraagstukken/advies?suitability_quick_ideas=ja&suitability_stuck=ja"
    before = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Advies: een Speedlab" not in before and "nog geen oud-deelnemers" in before

    lab = make.make_lab(programme_starts_on=date(2020, 3, 1), programme_ends_on=date(2020, 3, 3))
    make.add_participant(lab, make.make_user(Role.PARTICIPANT))
    db.session.commit()
    after = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Speedlab" in after and "oud-deelnemers" in after


def test_advice_fragment_with_i_do_not_know_names_the_missing_answers(login_as, client):
    login_as(Role.COMMISSIONER)
    query = "&".join(f"suitability_{key}=weet-niet" for key in ("stuck", "many_partners", "collaboration",
                                                                 "public_values", "interests", "new_partnership"))
    page = client.get(f"/vraagstukken/advies?{query}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Nog niet genoeg informatie" in page
    assert "niet het eerste middel" not in page
    assert "vastlopen" in page


def test_search_answers_htmx_with_the_results_fragment_only(login_as, client, make):
    facilitator = login_as(Role.FACILITATOR)
    commissioner = make.make_user(Role.COMMISSIONER, organisation=make.make_organisation())
    make.make_problem(commissioner, title="Drugslabs in schuren")
    make.make_problem(commissioner, title="Witwassen via vastgoed")
    db.session.commit()
    full = client.get("/vraagstukken/?q=schuren").get_data(as_text=True)
    assert "<html" in full and "Drugslabs in schuren" in full and "Witwassen" not in full
    fragment = client.get("/vraagstukken/?q=schuren", headers={"HX-Request": "true", "HX-Target": "problems-results"})
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and "Drugslabs in schuren" in text and "Witwassen" not in text
    assert facilitator is not None


def test_list_paginates(login_as, client, make, app):
    login_as(Role.FACILITATOR)
    commissioner = make.make_user(Role.COMMISSIONER, organisation=make.make_organisation())
    assert app.config["PAGE_SIZE"] == 50  # fieldlab/paging.py, like every list
    for number in range(52):
        make.make_problem(commissioner, title=f"Vraagstuk nummer {number:02d}")
    db.session.commit()
    page_one = client.get("/vraagstukken/?sorteer=title&richting=asc").get_data(as_text=True)
    assert "Pagina 1 van 2" in page_one and "nummer 49" in page_one and "nummer 50" not in page_one
    assert 'href="/vraagstukken/?sorteer=title&amp;richting=asc&amp;pagina=2" rel="next"' in page_one
    page_two = client.get("/vraagstukken/?sorteer=title&richting=asc&pagina=2").get_data(as_text=True)
    assert "Pagina 2 van 2" in page_two and "Vraagstuk nummer 51" in page_two and "nummer 49" not in page_two
    # Past the last page shows the last page; nonsense shows the first.
    assert "Pagina 2 van 2" in client.get("/vraagstukken/?pagina=9").get_data(as_text=True)
    assert "Pagina 1 van 2" in client.get("/vraagstukken/?pagina=-3").get_data(as_text=True)


def test_opdrachtgever_of_another_organisation_gets_404(login_as, client, make):
    owner = make.make_user(Role.COMMISSIONER, organisation=make.make_organisation())
    problem = make.make_problem(owner, confidentiality=Confidentiality.CONFIDENTIAL)
    db.session.commit()
    login_as(Role.COMMISSIONER, organisation=make.make_organisation())
    assert client.get(f"/vraagstukken/{problem.id}").status_code == 404
    assert client.get(f"/vraagstukken/{problem.id}/bewerken").status_code == 404
    assert problem.title not in client.get("/vraagstukken/").get_data(as_text=True)


def test_deelnemer_cannot_open_the_list(login_as, client):
    login_as(Role.PARTICIPANT)
    assert client.get("/vraagstukken/").status_code == 403


def test_facilitator_asks_opdrachtgever_answers_on_the_page(login_as, client, make, auth):
    commissioner = make.make_user(Role.COMMISSIONER, organisation=make.make_organisation())
    problem = make.make_problem(commissioner)
    db.session.commit()
    login_as(Role.FACILITATOR)
    assert client.post(f"/vraagstukken/{problem.id}/vragen", data={"question": ""}).status_code == 422
    assert client.post(f"/vraagstukken/{problem.id}/vragen",
                       data={"question": "Wie is de eigenaar van de panden?"}).status_code == 303
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == commissioner.email))
    auth.logout()
    auth.login(commissioner)
    page = client.get(f"/vraagstukken/{problem.id}").get_data(as_text=True)
    assert "Wie is de eigenaar van de panden?" in page and "Antwoord versturen" in page
    question = problem.questions[0]
    response = client.post(f"/vraagstukken/{problem.id}/vragen/{question.id}/antwoord",
                           data={"answer": "Een bv op Curaçao."})
    assert response.status_code == 303
    assert "Een bv op Curaçao." in client.get(f"/vraagstukken/{problem.id}").get_data(as_text=True)


def test_facilitator_rejects_with_a_reason_shown_to_the_opdrachtgever(login_as, client, make):
    commissioner = make.make_user(Role.COMMISSIONER, organisation=make.make_organisation())
    problem = make.make_problem(commissioner)
    db.session.commit()
    login_as(Role.FACILITATOR)
    response = client.post(f"/vraagstukken/{problem.id}/afwijzen", data={"reject-reason": "", "reject-version": problem.version})
    assert response.status_code == 422
    assert "Geef een reden" in response.get_data(as_text=True)
    response = client.post(f"/vraagstukken/{problem.id}/afwijzen",
                           data={"reject-reason": "Hoort bij het RIEC.", "reject-version": problem.version})
    assert response.status_code == 303
    db.session.refresh(problem)
    assert problem.status == ProblemStatus.REJECTED and problem.decision_reason == "Hoort bij het RIEC."


def test_accept_and_attach_to_a_new_lab_in_one_go(login_as, client, make):
    commissioner = make.make_user(Role.COMMISSIONER, organisation=make.make_organisation())
    problem = make.make_problem(commissioner, theme="mensenhandel")
    db.session.commit()
    facilitator = login_as(Role.FACILITATOR)
    assert client.post(f"/vraagstukken/{problem.id}/accepteren",
                       data={"accept-reason": "", "accept-version": problem.version}).status_code == 303
    form = client.get(f"/labs/nieuw?vraagstuk={problem.id}").get_data(as_text=True)
    assert 'value="mensenhandel"' in form
    response = client.post("/labs/nieuw", data={
        "name": "Field Lab Mensenhandel 2027", "kind": "teams", "theme": "mensenhandel", "description": "",
        "days-0-held_on": "2027-03-01", "days-0-place": "Utrecht", "days-0-note": "",
        "facilitator_ids": str(facilitator.id), "problem_id": str(problem.id), "action": "save",
    })
    assert response.status_code == 303
    db.session.refresh(problem)
    assert problem.lab is not None and problem.lab.name == "Field Lab Mensenhandel 2027"
    assert problem.lab.programme_starts_on.isoformat() == "2027-03-01"


def test_withdrawing_with_an_old_version_is_refused(login_as, client, make):
    commissioner = login_as(Role.COMMISSIONER, organisation=make.make_organisation())
    problem = make.make_problem(commissioner)
    old_version = problem.version
    problem.title = "Intussen gewijzigd"
    db.session.commit()
    response = client.post(f"/vraagstukken/{problem.id}/intrekken", data={"withdraw-version": old_version},
                           follow_redirects=True)
    assert "Iemand anders heeft dit vraagstuk intussen gewijzigd" in response.get_data(as_text=True)
    db.session.refresh(problem)
    assert problem.status == ProblemStatus.SUBMITTED


def test_the_waiting_sentence_fits_the_reader(login_as, client, auth, make):
    """The facilitator saw the opdrachtgever's 'Tot er een besluit is, kunt u het nog wijzigen of
    intrekken.'; the opdrachtgever still does."""
    commissioner = make.make_user(Role.COMMISSIONER, organisation=make.make_organisation())
    problem = make.make_problem(commissioner, title="Wachtend vraagstuk")
    db.session.commit()
    login_as(Role.FACILITATOR)
    page = client.get(f"/vraagstukken/{problem.id}").get_data(as_text=True)
    assert "kunt u het nog wijzigen of intrekken" not in page
    assert "wacht op een besluit van de Field Lab Hub" in page
    auth.logout()
    auth.login(commissioner)
    page = client.get(f"/vraagstukken/{problem.id}").get_data(as_text=True)
    assert "Tot er een besluit is, kunt u het nog wijzigen of intrekken." in page


def test_a_desired_start_in_the_past_is_refused_but_one_that_has_since_passed_stays(login_as, client, make):
    login_as(Role.COMMISSIONER, organisation=make.make_organisation())
    yesterday = (local(utcnow()).date() - timedelta(days=1)).isoformat()
    response = client.post("/vraagstukken/nieuw", data={**FORM, "desired_start": yesterday, "action": "draft"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Deze datum ligt in het verleden. Kies een datum vanaf vandaag." in page
    assert "Overbewoning en hoge huren." in page and db.session.scalar(select(Problem)) is None

    assert client.post("/vraagstukken/nieuw", data={**FORM, "action": "draft"}).status_code == 303
    problem = db.session.scalar(select(Problem))
    # Months later the start it was saved with has passed: the rest can still be changed.
    problem.desired_start = local(utcnow()).date() - timedelta(days=30)
    db.session.commit()
    response = client.post(f"/vraagstukken/{problem.id}/bewerken", data={
        **FORM, "desired_start": problem.desired_start.isoformat(), "facts": "Nu vijftig adressen.",
        "version": str(problem.version), "action": "draft"})
    assert response.status_code == 303
    db.session.refresh(problem)
    assert problem.facts == "Nu vijftig adressen."


def test_the_advice_on_a_vraagstuk_speaks_to_whoever_reads_it(client, auth, make):
    """A facilitator read "U kunt een vraagstuk altijd indienen; de facilitator kiest samen met u.",
    a sentence for the opdrachtgever; and "the questions above" where no questions are above."""
    commissioner = make.make_user(Role.COMMISSIONER)
    facilitator = make.make_user(Role.FACILITATOR)
    problem = make.make_problem(commissioner)
    db.session.commit()
    auth.login(commissioner)
    own = client.get(f"/vraagstukken/{problem.id}").get_data(as_text=True)
    assert "de facilitator kiest samen met u" in own and "hierboven" not in own
    assert "Nog geen vraag beantwoord" in own
    auth.logout()
    auth.login(facilitator)
    theirs = client.get(f"/vraagstukken/{problem.id}").get_data(as_text=True)
    assert "Dit advies zag de opdrachtgever bij het invullen" in theirs
    assert "de facilitator kiest samen met u" not in theirs


def test_a_sort_click_brings_the_new_order_into_the_search_form(login_as, client):
    """A sort link swaps only the results; the form's hidden order fields stayed on the old order,
    so a filter changed afterwards went back to the default sort."""
    login_as(Role.FACILITATOR)
    page = client.get("/vraagstukken/").get_data(as_text=True)
    assert page.count('id="problems-sort-fields"') == 1 and 'hx-swap-oob' not in page
    swapped = client.get("/vraagstukken/?sorteer=title&richting=asc",
                         headers={"HX-Request": "true", "HX-Target": "problems-results"}).get_data(as_text=True)
    assert '<span id="problems-sort-fields" hx-swap-oob="true">' in swapped
    assert 'name="sorteer" value="title"' in swapped and 'name="richting" value="asc"' in swapped
