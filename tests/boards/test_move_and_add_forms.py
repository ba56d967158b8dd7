"""The move form and the add form open on demand: in place on the board (htmx) or on a page of their
own (no JavaScript). Refused with 403 for a reader and 404 for anyone who may not see the board or
asks for another team's card; invalid input comes back with a Dutch error next to the field, the
input kept and nothing saved."""

import json
import re

import pytest
from sqlalchemy import func, select

from fieldlab.boards import card_changes
from fieldlab.boards.models import BoardCard, BoardEvent, Challenge, Column
from fieldlab.extensions import db
from tests.boards.conftest import add_cards
from tests.conftest import Auth

HX = {"HX-Request": "true"}


def board_url(world, suffix=""):
    return f"/teams/{world.team.id}/bord{suffix}"


def move_url(world, card_id):
    return board_url(world, f"/kaarten/{card_id}/verplaatsen")


def inline(card_id):
    return {**HX, "HX-Target": f"board-card-{card_id}"}


def version_of(world) -> int:
    return db.session.scalar(select(Challenge.board_version).where(Challenge.id == world.challenge.id))


def place_of(card_id):
    db.session.expire_all()
    card = db.session.get(BoardCard, card_id)
    return card.column_key, card.position


def logged_in(app, user):
    client = app.test_client()
    Auth(client).login(user)
    return client


def selected_option(html: str, field_id: str) -> str | None:
    select_html = re.search(rf'<select[^>]*id="{field_id}".*?</select>', html, re.S).group(0)
    match = re.search(r'<option(?=[^>]*\bselected\b)[^>]*value="([^"]*)"', select_html)
    return match.group(1) if match else None


def error_next_to(html: str, field_id: str) -> str:
    """The error text linked to the field: the `<p>` the field's aria-describedby points at."""
    field = re.search(rf'<(?:input|select)[^>]*id="{field_id}"[^>]*>', html).group(0)
    assert f'{field_id}-error' in field and 'aria-invalid="true"' in field, field
    return re.search(rf'<p class="field__error" id="{field_id}-error">(.*?)</p>', html, re.S).group(1).strip()


@pytest.fixture
def cards(world):
    made = add_cards(world, 3)
    db.session.commit()
    return made


@pytest.fixture
def other_card(world, now):
    """A card on the board of the other team in the same Lab."""
    card = card_changes.add_card(world.other_team.challenge, title="Kaart van Baken", owner_id=world.lab_participant.id,
                             by=world.lab_participant, now=now)
    db.session.commit()
    return card


# --- The move form -----------------------------------------------------------------------------------

def test_move_form_without_htmx_is_a_page_with_the_current_column_chosen(member_client, world, cards, now):
    card_changes.move_card(cards[1], column=Column.DOING, by=world.member, now=now)
    db.session.commit()
    response = member_client.get(move_url(world, cards[1].id))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in html and "<h1>Kaart verplaatsen</h1>" in html
    assert "Terug naar het bord van Team Kompas" in html
    assert "Staat nu in Bezig, op positie 1." in html
    assert selected_option(html, f"board-move-{cards[1].id}-column") == "doing"
    assert f'action="{move_url(world, cards[1].id)}"' in html
    assert 'name="csrf_token"' in html


@pytest.mark.parametrize("language, labels", [("nl", ["Gepland", "Bezig", "Geblokkeerd", "Klaar"]),
                                              ("en", ["Planned", "In progress", "Blocked", "Done"])])
def test_move_forms_columns_are_named_in_the_viewers_language(member_client, world, cards, language, labels):
    """The columns' names are translated when the form is shown (a move only checks the value)."""
    assert member_client.post("/taal", data={"locale": language, "next": "/"}).status_code in (302, 303)
    html = member_client.get(move_url(world, cards[0].id)).get_data(as_text=True)
    select = re.search(rf'<select[^>]*id="board-move-{cards[0].id}-column".*?</select>', html, re.S).group(0)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select) == labels


def test_move_form_for_the_cards_own_target_is_the_inline_fragment(member_client, world, cards):
    response = member_client.get(move_url(world, cards[0].id), headers=inline(cards[0].id))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith(f'<li id="board-card-{cards[0].id}" class="board-card board-card--editing"')
    assert "Verplaatsen: Actie 0" in html and "data-focus-first" in html
    assert selected_option(html, f"board-move-{cards[0].id}-column") == "planned"


