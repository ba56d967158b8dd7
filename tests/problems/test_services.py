"""Vraagstukken services: writing, submitting, review, mail without case content, lists, advice."""

from datetime import UTC, date, datetime

import pytest

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.labs.models import LabKind
from fieldlab.mail.models import OutboxMessage
from fieldlab.organisations.models import Organisation
from fieldlab.problems import hooks, listing, services
from fieldlab.problems.listing import ProblemFilters
from fieldlab.problems.models import ProblemStatus
from fieldlab.problems.services import ProblemData, ProblemError

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET_FACT = "Bestuurder X zit achter drie bv's"
SECRET_CONCERN = "Slachtoffers durven niet te melden"


def full_data(**changes) -> ProblemData:
    values = dict(title="Uitbuiting in de schoonmaak", description="Onderaanneming verhult uitbuiting.",
                  facts=SECRET_FACT, concerns=SECRET_CONCERN, theme="mensenhandel", staff_offered=3,
                  expertise_needed=["strafrecht"], desired_start=date(2026, 9, 1))
    values.update(changes)
    return ProblemData(**values)


@pytest.fixture
def people(app, make):
    organisation = make.make_organisation("Gemeente Tilburg")
    commissioner = make.make_user(Role.COMMISSIONER, organisation=organisation)
    facilitator = make.make_user(Role.FACILITATOR)
    return commissioner, facilitator


def test_a_draft_needs_only_a_title_and_records_its_creation(people):
    commissioner, _ = people
    problem = services.create_problem(ProblemData(title="Eerste idee"), by=commissioner, now=NOW)
    assert problem.status == ProblemStatus.DRAFT
    assert problem.organisation_id == commissioner.organisation_id
    assert [event.kind for event in problem.events] == ["created"]


def test_submitting_without_facts_and_concerns_is_refused_in_dutch(people):
    commissioner, _ = people
    problem = services.create_problem(ProblemData(title="Eerste idee", description="iets"), by=commissioner, now=NOW)
    with pytest.raises(ProblemError) as error:
        services.submit_problem(problem, by=commissioner, now=NOW)
    assert "de feiten" in str(error.value.message) and "de zorgen" in str(error.value.message)
    assert problem.status == ProblemStatus.DRAFT


def test_submitting_mails_facilitators_a_link_without_case_content(people):
    commissioner, facilitator = people
    problem = services.create_problem(full_data(), by=commissioner, now=NOW, submit=True)
    assert problem.status == ProblemStatus.SUBMITTED and problem.submitted_at == NOW
    message = db.session.query(OutboxMessage).filter_by(recipient=facilitator.email).one()
    assert f"/vraagstukken/{problem.id}" in message.body_text
    for text in (SECRET_FACT, SECRET_CONCERN, problem.title):
        assert text not in message.body_text and text not in message.body_html and text not in message.subject


def test_adding_a_missing_organisation_inline_involves_it(people):
    commissioner, _ = people
    problem = services.create_problem(full_data(new_organisation_name="Schoonmaakbedrijf Glans",
                                                new_organisation_kind="bedrijf"), by=commissioner, now=NOW)
    names = [organisation.name for organisation in problem.organisations_involved]
    assert names == ["Schoonmaakbedrijf Glans"]
    assert db.session.query(Organisation).filter_by(name="Schoonmaakbedrijf Glans").one().generic is False


def test_question_and_answer_are_mailed_as_links_and_logged(people):
    commissioner, facilitator = people
    problem = services.create_problem(full_data(), by=commissioner, now=NOW, submit=True)
    question = services.ask_question(problem, "Hoeveel meldingen precies?", by=facilitator, now=NOW)
    mailed = db.session.query(OutboxMessage).filter_by(recipient=commissioner.email).one()
    assert "Hoeveel meldingen" not in mailed.body_text
    services.answer_question(question, "Twaalf in 2025.", by=commissioner, now=NOW)
    assert question.answered_at == NOW and problem.open_questions == []
    assert db.session.query(OutboxMessage).filter_by(recipient=facilitator.email,
                                                     subject="Uw vraag over een vraagstuk is beantwoord").count() == 1
    assert [event.kind for event in problem.events][-2:] == ["question", "answer"]


