"""A facilitator finds Rapportages in the menu, opens the Lab report and the Hub's annual report,
picks a year without JavaScript's help and downloads the PDF; an opdrachtgever reads the Lab report
with the confidential vraagstuk reduced to its title, on a phone. axe-core checks every page."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in, open_menu
from tests.reports.conftest import SECRET, seed_lab

pytestmark = pytest.mark.browser


def test_facilitator_and_opdrachtgever_read_the_reports(live_db, new_page, screenshots_dir):
    seeded = seed_lab(factories, suffix=" (rapportage)")
    live_db.session.commit()
    page = new_page()
    log_in(page, seeded.facilitator)

    open_menu(page).get_by_role("link", name="Rapportages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapportages")
    checked(page)

    page.get_by_role("link", name="Field Lab Ondermijning 2025", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Field Lab Ondermijning 2025")
    expect(page.get_by_role("navigation", name="Inhoud")).to_be_visible()
    expect(page.locator("#report-outcomes-table")).to_contain_text("ja, nog in gebruik")
    checked(page)
    page.screenshot(path=str(screenshots_dir / "report-lab.png"), full_page=True)
    with page.expect_download(timeout=60_000) as download:  # a PDF of the Lab report; slow on a loaded machine
        page.get_by_role("link", name="Download als PDF").click()
    assert download.value.suggested_filename == "rapportage-field-lab-ondermijning-2025.pdf"

    page.goto("/rapportages/hub/2024")
    expect(page.get_by_role("heading", level=1)).to_have_text("Field Labs in 2024")
    checked(page)
    page.get_by_label("Jaar", exact=True).select_option("2025")
    page.get_by_role("button", name="Toon").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Field Labs in 2025")
    expect(page.locator("#report-headline")).to_contain_text("6 deelnemers")
    checked(page)
    page.screenshot(path=str(screenshots_dir / "report-hub.png"), full_page=True)

    other = new_page(viewport={"width": 375, "height": 740})  # on a phone
    log_in(other, seeded.commissioner)
    other.goto(f"/labs/{seeded.lab.id}")
    checked(other)
    other.get_by_role("link", name="Rapportage", exact=True).click()
    expect(other.locator("#report-reduced")).to_be_visible()
    expect(other.locator("main")).not_to_contain_text(SECRET)
    checked(other)
    wide = other.evaluate("""[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right
        > window.innerWidth + 1 && !e.closest('.report-scroll')).map(e => e.tagName + '#' + e.id + ' ' + e.textContent.slice(0, 40)).slice(0, 3)""")
    assert not wide, f"wider than the phone: {wide}"
    assert other.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "scrolls sideways"
