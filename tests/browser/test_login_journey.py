"""Logging in as each role lands on that role's home page; a wrong password says so, in Dutch."""

import re

import pytest
from playwright.sync_api import expect

from fieldlab.auth.models import Role
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in, open_menu

pytestmark = pytest.mark.browser

HOME_HEADINGS = {
    Role.FACILITATOR: "Field Lab Hub",
    Role.COMMISSIONER: "Mijn vraagstukken",
    Role.PARTICIPANT: "Mijn Field Labs",
    Role.MANAGER: "Teams van mijn medewerkers",
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_logs_in_and_sees_its_home_page(live_db, page, role):
    user = factories.make_user(role, name=f"Browser {role.value}")
    live_db.session.commit()

    log_in(page, user)

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welkom, Browser {role.value}")
    expect(page.get_by_role("heading", name=HOME_HEADINGS[role])).to_be_visible()
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("status")).to_contain_text("U bent uitgelogd")
    checked(page)


def test_wrong_password_shows_a_dutch_error_next_to_the_field(live_db, page):
    user = factories.make_user(Role.PARTICIPANT)
    live_db.session.commit()
    page.goto("/inloggen")
    checked(page)
    page.get_by_label("E-mailadres").fill(user.email)
    page.get_by_label("Wachtwoord", exact=True).fill("niet het goede wachtwoord")
    page.get_by_role("button", name="Inloggen").click()

    expect(page.locator(".field__error")).to_have_text("Het e-mailadres of het wachtwoord klopt niet.")
    expect(page.get_by_label("E-mailadres")).to_have_value(user.email)
    checked(page)


def test_facilitator_pages_pass_axe_on_a_phone(live_db, new_page):
    facilitator = factories.make_user(Role.FACILITATOR)
    live_db.session.commit()
    page = new_page(viewport={"width": 320, "height": 640})
    log_in(page, facilitator)
    # The menu is one row, "Menu" and where you are; the ten links fold out on request.
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu.get_by_role("link", name="Labs", exact=True)).to_be_hidden()
    assert menu.bounding_box()["height"] <= 64
    expect(menu.locator("summary")).to_contain_text("Menu")
    expect(menu.locator("summary")).to_contain_text("Start")
    for link in ("Vraagstukken", "Labs", "Terugkomdagen", "Agenda", "Speedlabs", "Evaluaties", "Mijn account"):
        open_menu(page).get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(menu.locator("summary")).to_contain_text(link)
        checked(page)
        assert no_sideways_scroll(page), f"{link} scrolls sideways at 320 px"
    for link in ("Accounts", "Organisaties", "Uitgaande berichten", "Logboek"):
        open_menu(page).get_by_role("link", name="Beheer").click()
        checked(page)
        page.get_by_role("main").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(link)
        checked(page)
        assert no_sideways_scroll(page), f"{link} scrolls sideways at 320 px"


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_two_people_on_one_facilitator_account_get_a_code_message_not_a_lock(live_db, new_page):
    """The demo facilitator tried by two people at once: the second types the code the first just
    used and reads, next to the code field, to wait for the next one; the password is not blamed."""
    facilitator = factories.make_user(Role.FACILITATOR, name="Gedeelde Facilitator")
    live_db.session.commit()
    first, second = new_page(), new_page()
    code = factories.totp_code_for(facilitator)
    for page in (first, second):
        page.goto("/inloggen")
        checked(page)
        page.get_by_label("E-mailadres").fill(facilitator.email)
        page.get_by_label("Wachtwoord", exact=True).fill(factories.PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Tweede stap: code")
        checked(page)
    first.get_by_label("Code").fill(code)
    first.get_by_role("button", name="Inloggen").click()
    expect(first.get_by_role("heading", level=1)).to_have_text("Welkom, Gedeelde Facilitator")
    checked(first)

    second.get_by_label("Code").fill(code)
    second.get_by_role("button", name="Inloggen").click()
    expect(second.locator(".field__error")).to_contain_text("Deze code is al gebruikt.")
    expect(second.get_by_text("Te veel mislukte pogingen")).to_have_count(0)
    checked(second)


def test_an_english_reader_on_a_phone_reads_english_and_european_dates(live_db, new_page):
    from datetime import date

    facilitator = factories.make_user(Role.FACILITATOR)
    factories.make_lab(name="Field Lab Zorgfraude 2026", facilitators=[facilitator],
                       programme_starts_on=date(2026, 12, 4), programme_ends_on=date(2026, 12, 10))
    live_db.session.commit()
    page = new_page(viewport={"width": 390, "height": 844})
    log_in(page, facilitator)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    checked(page)

    open_menu(page).get_by_role("link", name="Labs", exact=True).click()
    expect(page.get_by_role("cell", name="4 Dec 2026", exact=False).first).to_be_visible()
    checked(page)
    page.get_by_role("link", name="New Lab").click()
    expect(page.get_by_label("Field Lab for teams")).to_be_visible()
    checked(page)
    for path in ("/", "/labs", "/terugkomdagen", "/evaluaties/"):
        page.goto(path)
        checked(page)
        text = page.locator("main").inner_text()
        assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(AM|PM)\b|Standard Time", text), (path, text)
