"""A facilitator finds who the nightly purge anonymises when, searches by organisation, postpones
one person's purge (a mistake first: the message is next to the field, the reason kept), reads
that person's inzage; a participant reads their own from their account page, on a phone too.
Without JavaScript-only steps: every action is a link or a form post."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from fieldlab.auth.models import Role
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def test_facilitator_postpones_a_purge_and_reads_an_inzage(live_db, page, today):
    facilitator = factories.make_user(Role.FACILITATOR, name="Privacy Facilitator")
    organisation = factories.make_organisation("Douane Noord")
    lab = factories.make_lab(name="Lab Bewaren", facilitators=[facilitator])
    person = factories.make_user(Role.PARTICIPANT, name="Bewaar Persoon", organisation=organisation,
                                 level="execution", expertise=["vastgoed"])
    other = factories.make_user(Role.PARTICIPANT, name="Ander Persoon")
    factories.make_team(lab, members=[person, other], name="Team Bewaren", starts_on=date(2024, 3, 1))
    live_db.session.commit()
    log_in(page, facilitator)

    page.goto("/privacy/")
    checked(page)
    expect(page.locator("#privacy-retention")).to_contain_text("Bewaar Persoon")
    page.get_by_label("Naam, e-mailadres of organisatie").fill("douane")
    page.get_by_role("search", name="Wie wanneer wordt geanonimiseerd").get_by_role("button", name="Zoeken").click()
    retention = page.locator("#privacy-retention")
    expect(retention).to_contain_text("Bewaar Persoon")
    expect(retention).not_to_contain_text("Ander Persoon")
    expect(retention).to_contain_text("(vannacht)")
    checked(page)

    retention.get_by_role("link", name="Bewaar Persoon").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bewaar Persoon")
    checked(page)
    page.get_by_label("Reden van het uitstel").fill("Lopende klacht bij de Autoriteit Persoonsgegevens")
    page.get_by_role("button", name="Uitstellen").click()
    expect(page.locator(".field__error").first).to_contain_text("Vul een datum in.")
    expect(page.get_by_label("Reden van het uitstel")).to_have_value("Lopende klacht bij de Autoriteit Persoonsgegevens")
    checked(page)
    until = today + timedelta(days=60)
    page.get_by_label("Bewaren tot en met").fill(until.isoformat())
    page.get_by_role("button", name="Uitstellen").click()
    expect(page.get_by_role("status").first).to_contain_text("uitgesteld tot")
    expect(page.locator("main")).to_contain_text("Lopende klacht bij de Autoriteit Persoonsgegevens")
    checked(page)

    page.get_by_role("link", name="Overzicht bekijken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw gegevens in Fieldlab")
    expect(page.get_by_role("heading", name="Teams", level=2)).to_be_visible()
    expect(page.locator("#inzage-teams")).to_contain_text("Team Bewaren")
    checked(page)
    with page.expect_download(timeout=60_000) as download:  # a PDF made by WeasyPrint; slow on a loaded machine
        page.get_by_role("link", name="Download als PDF").click()
    assert download.value.suggested_filename == f"fieldlab-inzage-{today.isoformat()}.pdf"


@pytest.mark.parametrize("viewport", [None, {"width": 375, "height": 740}])
def test_a_participant_reads_their_own_data(live_db, new_page, viewport):
    page = new_page(viewport=viewport)
    person = factories.make_user(Role.PARTICIPANT, name="Eigen Inzage", level="policy")
    lab = factories.make_lab(name="Lab Eigen")
    factories.make_team(lab, members=[person], name="Team Eigen", starts_on=date(2026, 9, 1))
    live_db.session.commit()
    log_in(page, person)
    page.goto("/account")
    checked(page)
    page.get_by_role("link", name="Mijn gegevens inzien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw gegevens in Fieldlab")
    expect(page.locator("#inzage-profiel")).to_contain_text("beleid")
    checked(page)