def test_move_form_through_a_boosted_link_is_the_page(member_client, world, cards):
    """htmx without the card as target (hx-boost, another target) gets the whole page."""
    for headers in ({**HX, "HX-Boosted": "true"}, {**HX, "HX-Target": "main"},
                    {**HX, "HX-Target": f"board-card-{cards[1].id}"}):
        html = member_client.get(move_url(world, cards[0].id), headers=headers).get_data(as_text=True)
        assert "<html" in html and "<h1>Kaart verplaatsen</h1>" in html


@pytest.mark.parametrize("reader", ["manager", "commissioner", "facilitator"])
def test_move_form_is_403_for_a_reader(app, world, cards, reader):
    client = logged_in(app, getattr(world, reader))
    assert client.get(move_url(world, cards[0].id)).status_code == 403
    assert client.get(move_url(world, cards[0].id), headers=inline(cards[0].id)).status_code == 403
    assert client.post(move_url(world, cards[0].id), data={"column": "done"}).status_code == 403
    assert place_of(cards[0].id) == ("planned", 0)


def test_move_form_is_403_for_a_lab_participant_when_boards_are_open(app, world, cards):
    world.lab.boards_open_to_participants = True
    db.session.commit()
    client = logged_in(app, world.lab_participant)
    assert client.get(board_url(world)).status_code == 200
    assert client.get(move_url(world, cards[0].id)).status_code == 403


@pytest.mark.parametrize("outsider", ["stranger", "lab_participant", "outsider_commissioner"])
def test_move_form_is_404_for_someone_who_may_not_see_the_board(app, world, cards, outsider):
    client = logged_in(app, getattr(world, outsider))
    assert client.get(move_url(world, cards[0].id)).status_code == 404
    assert client.get(move_url(world, cards[0].id), headers=inline(cards[0].id)).status_code == 404
    assert client.post(move_url(world, cards[0].id), data={"column": "done"}).status_code == 404


def test_move_form_is_404_for_a_card_of_another_team(member_client, world, cards, other_card):
    url = move_url(world, other_card.id)
    versions = version_of(world), other_card.challenge.board_version
    assert member_client.get(url).status_code == 404
    assert member_client.get(url, headers=inline(other_card.id)).status_code == 404
    assert member_client.post(url, data={"column": "done"}).status_code == 404
    assert member_client.post(url, headers=inline(other_card.id), data={"column": "done"}).status_code == 404
    assert member_client.post(url, headers=HX, data={"column": "done"}).status_code == 404
    assert member_client.post(url, headers=HX, data={"column": "nonsense"}).status_code == 404
    assert place_of(other_card.id) == ("planned", 0)
    assert (version_of(world), other_card.challenge.board_version) == versions  # neither board changed
    assert member_client.get(move_url(world, 2_000_000_000)).status_code == 404
    assert member_client.post(move_url(world, 2_000_000_000), data={"column": "done"}).status_code == 404


def test_move_without_login_is_refused(client, world, cards):
    assert client.get(move_url(world, cards[0].id), headers=HX).status_code == 401
    response = client.get(move_url(world, cards[0].id))
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


# --- Moving with the form ------------------------------------------------------------------------------

@pytest.mark.parametrize("position", ["0", "-3"])
def test_invalid_position_with_the_plain_form_answers_the_page_with_the_error_and_the_input(
        member_client, world, cards, position):
    version = version_of(world)
    response = member_client.post(move_url(world, cards[0].id), data={"column": "doing", "position": position})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" in html and "<h1>Kaart verplaatsen</h1>" in html
    assert error_next_to(html, f"board-move-{cards[0].id}-position") == \
        "Kies 1 of hoger, of laat het leeg voor onderaan."
    assert re.search(rf'<input[^>]*id="board-move-{cards[0].id}-position"[^>]*value="{position}"', html)
    assert selected_option(html, f"board-move-{cards[0].id}-column") == "doing"
    assert place_of(cards[0].id) == ("planned", 0) and version_of(world) == version


