"""An account's life, as the facilitator and the person see it: invited, the invitation accepted
(landing on the home page, logged in), deactivated after a confirmation (the person sees why,
on their next click and when logging in again), reactivated, erased after a confirmation, and then
a walk of the facilitator's pages that finds no trace of the person's name or e-mail address."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldlab.auth.models import Role, User
from fieldlab.mail.models import OutboxMessage
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

NAME = "Lotte Levensloop"
EMAIL = "lotte.levensloop@gemeente.example"
PASSWORD = "een eigen lang wachtwoord"


def invitation_path(db) -> str:
    db.session.expire_all()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == EMAIL,
                                                            OutboxMessage.idempotency_key.startswith("invite")))
    return re.search(r"https?://[^/\s]+(/uitnodiging/\S+)", message.body_text).group(1)


def confirm(page, link_name: str, heading: str, button: str):
    """Follow the link to the confirmation page, read what will happen, confirm."""
    page.get_by_role("link", name=link_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("heading", name="Wat er gebeurt")).to_be_visible()
    checked(page)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state("load")
    return checked(page)


def test_invite_accept_deactivate_reactivate_erase_and_no_trace_is_left(live_db, new_page):
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna Facilitator")
    lab = factories.make_lab(name="Field Lab Ketenaanpak", facilitators=[facilitator])
    live_db.session.commit()
    lab_id = lab.id
    hub = new_page()
    log_in(hub, facilitator)

    # Invite.
    hub.goto("/accounts/uitnodigen")
    checked(hub)
    hub.get_by_label("Naam").fill(NAME)
    hub.get_by_label("E-mailadres").fill(EMAIL)
    hub.get_by_label("deelnemer", exact=True).check()
    hub.get_by_role("button", name="Uitnodiging versturen").click()
    expect(hub.get_by_role("heading", level=1)).to_have_text(NAME)
    checked(hub)
    person_url = hub.url

    # Accept: choose a password and land on the home page, logged in.
    person = new_page()
    person.goto(invitation_path(live_db))
    expect(person.get_by_role("heading", level=1)).to_have_text(f"Welkom bij Fieldlab, {NAME}")
    checked(person)
    person.get_by_label("Nieuw wachtwoord").fill(PASSWORD)
    person.get_by_label("Herhaal het nieuwe wachtwoord").fill(PASSWORD)
    person.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(person.get_by_role("heading", level=1)).to_have_text(f"Welkom, {NAME}")
    expect(person.get_by_role("status")).to_contain_text("u bent ingelogd")
    checked(person)
    assert urlsplit(person.url).path == "/"

    # The person takes part in a Lab, so the walk below has a list to look in.
    user = live_db.session.scalar(select(User).where(User.email == EMAIL))
    factories.add_participant(live_db.session.get(type(lab), lab_id), user)
    live_db.session.commit()

    # Deactivate, with confirmation.
    hub.goto(person_url)
    checked(hub)
    confirm(hub, "Account deactiveren…", f"Account van {NAME} deactiveren?", "Ja, account deactiveren")
    expect(hub.get_by_role("status")).to_contain_text("is gedeactiveerd")

    # The person clicks on and reads why, and whom to contact; logging in again says the same.
    person.goto("/labs")
    expect(person.get_by_role("heading", level=1)).to_have_text("Uw account is gedeactiveerd")
    expect(person.get_by_text("Neem contact op met")).to_be_visible()
    checked(person)
    person.goto("/inloggen")
    checked(person)
    person.get_by_label("E-mailadres").fill(EMAIL)
    person.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    person.get_by_role("button", name="Inloggen").click()
    expect(person.get_by_role("heading", level=1)).to_have_text("Uw account is gedeactiveerd")
    checked(person)

    # Reactivate, with confirmation; the person logs in again.
    confirm(hub, "Account weer activeren…", f"Account van {NAME} weer activeren?", "Ja, account weer activeren")
    expect(hub.get_by_role("status")).to_contain_text("is weer actief")
    log_in(person, user, password=PASSWORD)
    expect(person.get_by_role("heading", level=1)).to_have_text(f"Welkom, {NAME}")

    # Erase, with confirmation.
    hub.goto(person_url)
    checked(hub)
    hub.get_by_role("link", name="Persoon wissen (AVG)…").click()
    expect(hub.get_by_role("heading", level=1)).to_have_text(f"{NAME} wissen?")
    checked(hub)
    hub.get_by_label(f"Ja, wis {NAME} definitief").check()
    hub.get_by_role("button", name="Persoon wissen").click()
    expect(hub.get_by_role("status")).to_contain_text("De persoon is gewist")
    checked(hub)

    # A walk of the facilitator's pages: no name, no address.
    walk = ["/", "/accounts", f"/accounts?zoek={NAME.split()[0]}", person_url, "/labs", f"/labs/{lab_id}",
            f"/labs/{lab_id}/deelnemers", "/privacy/", f"/privacy/?zoek={NAME.split()[0]}", "/logboek/",
            "/uitgaande-berichten/"]
    for url in walk:
        hub.goto(url)
        checked(hub)
        # A search page repeats what was searched for (in the field, the links): not a trace.
        content = hub.content()
        if "zoek=" in url:
            expect(hub.get_by_role("main").get_by_text(re.compile("(Niemand|Geen accounts) gevonden met ‘Lotte’"))
                   ).to_be_visible()
            content = re.sub(r"zoek=Lotte|value=\"Lotte\"|‘Lotte’", "", content)
        for trace in (NAME, "Lotte", "Levensloop", EMAIL, "lotte.levensloop"):
            assert trace not in content, f"{trace!r} is still on {url}"
