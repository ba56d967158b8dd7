"""A team writes its day-100 result together, the leader submits it, the opdrachtgever adds its
view; six months after day 100 the owner answers the sustainability question through the mailed
link; the intervention appears in the library and is suggested on a new vraagstuk."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldlab import followups
from fieldlab.auth.models import Role
from fieldlab.mail.models import OutboxMessage
from fieldlab.outcomes import services
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in
from tests.outcomes.conftest import build

pytestmark = pytest.mark.browser


def test_from_day_85_to_the_library(live_db, new_page):
    world = build(day=90, theme="vastgoed", title="Witwassen via vastgoed")
    colleague = factories.make_user(Role.COMMISSIONER, name="Coby Collega")
    live_db.session.commit()

    member = new_page()
    log_in(member, world.member)
    member.goto(f"/teams/{world.team.id}/bord")
    checked(member)
    member.get_by_role("link", name="Resultaat").click()
    expect(member.get_by_role("heading", level=1)).to_contain_text("Resultaat na 100 dagen")
    expect(member.get_by_label("Eindwaarde: Gecontroleerde onderaannemers")).to_have_value("24")
    checked(member)
    member.get_by_label("Deels").check()
    member.get_by_label("Toelichting").fill("24 van de 30 panden onderzocht.")
    member.get_by_label("Wat heeft de interventie veranderd, en voor wie?").fill("Makelaars melden contante aankopen.")
    member.get_by_label("E-mailadres van de eigenaar").fill("geen adres")
    member.get_by_role("button", name="Resultaat opslaan").click()
    # A wrong address: the message next to the field, the text kept.
    expect(member.get_by_text("Vul een geldig e-mailadres in.").first).to_be_visible()
    expect(member.get_by_label("Toelichting")).to_have_value("24 van de 30 panden onderzocht.")
    checked(member)
    member.get_by_label("E-mailadres van de eigenaar").fill("wim@example.org")
    member.get_by_role("button", name="Resultaat opslaan").click()
    expect(member.get_by_role("heading", name="Nog in te vullen voor het indienen")).to_be_visible()

    leader = new_page()
    log_in(leader, world.leader)
    leader.goto(f"/teams/{world.team.id}/resultaat")
    leader.get_by_label("Lessen").fill("Begin met één wijk.")
    leader.get_by_label("Wat gebeurt er na dag 100?").fill("De gemeente neemt het loket over.")
    leader.get_by_label("Naam van de eigenaar na dag 100").fill("Wim Wethouder")
    leader.get_by_label("Organisatie van de eigenaar").fill("Gemeente Eindhoven")
    leader.get_by_role("group", name="Laat het werk een structurele zwakte zien").get_by_label("Nee").check()
    leader.get_by_role("button", name="Resultaat opslaan").click()
    leader.get_by_label("Het resultaat is klaar om in te dienen.").check()
    leader.get_by_role("button", name="Resultaat indienen").click()
    expect(leader.get_by_text("Het resultaat is ingediend.")).to_be_visible()
    expect(leader.get_by_role("heading", name="Ingediend resultaat")).to_be_visible()
    checked(leader)

    commissioner = new_page()
    log_in(commissioner, world.commissioner)
    commissioner.goto(f"/teams/{world.team.id}/resultaat")
    commissioner.get_by_label("Hoe tevreden bent u met het resultaat?").fill("8")
    commissioner.get_by_label("Welk vervolg zegt u toe?").fill("Een jaar budget voor het loket.")
    commissioner.get_by_role("button", name="Oordeel opslaan").click()
    expect(commissioner.get_by_text("cijfer 8")).to_be_visible()
    checked(commissioner)

    # Six months after day 100 the scheduler asks the owner; the link needs no account.
    live_db.session.expire_all()
    team = live_db.session.get(type(world.team), world.team.id)
    followups.run_due(services.sustainability_due(team) + timedelta(hours=1))
    mail = live_db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "wim@example.org"))
    link = re.search(r"https?://\S+/borging/\S+", mail.body_text).group(0)
    owner = new_page(viewport={"width": 390, "height": 844})
    owner.goto(link)
    checked(owner)
    owner.get_by_label("ja, nog in gebruik").check()
    owner.get_by_label("Waartoe heeft de interventie geleid?").fill("Het loket is vast onderdeel van de gemeente.")
    owner.get_by_role("group", name="Is de aanpak overgenomen in andere regio's?").get_by_label("Ja").check()
    owner.get_by_role("button", name="Antwoord versturen").click()
    expect(owner.get_by_text("Noem de regio's of organisaties die de aanpak overnamen.").first).to_be_visible()
    expect(owner.get_by_label("Waartoe heeft de interventie geleid?")).to_have_value(
        "Het loket is vast onderdeel van de gemeente.")
    checked(owner)
    owner.get_by_label("Welke regio's of organisaties?").fill("Helmond")
    owner.get_by_role("button", name="Antwoord versturen").click()
    expect(owner.get_by_text("Uw antwoord is bij het resultaat van het team bewaard.")).to_be_visible()
    checked(owner)
    commissioner.reload()
    expect(commissioner.get_by_text("overgenomen in: Helmond")).to_be_visible()
    checked(commissioner)

    other = new_page(viewport={"width": 390, "height": 844})
    log_in(other, colleague)
    other.goto("/interventies")
    checked(other)
    # Choosing a theme filters at once (htmx swaps the list and the address follows); the button
    # "Filteren" does the same without JavaScript.
    other.get_by_label("Thema").select_option("vastgoed")
    expect(other).to_have_url(re.compile(r"theme=vastgoed"))
    expect(other.get_by_role("link", name="Witwassen via vastgoed")).to_be_visible()
    checked(other)
    other.get_by_role("link", name="Witwassen via vastgoed").click()
    expect(other.get_by_text("Begin met één wijk.")).to_be_visible()
    checked(other)
    other.goto("/vraagstukken/nieuw")
    other.get_by_label("Titel").fill("Contante aankopen van panden")
    other.get_by_label("Thema").fill("vastgoed")
    other.get_by_label("Thema").blur()
    expect(other.locator("#similar-interventions").get_by_role("link", name="Witwassen via vastgoed")).to_be_visible()
    checked(other)