def test_a_position_that_is_no_number_gets_the_dutch_wtforms_message(member_client, world, cards):
    response = member_client.post(move_url(world, cards[0].id), data={"column": "blocked", "position": "twee"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_next_to(html, f"board-move-{cards[0].id}-position") == "Ongeldig getal."
    assert re.search(rf'<input[^>]*id="board-move-{cards[0].id}-position"[^>]*value="twee"', html)


def test_an_unknown_column_with_the_plain_form_answers_ongeldige_keuze(member_client, world, cards):
    version = version_of(world)
    response = member_client.post(move_url(world, cards[1].id), data={"column": "nonsense", "position": "2"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_next_to(html, f"board-move-{cards[1].id}-column") == "Ongeldige keuze."
    assert re.search(rf'<input[^>]*id="board-move-{cards[1].id}-position"[^>]*value="2"', html)
    assert place_of(cards[1].id) == ("planned", 1) and version_of(world) == version


def test_an_invalid_inline_move_answers_the_inline_form_with_the_error(member_client, world, cards):
    response = member_client.post(move_url(world, cards[2].id), headers=inline(cards[2].id),
                                  data={"column": "done", "position": "0"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in html
    assert html.lstrip().startswith(f'<li id="board-card-{cards[2].id}" class="board-card board-card--editing"')
    assert error_next_to(html, f"board-move-{cards[2].id}-position") == \
        "Kies 1 of hoger, of laat het leeg voor onderaan."
    assert selected_option(html, f"board-move-{cards[2].id}-column") == "done"
    assert "HX-Trigger" not in response.headers
    assert place_of(cards[2].id) == ("planned", 2)


def test_an_invalid_drag_answers_a_short_message_without_markup(member_client, world, cards):
    """Dragging posts with htmx but targets nothing: the message is all it needs."""
    response = member_client.post(move_url(world, cards[0].id), headers=HX, data={"column": "elders"})
    assert response.status_code == 422
    assert response.get_data(as_text=True) == "Kies een kolom en een positie (1 of hoger)."


def test_a_successful_inline_move_answers_the_card_in_read_mode_and_triggers_a_refresh(member_client, world, cards):
    version = version_of(world)
    response = member_client.post(move_url(world, cards[2].id), headers=inline(cards[2].id),
                                  data={"column": "doing", "position": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # The columns refresh, and the board's live region says where the card went.
    assert json.loads(response.headers["HX-Trigger"]) == {
        "board-changed": None, "board-announce": "Kaart ‘Actie 2’ staat nu in Bezig."}
    assert response.headers["HX-Trigger"].isascii()
    assert html.lstrip().startswith(f'<li id="board-card-{cards[2].id}" class="board-card"')
    assert "board-card--editing" not in html and "<form" not in html
    assert "Actie 2" in html and "Anna Teamlid" in html
    assert f'href="{move_url(world, cards[2].id)}"' in html  # the 'Verplaatsen' link to open it again
    assert place_of(cards[2].id) == ("doing", 0)
    assert version_of(world) > version
    moved = db.session.scalars(select(BoardEvent).where(BoardEvent.kind == "card_moved")).one()
    assert moved.detail["target"] == "doing" and moved.actor_id == world.member.id


def test_a_successful_plain_move_goes_back_to_the_board_with_a_message(member_client, world, cards):
    response = member_client.post(move_url(world, cards[0].id), data={"column": "done", "position": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/teams/{world.team.id}/bord#board-card-{cards[0].id}")
    assert place_of(cards[0].id) == ("done", 0)
    page = member_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kaart ‘Actie 0’ staat nu in Klaar." in page


# --- The add form -----------------------------------------------------------------------------------------

def test_add_form_without_htmx_is_a_page_of_its_own(member_client, world):
    response = member_client.get(board_url(world, "/kaarten/nieuw"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in html and "Kaart toevoegen aan het bord van Team Kompas" in html
    assert 'name="new-card-title"' in html and 'name="csrf_token"' in html
    assert "Anna Teamlid" in html and "Bram Teamgenoot" in html  # the owners to choose from
    assert f'action="{board_url(world, "/kaarten")}"' in html


@pytest.mark.parametrize("extra", [{}, {"HX-Target": "board-add-card"}, {"HX-Boosted": "true"}])
def test_add_form_with_htmx_is_the_fragment(member_client, world, extra):
    response = member_client.get(board_url(world, "/kaarten/nieuw"), headers={**HX, **extra})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="board-add-card"') and "data-focus-first" in html
    assert 'name="new-card-title"' in html and "Sluiten" in html


def test_closing_the_add_form_answers_the_link_again(member_client, world):
    response = member_client.get(board_url(world, "/kaarten/nieuw?gesloten=1"), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="board-add-card" class="board-add">')
    assert "<form" not in html and "Kaart toevoegen" in html
    assert f'href="{board_url(world, "/kaarten/nieuw")}"' in html


@pytest.mark.parametrize("reader", ["manager", "commissioner", "facilitator"])
def test_add_form_is_403_for_a_reader(app, world, reader):
    client = logged_in(app, getattr(world, reader))
    assert client.get(board_url(world, "/kaarten/nieuw")).status_code == 403
    assert client.get(board_url(world, "/kaarten/nieuw"), headers=HX).status_code == 403
    assert client.get(board_url(world, "/kaarten/nieuw?gesloten=1"), headers=HX).status_code == 403


@pytest.mark.parametrize("outsider", ["stranger", "lab_participant"])
def test_add_form_is_404_for_someone_who_may_not_see_the_board(app, world, outsider):
    client = logged_in(app, getattr(world, outsider))
    assert client.get(board_url(world, "/kaarten/nieuw")).status_code == 404
    assert client.get(board_url(world, "/kaarten/nieuw?gesloten=1"), headers=HX).status_code == 404


def test_invalid_add_without_htmx_answers_the_add_page_with_the_text_kept_and_saves_nothing(member_client, world):
    version = version_of(world)
    response = member_client.post(board_url(world, "/kaarten"), data={
        "new-card-title": "", "new-card-description": "mijn eigen tekst", "new-card-owner": world.teammate.id,
        "new-card-due_day": "12", "new-card-labels": "wonen, bellen"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" in html and "Kaart toevoegen aan het bord van Team Kompas" in html
    assert error_next_to(html, "new-card-title") == "Dit veld is verplicht."
    assert "mijn eigen tekst" in html and 'value="wonen, bellen"' in html and 'value="12"' in html
    assert selected_option(html, "new-card-owner") == str(world.teammate.id)
    assert db.session.scalar(select(func.count()).select_from(BoardCard)) == 0
    assert version_of(world) == version


def test_invalid_add_with_htmx_answers_the_fragment(member_client, world):
    response = member_client.post(board_url(world, "/kaarten"), headers=HX, data={
        "new-card-title": "Te laat", "new-card-owner": world.member.id, "new-card-due_day": "101"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert html.lstrip().startswith('<section id="board-add-card"')
    assert error_next_to(html, "new-card-due_day") == "Kies een dag tussen 1 en 100."
    assert 'value="Te laat"' in html
    assert db.session.scalar(select(func.count()).select_from(BoardCard)) == 0


def test_an_owner_from_outside_the_team_is_an_invalid_choice(member_client, world):
    response = member_client.post(board_url(world, "/kaarten"), data={
        "new-card-title": "Van een ander", "new-card-owner": world.stranger.id})
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "new-card-owner") == "Ongeldige keuze."
    assert db.session.scalar(select(func.count()).select_from(BoardCard)) == 0


# --- WTForms' own messages in the user's language ------------------------------------------------------

def test_wtforms_messages_follow_each_users_language_in_turn(app, world, cards):
    """The catalogue is read once per language and kept: a Dutch, an English and a Dutch request
    again each get their own language."""
    world.teammate.locale = "en"
    db.session.commit()
    dutch, english = logged_in(app, world.member), logged_in(app, world.teammate)
    bad = {"column": "nonsense", "position": "x"}
    field = f"board-move-{cards[0].id}"
    for client, choice, number in ((dutch, "Ongeldige keuze.", "Ongeldig getal."),
                                   (english, "Not a valid choice.", "Not a valid integer value."),
                                   (dutch, "Ongeldige keuze.", "Ongeldig getal.")):
        html = client.post(move_url(world, cards[0].id), data=bad).get_data(as_text=True)
        assert error_next_to(html, f"{field}-column") == choice
        assert error_next_to(html, f"{field}-position").startswith(number)


def test_english_move_page_is_english(app, world, cards):
    world.member.locale = "en"
    db.session.commit()
    client = logged_in(app, world.member)
    html = client.get(move_url(world, cards[0].id)).get_data(as_text=True)
    assert "<h1>Move card</h1>" in html and "Now in Planned, at position 1." in html
    response = client.post(move_url(world, cards[0].id), data={"column": "nonsense"})
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), f"board-move-{cards[0].id}-column") == "Not a valid choice."


@pytest.mark.parametrize("token", [None, "vervalst"])
def test_a_drag_without_the_sessions_token_is_refused_and_moves_nothing(member_client, world, cards, token):
    """A drag's form carries no token of its own (it renders nothing); the request's token is
    what CSRFProtect checks first, and without it the card stays where it was."""
    card = cards[0]
    before, version = place_of(card.id), version_of(world)
    headers = {"HX-Request": "true", **({"X-CSRFToken": token} if token else {})}
    response = member_client.post(move_url(world, card.id), data={"column": "done", "position": "1"},
                                  headers=headers, csrf=False)
    assert response.status_code == 400
    assert place_of(card.id) == before and version_of(world) == version
    moved = member_client.post(move_url(world, card.id), data={"column": "done", "position": "1"},
                               headers={"HX-Request": "true"})
    assert moved.status_code == 200 and place_of(card.id)[0] == "done"