def test_rejecting_needs_a_reason_which_is_not_mailed(people):
    commissioner, facilitator = people
    problem = services.create_problem(full_data(), by=commissioner, now=NOW, submit=True)
    with pytest.raises(ProblemError):
        services.reject_problem(problem, reason="  ", by=facilitator, now=NOW)
    services.reject_problem(problem, reason="Past beter bij het RIEC.", by=facilitator, now=NOW)
    assert problem.status == ProblemStatus.REJECTED
    mail = db.session.query(OutboxMessage).filter_by(recipient=commissioner.email).one()
    assert "RIEC" not in mail.body_text and mail.subject == "Uw vraagstuk is niet geaccepteerd"


def test_accepting_then_attaching_to_a_lab_shows_in_the_history(people, make):
    commissioner, facilitator = people
    problem = services.create_problem(full_data(), by=commissioner, now=NOW, submit=True)
    lab = make.make_lab(name="Field Lab Mensenhandel")
    with pytest.raises(ProblemError):
        services.attach_to_lab(problem, lab, by=facilitator, now=NOW)
    services.accept_problem(problem, by=facilitator, now=NOW)
    services.attach_to_lab(problem, lab, by=facilitator, now=NOW)
    assert problem.lab is lab
    assert problem.events[-1].kind == "attached" and problem.events[-1].note == "Field Lab Mensenhandel"


def test_an_accepted_problem_can_no_longer_be_edited_or_withdrawn(people):
    commissioner, facilitator = people
    problem = services.create_problem(full_data(), by=commissioner, now=NOW, submit=True)
    services.accept_problem(problem, by=facilitator, now=NOW)
    with pytest.raises(ProblemError):
        services.update_problem(problem, full_data(title="Anders"), expected_version=problem.version,
                                by=commissioner, now=NOW)
    with pytest.raises(ProblemError):
        services.withdraw_problem(problem, expected_version=problem.version, by=commissioner, now=NOW)


@pytest.mark.parametrize(("answers", "staff", "alumni", "kind"), [
    ({"stuck": "ja", "many_partners": "ja", "interests": "ja"}, 4, False, LabKind.TEAMS),
    ({"collaboration": "ja", "public_values": "ja"}, 0, False, LabKind.INDIVIDUAL),
    ({"stuck": "ja", "quick_ideas": "ja"}, 1, True, LabKind.SPEEDLAB),
    ({"quick_ideas": "ja"}, 0, True, LabKind.SPEEDLAB),
    ({"stuck": "ja", "quick_ideas": "ja"}, 1, False, LabKind.TEAMS),
    ({key: "nee" for key in services.FIELD_LAB_KEYS}, 4, True, None),
])
def test_advice_names_the_lab_kind_that_fits_with_reasons(answers, staff, alumni, kind):
    advice = services.suitability_advice(answers, staff_offered=staff, alumni_available=alumni)
    assert advice.kind == kind
    assert bool(advice.reasons) == (kind is not None)


def test_six_times_no_says_a_field_lab_is_not_the_first_tool():
    advice = services.suitability_advice({key: "nee" for key in services.FIELD_LAB_KEYS})
    assert advice.not_suitable and "niet het eerste middel" in advice.summary


def test_i_do_not_know_asks_for_more_information_naming_the_open_questions():
    """'Weet ik niet' is not 'nee': six times 'weet ik niet' never says a Field Lab is the wrong tool."""
    advice = services.suitability_advice({key: "weet-niet" for key in services.FIELD_LAB_KEYS})
    assert advice.kind is None and not advice.not_suitable
    assert "Nog niet genoeg informatie" in advice.summary
    assert len(advice.missing) == 6

    mixed = services.suitability_advice({"stuck": "nee", "many_partners": "nee", "collaboration": "weet-niet"})
    assert "Nog niet genoeg informatie" in mixed.summary
    texts = [str(text) for text in mixed.missing]
    assert any("samenwerking trainen" in text for text in texts)
    assert not any("vastlopen" in text for text in texts), "answered questions are not missing"
    assert len(texts) == 4  # collaboration (weet ik niet) and three unanswered


