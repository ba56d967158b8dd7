"""The board's pages as the Nu checker and a screen reader read them: headings that do not skip a
level on the no-JavaScript card pages, machine times to the second, and an edit conflict shown
field by field with what differs marked."""

from fieldlab.boards import card_changes
from fieldlab.extensions import db
from tests.boards.conftest import add_cards
from tests.boards.test_routes import board_url, edit
from tests.test_html import problems_of


def test_card_pages_without_javascript_put_the_card_heading_under_the_h1(member_client, world):
    card = add_cards(world, 1)[0]
    db.session.commit()

    for suffix in (f"/kaarten/{card.id}/bewerken", f"/kaarten/{card.id}/verplaatsen"):
        html = member_client.get(board_url(world, suffix)).get_data(as_text=True)
        assert problems_of(html) == [], suffix
        assert "<h2 class=\"board-card__title\"" in html


def test_the_board_and_its_activity_are_free_of_html_errors(member_client, world):
    add_cards(world, 3)
    db.session.commit()

    html = member_client.get(board_url(world)).get_data(as_text=True)

    assert 'datetime="' in html
    assert problems_of(html) == []


def test_a_conflict_compares_the_versions_field_by_field(client, auth, world, now):
    card = add_cards(world, 1)[0]
    card_changes.edit_card(card, expected_version=1, title="Eerst", owner_id=world.member.id, by=world.member, now=now)
    db.session.commit()
    auth.login(world.teammate)

    html = edit(client, world, card, version=1, title="Tweede", description="Mijn lange tekst").get_data(as_text=True)

    rows = html.split('class="board-conflict__field')[1:]
    title, description, owner = rows[0], rows[1], rows[2]
    assert "verschilt" in title and "Eerst" in title and "Tweede" in title
    assert "verschilt" in description and "Mijn lange tekst" in description
    assert "gelijk" in owner and "board-conflict__yours" not in owner
    assert "board-card--conflict" in html
