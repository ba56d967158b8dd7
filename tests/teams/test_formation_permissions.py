"""Only facilitators form teams. Who can see the Lab gets 403; who cannot even see it gets 404."""

import pytest

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from tests import factories

ACTIONS = [("get", ""), ("post", "voorstel"), ("post", "verplaats"), ("post", "vastzetten"), ("post", "expertise/samenvoegen"),
           ("post", "instellingen"), ("post", "regels"), ("post", "bevestigen"), ("post", "nieuw")]


def _arrange(lab_with_participants, who: str):
    lab, people, teams = lab_with_participants()
    if who == "facilitator":
        user = factories.make_user(Role.FACILITATOR)
    elif who == "participant of the lab":
        user = people[0]
    elif who == "manager of a participant":
        user = factories.make_user(Role.MANAGER)
        lab.participations[0].manager = user
    elif who == "commissioner of a vraagstuk in the lab":
        user = lab.problems[0].commissioner
    elif who == "participant elsewhere":
        user = factories.make_user(Role.PARTICIPANT)
    else:
        user = factories.make_user(Role.COMMISSIONER)
    db.session.commit()
    return lab, people, user


@pytest.mark.parametrize("method, action", ACTIONS)
@pytest.mark.parametrize("who, status", [
    ("participant of the lab", 403),
    ("manager of a participant", 403),
    ("commissioner of a vraagstuk in the lab", 403),
    ("participant elsewhere", 404),
    ("unrelated commissioner", 404),
])
def test_non_facilitators_cannot_form_teams(client, auth, lab_with_participants, who, status, method, action):
    lab, people, user = _arrange(lab_with_participants, who)
    auth.login(user)
    data = {"version": "1", "user_id": people[1].id, "team_id": "", "name": "Team X", "problem_id": 0}
    response = getattr(client, method)(f"/labs/{lab.id}/teams/{action}", data=data)
    assert response.status_code == status


def test_facilitator_may_open_the_screen(client, auth, lab_with_participants):
    lab, people, user = _arrange(lab_with_participants, "facilitator")
    auth.login(user)
    response = client.get(f"/labs/{lab.id}/teams/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Teams samenstellen</h1>" in page
    assert all(person.name in page for person in people)  # every participant, to be placed


def test_anonymous_visitor_is_sent_to_the_login_page(client, lab_with_participants):
    lab, _, _ = lab_with_participants()
    db.session.commit()
    response = client.get(f"/labs/{lab.id}/teams/")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def test_unknown_lab_is_404_for_a_facilitator(client, login_as):
    login_as(Role.FACILITATOR)
    assert client.get("/labs/9999/teams/").status_code == 404