def test_a_yes_gives_advice_and_says_how_many_questions_are_still_open():
    advice = services.suitability_advice({"stuck": "ja", "many_partners": "weet-niet"}, staff_offered=4)
    assert advice.kind == LabKind.TEAMS
    assert any("5 van de 6 vragen" in str(note) for note in advice.notes)


def test_quick_ideas_without_alumni_says_why_no_speedlab():
    advice = services.suitability_advice({"quick_ideas": "ja"}, alumni_available=False)
    assert advice.kind is None
    assert any("nog geen oud-deelnemers" in str(note) for note in advice.notes)


def test_advice_without_answers_invites_to_answer():
    advice = services.suitability_advice({})
    assert advice.answered == 0 and "Nog geen vraag beantwoord" in advice.summary


def test_the_advice_on_an_empty_form_does_not_depend_on_alumni():
    """The empty Nieuw vraagstuk form, advice included, is kept for everyone without asking
    whether there are alumni (problems.routes._blank_form_body): that holds while no answer is given."""
    blank = {key: None for key in services.SUITABILITY_KEYS}
    with_alumni = services.suitability_advice(blank, alumni_available=True)
    assert with_alumni == services.suitability_advice(blank, alumni_available=False)
    assert (str(with_alumni.summary), with_alumni.notes, with_alumni.reasons) == (
        str(services.suitability_advice(blank).summary), [], [])


def test_parse_tags_trims_and_drops_duplicates():
    assert services.parse_tags(" vastgoed, Witwassen ,vastgoed,, ") == ["vastgoed", "Witwassen"]


def test_problems_page_filters_searches_and_sorts(people, make):
    commissioner, facilitator = people
    other_org = make.make_organisation("Gemeente Breda")
    other = make.make_user(Role.COMMISSIONER, organisation=other_org)
    a = services.create_problem(full_data(title="Alpha vastgoed", theme="vastgoed"), by=commissioner,
                                now=datetime(2026, 1, 10, tzinfo=UTC), submit=True)
    b = services.create_problem(full_data(title="Beta mensenhandel"), by=other,
                                now=datetime(2026, 2, 10, tzinfo=UTC), submit=True)
    services.create_problem(ProblemData(title="Gamma concept"), by=other, now=NOW)

    def titles(**filters):
        return [problem.title for problem in listing.problems_page(facilitator, ProblemFilters(**filters)).items]

    assert titles() == ["Beta mensenhandel", "Alpha vastgoed"]  # the draft is not shared with the Hub
    assert titles(sort="title", direction="asc") == ["Alpha vastgoed", "Beta mensenhandel"]
    assert titles(q="VASTGOED") == ["Alpha vastgoed"]
    assert titles(q="breda") == ["Beta mensenhandel"]
    assert titles(theme="Mensenhandel") == ["Beta mensenhandel"]
    assert titles(organisation_id=other_org.id) == ["Beta mensenhandel"]
    assert titles(submitted_from=date(2026, 2, 1)) == ["Beta mensenhandel"]
    assert titles(submitted_to=date(2026, 1, 10)) == ["Alpha vastgoed"]
    assert titles(status="draft") == []
    assert [p.id for p in listing.problems_page(commissioner, ProblemFilters()).items] == [a.id]
    assert b.id not in [p.id for p in listing.problems_page(commissioner, ProblemFilters()).items]


def test_next_return_day_is_the_answer_of_a_connected_receiver(people):
    commissioner, _ = people
    problem = services.create_problem(full_data(), by=commissioner, now=NOW)
    assert services.next_return_day(problem, today=date(2026, 3, 2), viewer=commissioner) is None
    def answer(sender, today, viewer):
        return services.NextReturnDay(starts_at=NOW, label="Dag 50", place="Utrecht")

    with hooks.next_return_day_wanted.connected_to(answer):
        assert services.next_return_day(problem, today=date(2026, 3, 2), viewer=commissioner).label == "Dag 50"
    assert services.next_return_day(problem, today=date(2026, 3, 2), viewer=commissioner) is None
