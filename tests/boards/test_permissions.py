"""Who may read and edit a team's board, as a matrix: team members edit; their leidinggevenden, the
opdrachtgever of the vraagstuk and facilitators read; everyone else gets 404 (not even the team's
name leaks). A Lab can open its boards to all its participants."""

import pytest

from fieldlab.auth.permissions import can
from fieldlab.boards import refreshing, services
from fieldlab.extensions import db

READ_PAGES = ("/bord", "/bord/activiteit", "/challenge", "/voortgang")

# person -> (may read, may edit) with the Lab closed / open to its participants
MATRIX = {
    "member": ((True, True), (True, True)),
    "teammate": ((True, True), (True, True)),
    "manager": ((True, False), (True, False)),
    "commissioner": ((True, False), (True, False)),
    "facilitator": ((True, False), (True, False)),
    "lab_participant": ((False, False), (True, False)),
    "other_manager": ((False, False), (False, False)),
    "outsider_commissioner": ((False, False), (False, False)),
    "stranger": ((False, False), (False, False)),
}
CASES = [(person, open_lab) for person in MATRIX for open_lab in (False, True)]


def open_boards(world, open_lab):
    world.lab.boards_open_to_participants = open_lab
    db.session.commit()


@pytest.mark.parametrize(("person", "open_lab"), CASES)
def test_board_pages_per_person(client, auth, world, person, open_lab):
    open_boards(world, open_lab)
    may_read, may_edit = MATRIX[person][open_lab]
    auth.login(getattr(world, person))
    for page in READ_PAGES:
        response = client.get(f"/teams/{world.team.id}{page}")
        assert response.status_code == (200 if may_read else 404), page
        if not may_read:
            assert "Team Kompas" not in response.get_data(as_text=True)
    refresh = client.get(f"/teams/{world.team.id}/bord/ververs?versie=0")
    assert refresh.status_code == (200 if may_read else 404)
    add = client.post(f"/teams/{world.team.id}/bord/kaarten",
                      data={"new-card-title": "Proef", "new-card-owner": world.member.id})
    assert add.status_code == (303 if may_edit else 403 if may_read else 404)


@pytest.mark.parametrize(("person", "open_lab"), CASES)
def test_the_boards_query_answers_access_like_the_loaded_team_does(world, person, open_lab):
    open_boards(world, open_lab)
    user = getattr(world, person)
    board = services.load_board(user, world.team.id)
    state = refreshing.board_state(user, world.team.id)
    db.session.expire_all()
    for action in ("board.view", "board.edit", "challenge.schedule"):
        expected = can(user, action, world.team)
        assert can(user, action, board.relation) == expected, action
        assert can(user, action, state.relation) == expected, action
    assert can(user, "board.view", world.team) == MATRIX[person][open_lab][0]


def test_unknown_team_is_404(client, auth, world):
    auth.login(world.member)
    assert client.get("/teams/999999/bord").status_code == 404


def test_facilitator_sets_the_start_date_but_does_not_edit_cards(client, auth, world):
    auth.login(world.facilitator)
    assert client.post(f"/teams/{world.team.id}/challenge/startdatum",
                       data={"starts_on": "2025-05-01", "confirm_over": "y"}).status_code == 303
    assert client.post(f"/teams/{world.team.id}/challenge", data={"goal": "x"}).status_code == 403


def test_overview_lists_only_the_boards_a_person_may_read(client, auth, world):
    auth.login(world.manager)
    html = client.get("/borden").get_data(as_text=True)
    assert "Team Kompas" in html and "Team Baken" not in html
