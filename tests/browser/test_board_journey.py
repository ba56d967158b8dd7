"""Two members of one team work on their board at the same time, each in their own browser: one
moves a card and the other sees it move without reloading; both edit one card, the second save is
refused with the other's version shown and the second person's text kept."""

import re

import pytest
from playwright.sync_api import expect

from fieldlab.boards import card_changes, tracking
from tests.boards.conftest import build_world
from tests.browser.conftest import checked
from tests.browser.helpers import log_in, open_menu

pytestmark = pytest.mark.browser

def open_board(page, team):
    page.goto(f"/teams/{team.id}/bord")
    expect(page.get_by_role("heading", level=1)).to_contain_text(team.name)
    return checked(page)


def split_words(element) -> list[str]:
    """The words of an element's text that the browser broke across two lines."""
    return element.evaluate("""(element) => {
      const text = element.firstChild && element.firstChild.nodeType === 3 ? element.firstChild : element.childNodes[0];
      const broken = [];
      const words = text.textContent.matchAll(/\\S+/g);
      for (const match of words) {
        const range = document.createRange();
        range.setStart(text, match.index);
        range.setEnd(text, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
      return broken;
    }""")


def column(page, name):
    return page.get_by_role("region", name=re.compile(f"^{name}"))


def test_two_members_see_each_others_changes_and_a_conflict_keeps_the_text(live_db, new_page):
    world = build_world()
    card = card_changes.add_card(world.challenge, title="Bel de woningcorporatie", owner_id=world.member.id,
                             due_day=12, labels="wonen", by=world.member, now=world.now)
    live_db.session.commit()

    anna = new_page()
    log_in(anna, world.member)
    bram = new_page()
    log_in(bram, world.teammate)
    open_board(anna, world.team)
    open_board(bram, world.team)
    expect(bram.get_by_text(re.compile(r"dag \d+ van 100"))).to_be_visible()
    expect(column(bram, "Gepland").get_by_role("heading", name="Bel de woningcorporatie")).to_be_visible()

    # Anna adds a card with the form that opens in place; the focus goes to its first field.
    anna.get_by_role("link", name="Kaart toevoegen").click()
    expect(anna.get_by_label("Titel")).to_be_focused()
    checked(anna)
    anna.get_by_label("Titel").fill("Adressenlijst opvragen")
    anna.get_by_role("button", name="Kaart toevoegen").click()
    expect(anna.get_by_role("status")).to_contain_text("‘Adressenlijst opvragen’ is toegevoegd")
    expect(column(anna, "Gepland").get_by_role("heading", name="Adressenlijst opvragen")).to_be_visible()
    expect(column(bram, "Gepland").get_by_role("heading", name="Adressenlijst opvragen")).to_be_visible(
        timeout=10_000)
    # Long Dutch compounds wrap between words in the narrow columns, not inside them.
    anna.get_by_label("Titel").fill("Afspraken onderaannemers woningcorporaties")
    anna.get_by_role("button", name="Kaart toevoegen").click()
    long_title = column(anna, "Gepland").get_by_role("heading", name="Afspraken onderaannemers woningcorporaties")
    expect(long_title).to_be_visible()
    assert split_words(long_title) == [], "words broken across lines in a card title"
    anna.get_by_role("link", name="Sluiten").click()
    expect(anna.get_by_role("link", name="Kaart toevoegen")).to_be_visible()

    # Anna moves the card with the keyboard's "Verplaatsen" form; Bram's board follows by itself.
    anna_card = anna.locator(f"#board-card-{card.id}")
    anna.get_by_role("link", name="Verplaatsen: Bel de woningcorporatie").click()
    expect(anna_card.get_by_label("Verplaats naar")).to_be_focused()
    checked(anna)
    anna_card.get_by_label("Verplaats naar").select_option(label="Bezig")
    anna_card.get_by_role("button", name="Verplaatsen").click()
    expect(column(anna, "Bezig").get_by_role("heading", name="Bel de woningcorporatie")).to_be_visible()
    # The focus follows the card to its new place.
    expect(column(anna, "Bezig").get_by_role("link", name="Verplaatsen: Bel de woningcorporatie")).to_be_focused()
    # The board's live region says where it went (the focus alone does not say the column).
    expect(anna.locator("#board-announcer")).to_have_text("Kaart ‘Bel de woningcorporatie’ staat nu in Bezig.")
    expect(column(bram, "Bezig").get_by_role("heading", name="Bel de woningcorporatie")).to_be_visible(
        timeout=10_000)
    expect(column(bram, "Gepland").get_by_role("heading", name="Bel de woningcorporatie")).to_have_count(0)
    expect(bram.get_by_text("Anna Teamlid verplaatste ‘Bel de woningcorporatie’ naar Bezig.")).to_be_visible(
        timeout=10_000)
    checked(bram)

    # Both open the card; Bram starts typing, Anna saves first.
    anna.get_by_role("link", name="Bewerken: Bel de woningcorporatie").click()
    bram.get_by_role("link", name="Bewerken: Bel de woningcorporatie").click()
    bram_card = bram.locator(f"#board-card-{card.id}")
    bram_card.get_by_label("Beschrijving").fill("Vraag naar de veertig adressen.")
    anna_card.get_by_label("Titel").fill("Bel de corporatie vóór vrijdag")
    anna_card.get_by_role("button", name="Opslaan").click()
    expect(anna.locator(f"#board-card-{card.id}").get_by_role("heading", name="Bel de corporatie vóór vrijdag")) \
        .to_be_visible()
    checked(anna)

    # Bram's board refreshed meanwhile (the feed shows Anna's edit), but his open form kept his text.
    expect(bram.get_by_text("Anna Teamlid wijzigde ‘Bel de corporatie vóór vrijdag’.")).to_be_visible(
        timeout=10_000)
    expect(bram_card.get_by_label("Beschrijving")).to_have_value("Vraag naar de veertig adressen.")
    bram_card.get_by_role("button", name="Opslaan").click()

    conflict = bram_card.get_by_role("alert")
    expect(conflict).to_contain_text("Iemand anders heeft deze kaart intussen gewijzigd.")
    expect(conflict).to_contain_text("Bel de corporatie vóór vrijdag")
    # The two versions read side by side across the board's width, what differs marked.
    board_width = bram.locator(".board-columns").bounding_box()["width"]
    assert bram_card.bounding_box()["width"] > 0.9 * board_width, "the conflict stays squeezed in its column"
    assert conflict.bounding_box()["height"] < 700
    title_row = conflict.locator(".board-conflict__field", has_text="Titel")
    expect(title_row).to_contain_text("verschilt")
    expect(title_row).to_contain_text("Bel de woningcorporatie")
    expect(conflict.locator(".board-conflict__field", has_text="Beschrijving")).to_contain_text("verschilt")
    expect(conflict.locator(".board-conflict__field", has_text="Eigenaar")).to_contain_text("gelijk")
    expect(bram_card.get_by_label("Beschrijving")).to_have_value("Vraag naar de veertig adressen.")
    expect(bram_card.get_by_label("Titel")).to_have_value("Bel de woningcorporatie")
    checked(bram)

    # Saving again, knowingly, replaces Anna's version; Anna sees it arrive.
    bram_card.get_by_label("Titel").fill("Bel de corporatie vóór vrijdag")
    bram_card.get_by_role("button", name="Opslaan").click()
    expect(bram_card.get_by_role("alert")).to_have_count(0)
    expect(bram_card.locator(".board-card__description")).to_have_text("Vraag naar de veertig adressen.")
    expect(anna.locator(f"#board-card-{card.id} .board-card__description")).to_have_text(
        "Vraag naar de veertig adressen.", timeout=10_000)
    checked(anna)


