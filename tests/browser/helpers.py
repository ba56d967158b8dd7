"""Steps the journeys share, written as a person would do them."""

import re

from tests import factories
from tests.browser.conftest import checked


def log_in(page, user, password=factories.PASSWORD):
    page.goto("/inloggen")
    checked(page)
    page.get_by_label("E-mailadres").fill(user.email)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state("load")
    if page.url.endswith("/inloggen/code"):
        checked(page)
        page.get_by_label("Code").fill(factories.totp_code_for(user))
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_load_state("load")
    return checked(page)


def open_menu(page):
    """The main menu (in either language): on a phone it is folded behind the 'Menu' button, which
    is opened first."""
    menu = page.get_by_role("navigation", name=re.compile("^(Hoofdmenu|Main menu)$"))
    toggle = menu.locator("summary")
    if toggle.is_visible() and menu.locator("details").get_attribute("open") is None:
        toggle.click()
    return menu
