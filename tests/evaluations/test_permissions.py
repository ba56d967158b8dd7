"""Who may do what with evaluations, as a matrix over people and actions, plus the routes' answers."""

import pytest

from fieldlab.auth.models import Role
from fieldlab.auth.permissions import can
from fieldlab.evaluations import answering, sending
from fieldlab.extensions import db
from tests.evaluations.conftest import answers_for

PEOPLE = ("facilitator", "own_commissioner", "other_commissioner", "asked_participant", "other_participant",
          "manager")

MATRIX = {
    # action: people who may
    "evaluations.view": {"facilitator", "own_commissioner", "other_commissioner"},
    "evaluations.manage": {"facilitator"},
    "evaluation_form.edit": {"facilitator"},
    "evaluation_form.results": {"facilitator", "own_commissioner"},
    "evaluation_form.details": {"facilitator"},
    "evaluation_form.answer": {"asked_participant"},
}


@pytest.fixture
def people(programme, make, now):
    own = make.make_user(Role.COMMISSIONER)
    make.make_problem(own, lab=programme.lab)
    other_commissioner = make.make_user(Role.COMMISSIONER)
    make.make_problem(other_commissioner, lab=make.make_lab())
    sending.create_requests(programme.form, [programme.participants[0].id], now=now)
    db.session.commit()
    return {
        "facilitator": programme.facilitator, "own_commissioner": own, "other_commissioner": other_commissioner,
        "asked_participant": programme.participants[0], "other_participant": make.make_user(Role.PARTICIPANT),
        "manager": make.make_user(Role.MANAGER),
    }


@pytest.mark.parametrize("action", sorted(MATRIX))
def test_permission_matrix(programme, people, action):
    for name in PEOPLE:
        obj = programme.form if action.startswith("evaluation_form.") else None
        assert can(people[name], action, obj) is (name in MATRIX[action]), (action, name)


@pytest.mark.parametrize("who,status", [
    ("facilitator", 200), ("own_commissioner", 200), ("other_commissioner", 404), ("asked_participant", 404),
    ("manager", 404),
])
def test_result_page(client, auth, programme, people, who, status):
    auth.login(people[who])
    assert client.get(f"/evaluaties/{programme.form.id}/resultaten").status_code == status


@pytest.mark.parametrize("path", ["/evaluaties/{id}", "/evaluaties/{id}/export.csv", "/evaluaties/{id}/export.xlsx"])
def test_commissioner_gets_404_on_builder_and_exports(client, auth, programme, people, path):
    auth.login(people["own_commissioner"])
    assert client.get(path.format(id=programme.form.id)).status_code == 404


@pytest.mark.parametrize("who,status", [("facilitator", 200), ("own_commissioner", 403),
                                        ("asked_participant", 403)])
def test_annual_figures_are_for_facilitators(client, auth, people, who, status):
    auth.login(people[who])
    assert client.get("/evaluaties/jaaroverzicht").status_code == status


def test_participant_cannot_send_or_close(client, auth, programme, people):
    auth.login(people["asked_participant"])
    assert client.post(f"/evaluaties/{programme.form.id}/versturen").status_code == 404
    assert client.post(f"/evaluaties/{programme.form.id}/sluiten").status_code == 404
    assert client.get("/evaluaties/").status_code == 403


def test_commissioner_sees_only_own_labs_forms_in_the_list(client, auth, programme, people):
    auth.login(people["other_commissioner"])
    assert programme.form.title not in client.get("/evaluaties/").get_data(as_text=True)
    auth.logout()
    auth.login(people["own_commissioner"])
    page = client.get("/evaluaties/").get_data(as_text=True)
    assert programme.form.title in page and "Nieuw evaluatieformulier" not in page


def test_commissioner_summary_has_no_comments_or_exports(client, auth, programme, people, now):
    sending.create_requests(programme.form, sending.recipient_ids(programme.form), now=now)
    for person in programme.participants[:3]:
        answering.submit_response(sending.request_for_user(programme.form, person),
                                 answers_for(programme.form, takeaway="Geheime opmerking"), now=now)
    db.session.commit()
    auth.login(people["own_commissioner"])
    page = client.get(f"/evaluaties/{programme.form.id}/resultaten").get_data(as_text=True)
    assert "gemiddeld totaalcijfer" in page
    assert "Geheime opmerking" not in page and "Download als CSV" not in page
