"""A facilitator pages through Accounts with the page links (htmx swaps only the list, the address
bar follows, Back works), searches a person, and finds one on the privacy page. PAGE_SIZE is 2 for
this journey, so a handful of accounts fills several pages."""

import re

import pytest
from playwright.sync_api import expect

from fieldlab.auth.models import Role
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def test_facilitator_pages_through_accounts_and_finds_a_person(live_db, page, small_pages):
    facilitator = factories.make_user(Role.FACILITATOR, name="Paging Facilitator")
    for number in range(5):
        factories.make_user(Role.PARTICIPANT, name=f"Paging Persoon {number}")
    live_db.session.commit()
    log_in(page, facilitator)

    page.goto("/accounts?zoek=Paging Persoon")
    pager = page.get_by_role("navigation", name="Paginering")
    expect(pager).to_contain_text("Pagina 1 van 3")
    checked(page)
    pager.get_by_role("link", name="Volgende").click()
    expect(pager).to_contain_text("Pagina 2 van 3")
    expect(page).to_have_url(re.compile(r"zoek=Paging\+Persoon&pagina=2|pagina=2&zoek=Paging\+Persoon"))
    expect(page.get_by_role("link", name="Paging Persoon 2")).to_be_visible()
    expect(page.get_by_role("link", name="Paging Persoon 0")).to_have_count(0)
    checked(page)
    pager.get_by_role("link", name="Volgende").click()
    expect(pager).to_contain_text("Pagina 3 van 3")
    expect(pager.get_by_role("link", name="Eerste")).to_be_visible()
    page.go_back()
    expect(pager).to_contain_text("Pagina 2 van 3")

    page.goto("/privacy/")
    checked(page)
    page.get_by_label("Naam of e-mailadres", exact=True).fill("Paging Persoon 4")
    page.get_by_role("search", name="Gegevens van één persoon").get_by_role("button", name="Zoeken").click()
    expect(page).to_have_url(re.compile(r"zoek=Paging\+Persoon\+4"))
    checked(page)
    page.get_by_role("link", name="Paging Persoon 4").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paging Persoon 4")
    checked(page)
