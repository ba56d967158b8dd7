"""A speedlab from start to finish: the facilitator prepares and runs it on the projector, an
alumna joins with her account and a guest with the signed link from the invitation; every round
reaches everyone's screen without a reload."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldlab.auth.models import Role
from fieldlab.speedlabs import invitations, links, preparing
from fieldlab.speedlabs.models import SpeedlabInvitation, SpeedlabSession
from fieldlab.timeutil import local, utcnow
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in, open_menu

pytestmark = pytest.mark.browser

POLL = 10_000


@pytest.fixture
def speedlab_tables(live_app, live_db):
    """The boards poll every second here instead of every three, to keep the journey quick."""
    live_app.config["SPEEDLAB_POLL_SECONDS"] = 1
    yield live_db
    live_app.config["SPEEDLAB_POLL_SECONDS"] = 3


def test_facilitator_runs_a_speedlab_with_an_alumna_and_a_guest(speedlab_tables, new_page):
    db = speedlab_tables
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna Facilitator")
    police = factories.make_organisation("Politie Oost-Brabant")
    lab = factories.make_lab(name="Field Lab 2024-2", theme="vastgoed", programme_ends_on=date(2024, 11, 1))
    alumna = factories.make_user(Role.PARTICIPANT, name="Anna Alumna", organisation=police, level="expert",
                                 expertise=["financieel onderzoek"])
    factories.add_participant(lab, alumna)
    db.session.commit()

    # Preparing: the facilitator creates the speedlab for a standalone question.
    host = new_page()
    log_in(host, facilitator)
    open_menu(host).get_by_role("link", name="Speedlabs").click()
    checked(host)
    host.get_by_role("link", name="Nieuw speedlab").click()
    checked(host)
    host.get_by_label("Naam probleemeigenaar").fill("Olga Opdrachtgever")
    host.get_by_label("E-mailadres probleemeigenaar").fill("olga@example.org")
    host.get_by_label("Titel").fill("Witwassen via vastgoed")
    host.get_by_label("Vraag", exact=True).fill("Hoe signaleren we witwassen via vastgoed eerder, met financieel onderzoek?")
    day = local(utcnow()).date() + timedelta(days=14)
    host.get_by_label("Datum").fill(day.isoformat())
    host.get_by_label("Begintijd").fill("13:00")
    host.get_by_label("Eindtijd").fill("15:30")
    host.get_by_role("textbox", name="Plaats").fill("Utrecht")
    host.get_by_label("Aantal plaatsen").fill("2")
    host.get_by_label("Stippen per deelnemer").fill("3")
    host.get_by_role("button", name="Speedlab aanmaken").click()
    expect(host.get_by_role("heading", level=1)).to_have_text("Witwassen via vastgoed")
    checked(host)

    suggestions = host.locator("#speedlab-suggestions")
    expect(suggestions).to_contain_text("thema vastgoed in Field Lab 2024-2, expertise financieel onderzoek")
    host.get_by_label("Anna Alumna").check()
    host.get_by_role("button", name="Uitnodigen", exact=True).click()
    expect(host.get_by_role("status")).to_contain_text("1 uitgenodigd, 0 op de wachtlijst")
    host.get_by_label("Naam", exact=True).fill("Gijs Gast")
    host.get_by_label("E-mailadres", exact=True).fill("gijs@example.org")
    host.get_by_role("button", name="Gast uitnodigen").click()
    expect(host.locator("#speedlab-invitations")).to_contain_text("Gijs Gast")
    checked(host)

    # The room moves: the facilitator changes the place; the invitees get an updated invitation.
    host.get_by_role("link", name="Wijzigen", exact=True).click()
    checked(host)
    expect(host.get_by_label("Titel")).to_have_value("Witwassen via vastgoed")
    host.get_by_role("textbox", name="Plaats").fill("Den Haag, Stadhuis")
    host.get_by_role("button", name="Wijzigingen opslaan").click()
    expect(host.get_by_role("status")).to_contain_text("Het speedlab is gewijzigd.")
    expect(host.locator(".facts")).to_contain_text("Den Haag, Stadhuis")
    checked(host)
    # Cancelling asks for confirmation first; here the facilitator steps back.
    host.get_by_role("link", name="Speedlab annuleren").click()
    expect(host.get_by_role("heading", name="Let op: annuleren kunt u niet ongedaan maken")).to_be_visible()
    checked(host)
    host.get_by_role("link", name="Niet annuleren").click()
    expect(host.get_by_role("heading", level=1)).to_have_text("Witwassen via vastgoed")

    speedlab = db.session.scalar(select(SpeedlabSession).where(SpeedlabSession.title == "Witwassen via vastgoed"))
    guest_invitation = db.session.scalar(select(SpeedlabInvitation).where(SpeedlabInvitation.email == "gijs@example.org"))
    join_path = f"/speedlabs/deelnemen/{links.make_link_token(guest_invitation, links.JOIN)}"
    board_path = f"/speedlabs/{speedlab.id}/bord"

    host.get_by_role("link", name="Naar het bord").click()
    checked(host)

    # The participants: Anna with her account, Gijs through the link in his invitation.
    anna = new_page(viewport={"width": 390, "height": 844})
    log_in(anna, alumna)
    anna.goto(board_path)
    expect(anna.locator("#speedlab-input")).to_contain_text("begint zodra de facilitator")
    checked(anna)
    gijs = new_page(viewport={"width": 390, "height": 844})
    gijs.goto(join_path)
    checked(gijs)
    gijs.get_by_role("link", name="Naar het bord").click()
    checked(gijs)

    # Ideas round.
    host.get_by_role("button", name="Start ronde: ideeënronde").click()
    expect(host.locator("#speedlab-status")).to_contain_text("sluit om")
    checked(host)
    for page, title, explanation in ((anna, "Vastgoedscan", "Alle aankopen boven een grens langs"),
                                     (gijs, "Notarissen betrekken", "Meldplicht actief uitleggen")):
        expect(page.get_by_label("Idee", exact=True)).to_be_visible(timeout=POLL)
        page.get_by_label("Idee", exact=True).fill(title)
        page.get_by_label("Toelichting").fill(explanation)
        page.get_by_role("button", name="Idee toevoegen").click()
        expect(page.get_by_label("Idee", exact=True)).to_have_value("")
    for page in (host, anna, gijs):
        expect(page.locator("#speedlab-board")).to_contain_text("Vastgoedscan", timeout=POLL)
        expect(page.locator("#speedlab-board")).to_contain_text("Notarissen betrekken", timeout=POLL)
    checked(anna)
    checked(gijs)

    # Clustering: the facilitator groups the ideas under a heading (the select works without JS).
    host.get_by_role("button", name="Start ronde: clusteren").click()
    expect(anna.get_by_label("Idee", exact=True)).to_have_count(0, timeout=POLL)
    host.get_by_label("Kop").fill("Ketenpartners")
    host.get_by_role("button", name="Cluster toevoegen").click()
    expect(host.locator("#speedlab-board h3", has_text="Ketenpartners")).to_be_visible(timeout=POLL)
    host.get_by_label("Cluster voor Notarissen betrekken").select_option(label="Ketenpartners")
    host.get_by_role("button", name="Verplaats Notarissen betrekken").click()
    expect(host.locator("#speedlab-cluster-0")).not_to_contain_text("Notarissen betrekken", timeout=POLL)
    checked(host)
    expect(gijs.locator("#speedlab-board section", has_text="Ketenpartners")).to_contain_text(
        "Notarissen betrekken", timeout=POLL)

    # Voting: three dots each, secret until the round closes.
    host.get_by_role("button", name="Start ronde: stemronde").click()
    checked(host)
    for page, dots in ((anna, {"Vastgoedscan": "2", "Notarissen betrekken": "1"}),
                       (gijs, {"Vastgoedscan": "3"})):
        expect(page.get_by_label("Stippen voor Vastgoedscan")).to_be_visible(timeout=POLL)
        for title, count in dots.items():
            page.get_by_label(f"Stippen voor {title}").fill(count)
        page.get_by_role("button", name="Stippen opslaan").click()
        expect(page.locator("#speedlab-input")).to_contain_text("Uw stippen zijn opgeslagen.")
        checked(page)
    expect(host.locator("#speedlab-voters")).to_contain_text("2 deelnemers", timeout=POLL)
    expect(anna.locator("#speedlab-board")).not_to_contain_text("5 stippen")
    host.get_by_role("button", name="Ronde stoppen").click()
    for page in (host, anna, gijs):
        expect(page.locator("#speedlab-ranking")).to_contain_text("Vastgoedscan", timeout=POLL)
        expect(page.locator("#speedlab-rank-" + str(_idea_id(db, "Vastgoedscan")))).to_contain_text("5 stippen")
    checked(anna)
    checked(gijs)

    # Results and the summary for the problem owner.
    host.get_by_role("button", name="Start ronde: resultaten").click()
    expect(host.locator("#speedlab-status")).to_contain_text("Resultaten")
    checked(host)
    host.get_by_role("link", name="Samenvatting").click()
    checked(host)
    expect(host.locator("#speedlab-participants")).to_contain_text("Anna Alumna, Politie Oost-Brabant")
    host.get_by_role("textbox", name="Notities van de facilitator").fill("Veel energie; notarissen uitnodigen voor vervolg.")
    host.get_by_role("button", name="Notities opslaan").click()
    expect(host.get_by_role("status")).to_contain_text("De notities zijn opgeslagen.")
    host.get_by_role("button", name="Mail samenvatting naar Olga Opdrachtgever").click()
    expect(host.get_by_role("status")).to_contain_text("De samenvatting staat klaar voor verzending")
    host.get_by_role("button", name="Maak vraagstuk van Vastgoedscan").click()
    expect(host.get_by_role("status")).to_contain_text("Concept-vraagstuk 'Vastgoedscan' is aangemaakt.")
    checked(host)


def _idea_id(db, title):
    from fieldlab.speedlabs.models import Idea

    db.session.rollback()
    return db.session.scalar(select(Idea.id).where(Idea.title == title))


def test_facilitator_cancels_a_speedlab_and_the_invitee_reads_why(live_db, new_page):
    db = live_db
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna Facilitator")
    speedlab = preparing.create_session(
        title="Speedlab ondermijning haven", question="Wat zien havenmedewerkers?", context="",
        starts_at=utcnow() + timedelta(days=10), ends_at=utcnow() + timedelta(days=10, hours=2), place="Rotterdam",
        online_url="", seats=4, dots_per_participant=3, owner_name="Olga", owner_email="olga@example.org",
        by=facilitator, now=utcnow())
    guest = invitations.invite_guest(speedlab, name="Gijs Gast", email="gijs-haven@example.org", by=facilitator,
                                     now=utcnow())
    db.session.commit()
    rsvp_path = f"/speedlabs/antwoord/{links.make_link_token(guest, links.RSVP)}"

    host = new_page()
    log_in(host, facilitator)
    host.goto(f"/speedlabs/{speedlab.id}")
    checked(host)
    host.get_by_role("link", name="Speedlab annuleren").click()
    host.get_by_role("button", name="Speedlab annuleren").click()
    expect(host.locator("#reason-error")).to_have_text("Vul de reden van de annulering in.")
    checked(host)
    host.get_by_label("Reden van de annulering").fill("De haven is die dag gesloten.")
    host.get_by_role("button", name="Speedlab annuleren").click()
    expect(host.get_by_role("status")).to_contain_text("Het speedlab is geannuleerd.")
    expect(host.locator(f"#speedlab-cancelled-{speedlab.id}")).to_contain_text("Reden: De haven is die dag gesloten.")
    checked(host)
    open_menu(host).get_by_role("link", name="Speedlabs").click()
    expect(host.locator(f"#speedlab-row-{speedlab.id}")).to_contain_text("Geannuleerd")
    checked(host)

    gijs = new_page(viewport={"width": 390, "height": 844})
    gijs.goto(rsvp_path)
    expect(gijs.locator(f"#speedlab-cancelled-{speedlab.id}")).to_contain_text("De haven is die dag gesloten.")
    expect(gijs.get_by_role("button", name="Ja, ik kom")).to_have_count(0)
    checked(gijs)
    gijs.goto(f"/speedlabs/deelnemen/{links.make_link_token(guest, links.JOIN)}")
    expect(gijs.get_by_role("heading", level=1)).to_have_text("Speedlab geannuleerd")
    checked(gijs)
