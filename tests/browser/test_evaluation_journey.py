"""A participant answers the evaluation through the mailed link on a phone, without logging in;
the facilitator then reads the results. axe-core checks every page on the way."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldlab.auth.models import Role
from fieldlab.evaluations import answering, jobs, sending, services
from fieldlab.mail.models import OutboxMessage
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in, open_menu
from tests.evaluations.conftest import answers_for

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_participant_answers_through_the_mailed_link_on_a_phone(live_db, new_page, screenshots_dir):
    facilitator = factories.make_user(Role.FACILITATOR, name="Fien Facilitator")
    lab = factories.make_lab(name="Field Lab Ondermijning Haven", facilitators=[facilitator])
    people = [factories.make_user(Role.PARTICIPANT, name=f"Journey deelnemer {n}") for n in range(4)]
    for person in people:
        factories.add_participant(lab, person)
    form = services.create_form(lab=lab, by=facilitator)
    live_db.session.commit()

    assert jobs.request_evaluations(form.id) == 4  # the scheduled job body
    # Two colleagues answered already, so the results can be shown after the third.
    for person in people[1:3]:
        answering.submit_response(sending.request_for_user(form, person), answers_for(form, overall="8"))
    live_db.session.commit()
    mail = live_db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == people[0].email)).one()
    link = re.search(r"https?://\S+/evaluatie/\S+", mail.body_text).group(0)
    overall_text = next(q.text for q in form.active_questions if q.is_overall)
    content_text = next(q.text for q in form.active_questions if q.key == "content")

    phone = new_page(viewport=PHONE)
    phone.goto(link)
    checked(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Evaluatie van het programma")
    expect(phone.locator("#evaluation-privacy")).to_contain_text("Deze evaluatie is anoniem")
    assert no_sideways_scroll(phone), "the answer page scrolls sideways on a phone"

    # Sending too little: Dutch errors next to the questions, and what was filled in stays.
    phone.get_by_role("group", name=overall_text).get_by_label("9", exact=True).check()
    phone.get_by_label("Wat neemt u mee uit dit Field Lab?").fill("Korte lijnen met de gemeente.")
    phone.get_by_role("button", name="Antwoorden versturen").click()
    expect(phone.get_by_role("alert")).to_contain_text("Er is iets niet goed ingevuld")
    # Keyboard and screen-reader users start at the summary, whose links lead to each question.
    expect(phone.locator(".error-summary")).to_be_focused()
    checked(phone)
    expect(phone.locator("#q{}-error".format(
        next(q.id for q in form.active_questions if q.key == "content")))).to_have_text(
        "Kies een cijfer van 1 tot en met 10.")
    expect(phone.get_by_role("group", name=overall_text).get_by_label("9", exact=True)).to_be_checked()
    expect(phone.get_by_label("Wat neemt u mee uit dit Field Lab?")).to_have_value("Korte lijnen met de gemeente.")

    for question in form.active_questions:
        if question.kind == "grade" and not question.is_overall:
            phone.get_by_role("group", name=question.text).get_by_label("7", exact=True).check()
    expect(phone.get_by_role("group", name=content_text).get_by_label("7", exact=True)).to_be_checked()
    phone.screenshot(path=str(screenshots_dir / "evaluation-answer-phone.png"), full_page=True)
    phone.get_by_role("button", name="Antwoorden versturen").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Bedankt voor uw antwoorden")
    checked(phone)

    # The link works once.
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Uw antwoorden zijn al ontvangen")
    checked(phone)
    assert no_sideways_scroll(phone)

    # The facilitator reads the results.
    desk = new_page()
    log_in(desk, facilitator)
    open_menu(desk).get_by_role("link", name="Evaluaties").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Evaluaties")
    checked(desk)
    desk.get_by_role("link", name="Evaluatie van het programma", exact=True).click()
    expect(desk.get_by_role("button", name="Evaluatie nu versturen")).to_be_visible()
    checked(desk)
    desk.get_by_role("link", name="Resultaten bekijken").click()
    expect(desk.get_by_role("heading", name="Totaalcijfer")).to_be_visible()
    # Anonymous and still open: the comments wait, so the newest one cannot be told apart.
    expect(desk.get_by_text("Korte lijnen met de gemeente.")).to_have_count(0)
    expect(desk.get_by_text("verschijnen als het formulier gesloten is").first).to_be_visible()
    checked(desk)
    desk.go_back()
    desk.get_by_role("button", name="Evaluatie sluiten").click()
    expect(desk.get_by_role("status").first).to_contain_text("De evaluatie is gesloten")
    desk.get_by_role("link", name="Resultaten bekijken").click()
    expect(desk.get_by_text("Korte lijnen met de gemeente.")).to_be_visible()
    checked(desk)
    desk.screenshot(path=str(screenshots_dir / "evaluation-results.png"), full_page=True)
    assert "8,3" in desk.locator(".stat-list").inner_text()  # (9 + 8 + 8) / 3


def test_facilitator_builds_a_form_and_reads_the_annual_figures_on_a_phone(live_db, new_page):
    facilitator = factories.make_user(Role.FACILITATOR)
    factories.make_lab(name="Field Lab Preventie met Gezag")
    live_db.session.commit()
    page = new_page(viewport={"width": 320, "height": 640})
    log_in(page, facilitator)
    page.goto("/evaluaties/nieuw")
    checked(page)
    page.get_by_label("Lab").select_option(label="Field Lab Preventie met Gezag")
    page.get_by_label("Op naam: de facilitatoren zien wie wat antwoordde").check()
    page.get_by_role("button", name="Formulier aanmaken").click()
    expect(page.get_by_role("status")).to_contain_text("Het evaluatieformulier is aangemaakt")
    checked(page)
    assert no_sideways_scroll(page), "the form builder scrolls sideways at 320 px"
    page.get_by_role("button", name=re.compile(r"^Omlaag\W+Welk cijfer geeft u het programma als geheel")).click()
    expect(page.locator(".evaluation-question").nth(1)).to_contain_text("het programma als geheel")
    checked(page)
    page.get_by_role("link", name="Alle evaluaties").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluaties")
    checked(page)
    page.get_by_role("link", name="Jaaroverzicht").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jaaroverzicht evaluaties")
    checked(page)
    assert no_sideways_scroll(page)
