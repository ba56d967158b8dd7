"""An opdrachtgever submits a vraagstuk; a facilitator finds it, accepts it, makes a new Lab for it
and registers three participants by pasting a list. Every page passes axe."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from fieldlab.auth.models import Role
from fieldlab.organisations.models import Organisation
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in, open_menu

pytestmark = pytest.mark.browser

QUESTIONS = {
    "Gaat het om een ingewikkeld veiligheidsprobleem waarbij de betrokkenen vastlopen?": "ja",
    "Maken de vele aanpakken of de vele partners het moeilijk om in actie te komen?": "ja",
    "Staan verschillende belangen of prestatieafspraken van organisaties de aanpak in de weg?": "ja",
    "Wilt u 'Publieke Waarden'-denken trainen: aanknopingspunten vinden voor een complex maatschappelijk "
    "probleem zonder duidelijke eigenaar?": "nee",
}

PARTICIPANTS = (
    "Daan Visser; daan.visser@politie.example; Politie; uitvoering; wijkagent, mensenhandel\n"
    "Ingrid Mulder\tingrid.mulder@belastingdienst.example\tBelastingdienst\texpert\tfinancieel onderzoek\n"
    "Youssef El Amrani; youssef@om.example; Openbaar Ministerie; beleid; strafrecht\n"
)


def test_opdrachtgever_submits_and_facilitator_accepts_into_a_new_lab_with_participants(live_db, new_page):
    from sqlalchemy import select

    tilburg = live_db.session.scalar(select(Organisation).where(Organisation.name == "Gemeente Tilburg (browser)"))
    tilburg = tilburg or factories.make_organisation("Gemeente Tilburg (browser)")
    commissioner = factories.make_user(Role.COMMISSIONER, name="Omar Bakker", organisation=tilburg)
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna de Vries")
    live_db.session.commit()

    # --- The opdrachtgever writes and submits the vraagstuk ---
    page = new_page()
    log_in(page, commissioner)
    open_menu(page).get_by_role("link", name="Vraagstukken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vraagstukken")
    checked(page)
    page.get_by_role("link", name="Nieuw vraagstuk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuw vraagstuk")
    checked(page)

    page.get_by_label("Titel", exact=True).fill("Uitbuiting in de schoonmaakbranche")
    page.get_by_label("Omschrijving").fill("Signalen van arbeidsuitbuiting bij onderaannemers.")
    page.get_by_label("Feiten").fill("Twaalf meldingen in een jaar; drie bedrijven met dezelfde bestuurder.")
    page.get_by_label("Zorgen").fill("Slachtoffers melden zich niet.")
    page.get_by_label("Thema").fill("mensenhandel")
    page.get_by_label("Nationale Politie", exact=True).check()
    page.get_by_label("Nederlandse Arbeidsinspectie", exact=True).check()
    page.get_by_label("Naam van de organisatie").fill("Schoonmaakbedrijf Glans")
    page.get_by_label("Soort organisatie").select_option("bedrijf")
    page.get_by_label("Aantal medewerkers dat uw organisatie beschikbaar stelt").fill("4")
    page.get_by_label("Benodigde expertise").fill("arbeidsuitbuiting, financieel onderzoek")
    page.get_by_label("Gewenste start").fill((date.today() + timedelta(days=90)).isoformat())
    page.get_by_label("vertrouwelijk", exact=True).check()
    for question, answer in QUESTIONS.items():
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    advice = page.locator("#problems-advice")
    expect(advice).to_contain_text("Advies: een Field Lab voor teams.")  # updated while answering (htmx)
    checked(page)
    page.get_by_role("button", name="Indienen").click()

    expect(page.get_by_role("status").first).to_contain_text("Uw vraagstuk is ingediend")
    expect(page.get_by_role("heading", level=1)).to_have_text("Uitbuiting in de schoonmaakbranche")
    expect(page.get_by_text("ingediend bij de Field Lab Hub")).to_be_visible()
    expect(page.get_by_text("Schoonmaakbedrijf Glans")).to_be_visible()
    checked(page)

    # --- The facilitator finds it, accepts it and makes a Lab for it ---
    hub = new_page()
    log_in(hub, facilitator)
    open_menu(hub).get_by_role("link", name="Vraagstukken").click()
    checked(hub)
    hub.get_by_label("Zoeken", exact=True).fill("schoonmaak")
    results = hub.locator("#problems-results")
    expect(results).to_contain_text("1 vraagstuk gevonden")
    expect(hub).to_have_url(re.compile(r"q=schoonmaak"))
    checked(hub)
    results.get_by_role("link", name="Uitbuiting in de schoonmaakbranche").click()
    expect(hub.get_by_role("heading", name="Beoordelen")).to_be_visible()
    checked(hub)
    hub.get_by_label("Toelichting voor de opdrachtgever").fill("Past goed bij het Lab van dit voorjaar.")
    hub.get_by_role("button", name="Vraagstuk accepteren").click()
    expect(hub.get_by_role("status").first).to_contain_text("Het vraagstuk is geaccepteerd")
    checked(hub)

    hub.get_by_role("link", name="Nieuw Lab aanmaken voor dit vraagstuk").click()
    expect(hub.get_by_role("heading", level=1)).to_have_text("Nieuw Lab")
    checked(hub)
    hub.get_by_label("Naam", exact=True).fill("Field Lab Schoonmaak 2027")
    hub.get_by_label("Field Lab voor teams").check()
    day_1 = hub.get_by_role("group", name="Dag 1")
    day_1.get_by_label("Datum").fill("2027-03-15")
    day_1.get_by_label("Plaats").fill("Utrecht")
    hub.get_by_role("button", name="Nog een dag toevoegen").click()
    checked(hub)
    day_2 = hub.get_by_role("group", name="Dag 2")
    day_2.get_by_label("Datum").fill("2027-03-16")
    day_2.get_by_label("Plaats").fill("Utrecht")
    hub.get_by_role("button", name="Lab aanmaken").click()

    expect(hub.get_by_role("heading", level=1)).to_have_text("Field Lab Schoonmaak 2027")
    expect(hub.get_by_role("link", name="Uitbuiting in de schoonmaakbranche")).to_be_visible()
    expect(hub.locator(".labs-timeline")).to_contain_text("Dag 100")
    checked(hub)

    # --- Three participants, pasted, previewed and confirmed ---
    hub.get_by_role("link", name="Deelnemers", exact=True).click()
    checked(hub)
    hub.get_by_label("Deelnemers (één per regel)").fill(PARTICIPANTS)
    hub.get_by_role("button", name="Lijst controleren").click()
    expect(hub.get_by_text("Alle 3 regels zijn in orde")).to_be_visible()
    checked(hub)
    # At 1280 px the preview fits: its last column, the check, is in view without scrolling.
    assert fits_without_scrolling(hub.get_by_role("region", name="Voorbeeld van de geplakte deelnemers"))
    expect(hub.get_by_role("columnheader", name="Controle")).to_be_in_viewport()
    hub.get_by_role("button", name="3 deelnemers aanmelden").click()
    expect(hub.get_by_role("status").first).to_contain_text("3 deelnemers aangemeld")
    table = hub.get_by_role("region", name="Deelnemers", exact=True)
    for name in ("Daan Visser", "Ingrid Mulder", "Youssef El Amrani"):
        expect(table).to_contain_text(name)
    checked(hub)
    assert fits_without_scrolling(table), "the participants table hides its Afmelden links at 1280 px"
    expect(table.get_by_role("link", name="Afmelden Daan Visser")).to_be_in_viewport()
    # Afmelden asks first what it does; Annuleren leaves everything as it was.
    table.get_by_role("link", name="Afmelden Daan Visser").click()
    expect(hub.get_by_role("heading", level=1)).to_contain_text("Daan Visser afmelden voor")
    checked(hub)
    hub.get_by_role("link", name="Annuleren").click()
    expect(hub.get_by_role("region", name="Deelnemers", exact=True)).to_contain_text("Daan Visser")

    # --- The opdrachtgever sees what came out of it ---
    page.reload()
    expect(page.get_by_role("link", name="Field Lab Schoonmaak 2027")).to_be_visible()
    expect(page.get_by_text("Past goed bij het Lab van dit voorjaar.")).to_be_visible()
    checked(page)


def fits_without_scrolling(region) -> bool:
    return region.evaluate("(wrap) => wrap.scrollWidth <= wrap.clientWidth + 1")
