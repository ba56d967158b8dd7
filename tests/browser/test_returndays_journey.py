"""A facilitator plans the three return days of a team, moves day 50 by a week, and finds the
updated invitation among the outgoing messages."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from fieldlab.returndays import decisions, services
from fieldlab.timeutil import local, utcnow
from tests.browser.conftest import checked
from tests.browser.helpers import log_in, open_menu
from tests.returndays.helpers import arrange_team

pytestmark = pytest.mark.browser


def test_facilitator_plans_three_return_days_and_moves_day_50(live_db, page):
    setting = arrange_team(local(utcnow()).date() + timedelta(days=3))
    # Invitations go out 60 days before, so day 1 and day 50 are invited as soon as they are planned.
    services.settings_for(setting.lab).invitation_days_before = 60
    live_db.session.commit()

    log_in(page, setting.facilitator)
    open_menu(page).get_by_role("link", name="Terugkomdagen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Terugkomdagen")
    checked(page)

    for number in (1, 50, 100):
        page.get_by_role("link", name="Planning Team Lovitura").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Terugkomdagen van Team Lovitura")
        checked(page)
        day = page.get_by_role("region", name=f"Dag {number}", exact=True)
        day.get_by_label("Agenda").fill(f"Terugblik en afspraken dag {number}")
        day.get_by_role("button", name=f"Dag {number} vastleggen").click()
        expect(page.get_by_role("status")).to_contain_text(f"Terugkomdag dag {number} is vastgelegd")
        checked(page)
        page.get_by_role("link", name="Alle terugkomdagen").click()
        checked(page)

    page.get_by_role("link", name="Planning Team Lovitura").click()
    checked(page)
    page.get_by_role("region", name="Dag 50", exact=True).get_by_role("link", name="Terugkomdag dag 50 bekijken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Terugkomdag dag 50 · Team Lovitura")
    checked(page)
    date_field = page.get_by_label("Datum", exact=True)
    moved = (local(utcnow()).date().fromisoformat(date_field.input_value()) + timedelta(days=7))
    date_field.fill(moved.isoformat())
    page.get_by_role("button", name="Wijzigingen opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("De genodigden krijgen een gewijzigde uitnodiging")
    expect(page.get_by_role("region", name="Verstuurde berichten").first).to_contain_text("Gewijzigde uitnodiging")
    checked(page)

    open_menu(page).get_by_role("link", name="Beheer").click()
    checked(page)
    page.get_by_role("main").get_by_role("link", name="Uitgaande berichten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uitgaande berichten")
    updated = page.get_by_role("link", name=f"Gewijzigde uitnodiging: terugkomdag dag 50 op {moved.day}", exact=False)
    expect(updated.first).to_be_visible()
    assert updated.count() == 5
    checked(page)
    updated.first.click()
    expect(page.get_by_role("main")).to_contain_text("terugkomdag.ics")
    checked(page)

    open_menu(page).get_by_role("link", name="Agenda").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agenda")
    checked(page)
    page.get_by_role("link", name="Lijst").click()
    expect(page.get_by_role("main")).to_contain_text("Terugkomdag dag 50 · Team Lovitura")
    checked(page)


def test_facilitator_replans_after_a_moved_start_and_cancels_a_day_with_a_reason(live_db, page):
    from fieldlab.boards import services as boards

    start = local(utcnow()).date() + timedelta(days=30)
    setting = arrange_team(start)
    for proposal in services.proposals_for(start):
        decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=proposal.day_number,
                                  details=decisions.Details(day=proposal.proposed_date, start=services.DEFAULT_START,
                                                            end=services.DEFAULT_END, place="Utrecht"),
                                 by=setting.facilitator, now=utcnow())
    # The team moves its start a fortnight later.
    boards.set_start_date(setting.team.challenge, start + timedelta(days=14), by=setting.members[0], now=utcnow())
    live_db.session.commit()

    log_in(page, setting.facilitator)
    page.goto(f"/labs/{setting.lab.id}")
    expect(page.locator("#labs-next")).to_contain_text("De startdatum is verschoven")
    checked(page)
    page.goto(f"/terugkomdagen/team/{setting.team.id}")
    block = page.get_by_role("region", name="Startdatum verschoven: terugkomdagen opnieuw plannen")
    expect(block.get_by_role("checkbox")).to_have_count(3)
    checked(page)
    block.get_by_role("checkbox", name="Dag 100", exact=False).uncheck()
    block.get_by_role("button", name="Terugkomdagen opnieuw plannen").click()
    expect(page.get_by_role("status").first).to_contain_text("Verplaatst: dag 1 en 50.")
    expect(page.get_by_role("region", name="Startdatum verschoven: terugkomdagen opnieuw plannen")).to_have_count(0)
    checked(page)

    page.get_by_role("region", name="Dag 100", exact=True).get_by_role("link", name="Terugkomdag dag 100 bekijken").click()
    checked(page)
    page.get_by_role("link", name="Terugkomdag afgelasten").click()
    expect(page.get_by_role("heading", name="Let op: afgelasten kunt u niet ongedaan maken")).to_be_visible()
    checked(page)
    page.get_by_role("button", name="Terugkomdag afgelasten").click()
    expect(page.get_by_text("Vul de reden in: de genodigden lezen die in het bericht.").first).to_be_visible()
    checked(page)
    page.get_by_label("Reden van het afgelasten").fill("Het team sluit de challenge eerder af.")
    page.get_by_role("button", name="Terugkomdag afgelasten").click()
    expect(page.get_by_role("status").first).to_contain_text("De terugkomdag is afgelast")
    expect(page.locator("#returndays-cancellation-reason")).to_have_text("Het team sluit de challenge eerder af.")
    checked(page)
