"""Issue #17: expertise tags are one tag whatever the case, accents or spaces; stored in one
spelling everywhere (profile, vraagstuk, paste import); suggested while typing; merged by a
facilitator; and a Lab whose profiles say "Juridisch" while its vraagstuk needs "juridisch" scores
as if both were spelled the same."""

import pytest
from sqlalchemy import select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role
from fieldlab.expertise import services as tags
from fieldlab.expertise.models import ExpertiseTag
from fieldlab.extensions import db
from fieldlab.labs import participants
from fieldlab.labs.models import LabKind, ParticipantProfile
from fieldlab.problems.models import Problem
from fieldlab.problems.services import ProblemData, create_problem
from fieldlab.teams import services as teams
from fieldlab.timeutil import utcnow
from tests import factories

LEVELS = ("execution", "policy", "management", "expert")


@pytest.mark.parametrize("spelling", ["Juridisch", " juridisch ", "JURIDISCH", "júridisch", "Juri\u0301disch"])
def test_case_accents_and_spaces_do_not_count(spelling):
    assert tags.tag_key(spelling) == "juridisch"


def test_punctuation_and_inner_spaces_do_not_count_either():
    assert tags.tag_key("Financieel   onderzoek") == tags.tag_key("financieel-onderzoek") == "financieel onderzoek"
    assert tags.parse_tags("vastgoed, Witwassen ; VASTGOED,  , witwassen") == ["vastgoed", "Witwassen"]


def test_one_spelling_is_stored_the_first_one_met(app):
    assert tags.store_tags(["Juridisch", "vastgoed"]) == ["Juridisch", "vastgoed"]
    assert tags.store_tags(["juridisch ", "Vastgoed", "júridisch"]) == ["Juridisch", "vastgoed"]
    assert db.session.scalars(select(ExpertiseTag.key).order_by(ExpertiseTag.key)).all() == ["juridisch", "vastgoed"]


def test_a_tag_registered_meanwhile_by_someone_else_is_no_error(app):
    """Two people typing a new tag at the same moment: the second insert does nothing, no 500."""
    other = db.engine.connect()
    other.execute(ExpertiseTag.__table__.insert().values(key="zorg", label="Zorg", created_at=utcnow()))
    other.commit()
    other.close()
    tags._register({"zorg": "zorg"}, utcnow())
    assert tags.store_tags(["ZORG"]) == ["Zorg"]


def _lab(needed, spellings):
    lab = factories.make_lab(kind=LabKind.TEAMS)
    organisations = [factories.make_organisation() for _ in range(4)]
    commissioner = factories.make_user(Role.COMMISSIONER, organisation=organisations[0])
    problem = factories.make_problem(commissioner, lab=lab, expertise_needed=list(needed))
    for i, spelling in enumerate(spellings):
        user = factories.make_user(Role.PARTICIPANT, organisation=organisations[i % 4], level=LEVELS[i % 4],
                                   expertise=(spelling,))
        factories.add_participant(lab, user)
    factories.make_team(lab, name="Team 1", problem=problem)
    factories.make_team(lab, name="Team 2", problem=problem)
    db.session.flush()
    return lab


def test_needed_expertise_spelled_otherwise_in_profiles_is_found(app):
    """The pool of the issue: stored before normalisation, 'Juridisch' in profiles and 'juridisch'
    needed. Both teams cover it and score as well as when the spellings are equal."""
    facilitator = factories.make_user(Role.FACILITATOR)
    people = ["Juridisch", "Juridisch ", "JURIDISCH", "Juridisch", "vastgoed", "vastgoed", "Vastgoed", "vastgoed"]
    mixed = _lab(["juridisch", "Vastgoed"], people)
    same = _lab(["Juridisch", "vastgoed"], ["Juridisch"] * 4 + ["vastgoed"] * 4)
    scores = []
    for lab in (mixed, same):
        draft = teams.propose(lab, by=facilitator, expected_version=None)
        view = teams.formation_view(lab, draft)
        assert [column.result.misses for column in view.columns] == [(), ()], lab.name
        assert not [w for c in view.columns for w in c.result.warnings if w.code == "expertise"]
        scores.append(view.formation.score)
    assert scores[0] == pytest.approx(scores[1])
    assert scores[0] > 0.9


