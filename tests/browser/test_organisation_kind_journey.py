"""A facilitator invites someone of a gemeente that is not in the list: picking "Een gemeente die er
niet bij staat…" shows "Welke gemeente?" at once (with JavaScript), the gemeente is added and the
person belongs to it. The speedlab form asks "Plaats of online link" as one question. Every page passes axe."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldlab.auth.models import Role, User
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def test_picking_a_kind_asks_which_one_and_adds_it(live_db, new_page):
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna de Vries")
    live_db.session.commit()
    page = new_page()
    log_in(page, facilitator)

    page.goto("/accounts/uitnodigen")
    question = page.get_by_label("Welke gemeente?")
    expect(page.locator("#new_organisation_name-group")).to_be_hidden()
    checked(page)
    page.get_by_label("Naam", exact=True).fill("Petra Zwolsman")
    page.get_by_label("E-mailadres").fill("petra@zwolle.browser.example")
    page.get_by_label("Organisatie", exact=True).select_option(label="Een gemeente die er niet bij staat…")
    expect(question).to_be_visible()
    expect(page.locator("#new_organisation_name-group .field__optional")).to_be_hidden()
    checked(page)
    question.fill("Gemeente Zwolle (browser)")
    page.get_by_label("deelnemer", exact=True).check()
    page.get_by_role("button", name="Uitnodiging versturen").click()
    expect(page.get_by_text(re.compile("Petra Zwolsman is uitgenodigd"))).to_be_visible()
    checked(page)

    live_db.session.expire_all()
    person = live_db.session.scalar(select(User).where(User.email == "petra@zwolle.browser.example"))
    assert (person.organisation.name, person.organisation.kind) == ("Gemeente Zwolle (browser)", "gemeente")

    page.goto("/accounts/uitnodigen")
    checked(page)
    page.get_by_label("Organisatie", exact=True).select_option(label="Een bank die er niet bij staat…")
    expect(page.get_by_label("Welke bank?")).to_be_visible()
    page.get_by_label("Organisatie", exact=True).select_option(label="Nationale Politie")
    expect(page.locator("#new_organisation_name-group")).to_be_hidden()


def test_a_pasted_kind_is_answered_in_its_row(live_db, new_page):
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna de Vries")
    lab = factories.make_lab(name="Field Lab Soorten (browser)")
    live_db.session.commit()
    page = new_page()
    log_in(page, facilitator)

    page.goto(f"/labs/{lab.id}/deelnemers")
    checked(page)
    page.get_by_label(re.compile("^Deelnemers")).fill("Anouk Bos; anouk@ede.browser.example; Gemeente; beleid; handhaving")
    page.get_by_role("button", name="Lijst controleren").click()
    expect(page.get_by_text("is een soort organisatie, geen organisatie: welke gemeente?")).to_be_visible()
    checked(page)
    page.get_by_label("Welke gemeente?").fill("Gemeente Ede (browser)")
    page.get_by_role("button", name="Toevoegen en in deze regel zetten").click()
    expect(page.get_by_text("Gemeente Ede (browser) staat nu in de lijst van organisaties en in regel 1.")).to_be_visible()
    checked(page)
    page.get_by_role("button", name="1 deelnemer aanmelden").click()
    checked(page)
    live_db.session.expire_all()
    person = live_db.session.scalar(select(User).where(User.email == "anouk@ede.browser.example"))
    assert person.organisation.name == "Gemeente Ede (browser)"


def test_speedlab_form_asks_place_or_online_link(live_db, new_page):
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna de Vries")
    live_db.session.commit()
    page = new_page()
    log_in(page, facilitator)

    page.goto("/speedlabs/nieuw")
    group = page.get_by_role("group", name="Plaats of online link")
    expect(group).to_be_visible()
    expect(group.get_by_role("textbox", name="Plaats")).to_be_visible()
    expect(group).to_contain_text("Een plaats is nodig, tenzij u een link voor online deelname invult.")
    checked(page)