def test_manager_reads_the_board_and_the_progress_picture(live_db, page):
    world = build_world()
    card_changes.add_card(world.challenge, title="Quick win: folder", owner_id=world.member.id, due_day=10,
                      quick_win=True, by=world.member, now=world.now)
    tracking.add_progress_update(world.challenge, status="at_risk", stuck="Geen toegang tot data",
                                 help_needed="Toestemming om gegevens te delen", hours_spent=12,
                                 by=world.member, now=world.now)
    live_db.session.commit()

    log_in(page, world.manager)
    page.get_by_role("link", name=f"Naar het bord van {world.team.name}").click()
    expect(page.get_by_role("heading", name="Quick win: folder")).to_be_visible()
    expect(page.get_by_text("risico").first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Verplaatsen"))).to_have_count(0)
    expect(page.get_by_role("link", name="Kaart toevoegen")).to_have_count(0)
    checked(page)
    page.get_by_role("navigation", name="Onderdelen van de challenge").get_by_role("link", name="Voortgang").click()
    expect(page.get_by_role("img", name="Kaarten klaar")).to_be_visible()
    checked(page)
    page.get_by_role("navigation", name="Onderdelen van de challenge").get_by_role("link", name="Doel en plan").click()
    expect(page.get_by_role("heading", name="Werkplan")).to_be_visible()
    checked(page)
    open_menu(page).get_by_role("link", name="100-dagenborden").click()
    expect(page.get_by_role("cell", name="Toestemming om gegevens te delen")).to_be_visible()
    checked(page)


def test_a_failed_htmx_request_shows_a_dutch_message_instead_of_failing_silently(live_db, page):
    world = build_world()
    card = card_changes.add_card(world.challenge, title="Signalen bundelen", owner_id=world.member.id,
                             by=world.member, now=world.now)
    live_db.session.commit()
    log_in(page, world.member)
    open_board(page, world.team)

    board_card = page.locator(f"#board-card-{card.id}")
    page.get_by_role("link", name="Verplaatsen: Signalen bundelen").click()
    board_card.get_by_label("Verplaats naar").select_option(label="Klaar")
    # The server answers the move with an error, as it would when it is down or overloaded.
    page.route("**/verplaatsen", lambda route: route.fulfill(status=503, body="Service Unavailable"))
    page.a11y.expected_errors.append("Response Status Error Code 503")
    board_card.get_by_role("button", name="Verplaatsen").click()

    alert = page.locator("#htmx-error")
    expect(alert).to_be_visible()
    expect(alert).to_have_text("Dat lukte niet. Controleer uw verbinding en probeer het opnieuw; uw invoer staat er nog.")
    expect(page.get_by_role("alert")).to_contain_text("Dat lukte niet")
    checked(page)
