"""A facilitator plans the three return days of a team, moves day 50 by a week, and finds the
updated invitation among the outgoing messages."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from fieldlab.returndays import services
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