def test_profile_stores_the_known_spelling_and_the_page_suggests_tags(client, login_as):
    user = login_as(Role.PARTICIPANT)
    tags.store_tags(["Juridisch advies", "Vastgoed"])
    db.session.commit()
    page = client.get("/mijn-profiel").get_data(as_text=True)
    assert 'list="expertise-suggestions"' in page
    assert '<option value="Juridisch advies">' in page
    response = client.post("/mijn-profiel", data={"organisation_id": 0, "level": "policy",
                                                  "expertise": "juridisch-advies, vastgoed , Zorg"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(ParticipantProfile, user.id).expertise == ["Juridisch advies", "Vastgoed", "Zorg"]


def test_vraagstuk_stores_the_known_spelling(app):
    tags.store_tags(["Juridisch"])
    commissioner = factories.make_user(Role.COMMISSIONER, organisation=factories.make_organisation())
    data = ProblemData(title="Uitbuiting in de bouw", expertise_needed=["juridisch", "JURIDISCH", "Strafrecht"])
    problem = create_problem(data, by=commissioner)
    assert problem.expertise_needed == ["Juridisch", "Strafrecht"]


def test_pasted_participants_get_the_known_spelling(app):
    facilitator = factories.make_user(Role.FACILITATOR)
    lab = factories.make_lab(kind=LabKind.TEAMS)
    tags.store_tags(["Financieel onderzoek"])
    lines = participants.parse_participant_lines("Anna de Vries; anna@example.org; ; ; financieel-onderzoek, Zorg, zorg", lab)
    assert lines[0].expertise == ["financieel-onderzoek", "Zorg"]
    registration = participants.register_participants(lab, lines, by=facilitator)
    user = registration.created[0]
    assert db.session.get(ParticipantProfile, user.id).expertise == ["Financieel onderzoek", "Zorg"]


def test_suggestions_complete_the_part_being_typed(client, login_as):
    login_as(Role.PARTICIPANT)
    tags.store_tags(["Juridisch advies", "Jeugdzorg", "Vastgoed", "Strafrecht juridisch"])
    db.session.commit()
    response = client.get("/expertise/suggesties", query_string={"veld": "expertise", "expertise": "Vastgoed, jur"},
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # Words starting with what was typed first, then tags containing it; what is in the field already is left out.
    assert html.index('value="Vastgoed, Juridisch advies"') < html.index('value="Vastgoed, Strafrecht juridisch"')
    assert 'value="Vastgoed, Jeugdzorg"' not in html
    assert 'value="Vastgoed, Vastgoed"' not in html


def test_suggestions_need_a_login(client):
    response = client.get("/expertise/suggesties", query_string={"veld": "expertise", "expertise": "jur"})
    assert response.status_code == 302


def test_facilitator_merges_two_spellings_everywhere_audited(client, login_as):
    facilitator = login_as(Role.FACILITATOR)
    # Stored before tags were registered (as after an import of old data): the merge registers them.
    lab = _lab(["fin. onderzoek", "Juridisch"], ["Financieel onderzoek", "fin. onderzoek", "Juridisch", "juridisch"])
    db.session.commit()
    page = client.get(f"/labs/{lab.id}/teams/").get_data(as_text=True)
    assert "Spellingen van expertise samenvoegen" in page
    assert "Lijken op elkaar: ‘fin. onderzoek’ – ‘Financieel onderzoek’" in page
    response = client.post(f"/labs/{lab.id}/teams/expertise/samenvoegen",
                           data={"source": "fin. onderzoek", "target": "Financieel onderzoek"})
    assert response.status_code == 303
    db.session.expire_all()
    profiles = db.session.scalars(select(ParticipantProfile)).all()
    assert all("fin. onderzoek" not in (p.expertise or []) for p in profiles)
    assert sum("Financieel onderzoek" in (p.expertise or []) for p in profiles) == 2
    problem = db.session.scalar(select(Problem).where(Problem.lab_id == lab.id))
    assert problem.expertise_needed == ["Financieel onderzoek", "Juridisch"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "expertise_merged"))
    assert event.actor_id == facilitator.id
    assert event.detail["source"] == "fin. onderzoek" and event.detail["problems"] == 1
    assert "is samengevoegd met" in client.get(f"/labs/{lab.id}/teams/").get_data(as_text=True)
    # Typing the old spelling later lands on the merged tag.
    assert tags.store_tags(["Fin. Onderzoek"]) == ["Financieel onderzoek"]


def test_merging_a_spelling_with_itself_is_refused_with_a_dutch_message(client, login_as):
    login_as(Role.FACILITATOR)
    lab = _lab(["Juridisch"], ["Juridisch", "vastgoed"])
    db.session.commit()
    response = client.post(f"/labs/{lab.id}/teams/expertise/samenvoegen",
                           data={"source": "Juridisch", "target": "Juridisch"})
    assert response.status_code == 422
    assert "Kies twee verschillende spellingen" in response.get_data(as_text=True)


def test_look_alike_spellings_are_pointed_out():
    pairs = tags.look_alike(["fin. onderzoek", "Financieel onderzoek", "witwassen", "Witwasbestrijding", "zorg",
                             "vastgoed", "vastgoedfraude", "Handhaving", "handhavingg"])
    assert ("fin. onderzoek", "Financieel onderzoek") in pairs
    assert ("Handhaving", "handhavingg") in pairs
    assert ("vastgoed", "vastgoedfraude") in pairs
    assert not [pair for pair in pairs if "zorg" in pair]
