"""Findings of a browser walk, each as a person would meet it: pages that fit a 320 px phone, e-mail
addresses kept whole in a table that scrolls, the focus after paging with htmx, a sort click that a
late search cannot undo, and a visible focus on a date field's calendar button."""

import contextlib
import re
import uuid
from datetime import time, timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.returndays import decisions
from fieldlab.timeutil import local, utcnow
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in
from tests.returndays.helpers import arrange_team

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 800}
LONG_ADDRESS = "marieke.hendriks-van-der-veen.{}@gemeente-voorbeeldstad.example"


def unique() -> str:
    return uuid.uuid4().hex[:8]


def right_edge(locator) -> float:
    box = locator.bounding_box()
    return box["x"] + box["width"]


def test_vraagstuk_and_message_fit_a_320_px_phone_and_keep_two_columns_on_a_laptop(live_db, new_page):
    commissioner = factories.make_user(Role.COMMISSIONER, name="Reflow Opdrachtgever")
    facilitator = factories.make_user(Role.FACILITATOR, name="Reflow Facilitator")
    problem = factories.make_problem(
        commissioner, title="Reflow vraagstuk", theme="mensenhandel",
        description="Signalen van arbeidsuitbuiting bij onderaannemers in de bouw.",
        expertise_needed=["arbeidsuitbuiting", "financieel onderzoek"],
        suitability={"stuck": "ja", "many_partners": "ja"})  # the other questions: "niet beantwoord"
    message = OutboxMessage(idempotency_key=f"polish:{unique()}", recipient=LONG_ADDRESS.format(unique()),
                            subject="Reflow bericht", body_text="Tekst", body_html="<p>Tekst</p>")
    db.session.add(message)
    live_db.session.commit()

    phone = new_page(viewport=PHONE)
    log_in(phone, facilitator)
    phone.goto(f"/vraagstukken/{problem.id}")
    checked(phone)  # fails on sideways scrolling
    suitability = phone.get_by_role("region", name="Past een Field Lab?")
    not_answered = suitability.get_by_text("niet beantwoord").first
    expect(not_answered).to_be_visible()
    assert right_edge(not_answered) <= PHONE["width"]

    phone.goto(f"/uitgaande-berichten/{message.id}")
    checked(phone)
    address = phone.get_by_text(message.recipient)
    expect(address).to_be_visible()
    assert right_edge(address) <= PHONE["width"]

    # On a laptop the facts stay a two-column list: each answer beside its question.
    laptop = new_page()
    log_in(laptop, facilitator)
    laptop.goto(f"/vraagstukken/{problem.id}")
    checked(laptop)
    answers = laptop.get_by_role("region", name="Past een Field Lab?").locator("dl")
    question_top = answers.locator("dt").first.bounding_box()["y"]
    answer_top = answers.locator("dd").first.bounding_box()["y"]
    assert abs(question_top - answer_top) < 2
    laptop.goto(f"/uitgaande-berichten/{message.id}")
    checked(laptop)
    assert abs(laptop.get_by_text("Aan", exact=True).bounding_box()["y"]
               - laptop.get_by_text(message.recipient).bounding_box()["y"]) < 2


def test_invitee_addresses_stay_whole_in_a_table_that_scrolls_on_a_phone(live_db, new_page):
    today = local(utcnow()).date()
    setting = arrange_team(today + timedelta(days=3))
    # Names of their own: the live database is shared with the other journeys, which look for theirs.
    setting.team.name, setting.lab.name = f"Team Breedte {unique()}", f"Field Lab Breedte {unique()}"
    for member in setting.members:
        member.email = LONG_ADDRESS.format(unique())
    return_day = decisions.save_return_day(
        lab=setting.lab, team=setting.team, day_number=50,
        details=decisions.Details(day=today + timedelta(days=40), start=time(10), end=time(16), place="Utrecht",
                                  agenda="Terugblik"),
        by=setting.facilitator, now=utcnow())
    live_db.session.commit()

    page = new_page(viewport={"width": 390, "height": 800})
    log_in(page, setting.facilitator)
    page.goto(f"/terugkomdagen/{return_day.id}")
    checked(page)  # no sideways scrolling of the page; the table says it scrolls and can be reached
    # The section and the table's scrolling region inside it are both called "Genodigden".
    invitees = page.get_by_role("region", name="Genodigden", exact=True).last
    expect(invitees.get_by_text(setting.members[0].email)).to_be_visible()
    assert invitees.evaluate("wrap => wrap.scrollWidth > wrap.clientWidth")  # the table scrolls instead
    # Each address is one line, not "facilita / tor@d / emo.fi…".
    lines = page.locator(".table__email").evaluate_all("spans => spans.map(s => s.getClientRects().length)")
    assert lines and set(lines) == {1}


def test_paging_with_the_keyboard_keeps_the_focus_at_the_top_of_the_new_page(live_db, page, small_pages):
    facilitator = factories.make_user(Role.FACILITATOR, name="Paging Focus Facilitator")
    for number in range(5):
        db.session.add(OutboxMessage(idempotency_key=f"polish:{unique()}", recipient=f"focus{number}@example.org",
                                     subject=f"Focusbericht {number}", body_text="x", body_html="x"))
    live_db.session.commit()
    log_in(page, facilitator)

    page.goto("/uitgaande-berichten/?status=queued")
    checked(page)
    pager = page.get_by_role("navigation", name="Paginering")
    expect(pager).to_contain_text("Pagina 1 van")
    pager.get_by_role("link", name="Volgende").focus()
    page.keyboard.press("Enter")
    expect(pager).to_contain_text("Pagina 2 van")
    count = page.locator("#outbox-list .pager__count")
    expect(count).to_be_focused()
    expect(count).to_contain_text(re.compile(r"^3–4 van \d+ berichten$"))
    # The next Tab goes on inside the new list, not back to the skip link at the top of the page.
    page.keyboard.press("Tab")
    expect(page.get_by_role("region", name="Uitgaande berichten")).to_be_focused()
    checked(page)

    pager.get_by_role("link", name="Vorige").focus()
    page.keyboard.press("Enter")
    expect(pager).to_contain_text("Pagina 1 van")
    expect(count).to_be_focused()


def test_a_search_sent_on_leaving_the_box_cannot_undo_a_sort_click(live_db, page):
    facilitator = factories.make_user(Role.FACILITATOR, name="Sorteer Facilitator")
    commissioner = factories.make_user(Role.COMMISSIONER, name="Sorteer Opdrachtgever")
    marker = f"Sorteer{unique()}"
    for title in ("Charlie", "Alfa", "Bravo"):
        factories.make_problem(commissioner, title=f"{marker} {title}")
    live_db.session.commit()
    log_in(page, facilitator)
    page.goto("/vraagstukken/")
    checked(page)

    # Typed key by key (fill() would send a change event at once): the search while typing goes out,
    # and the form's own search waits until the box is left.
    page.get_by_label("Zoeken", exact=True).press_sequentially(marker)
    results = page.locator("#problems-results")
    expect(page).to_have_url(re.compile(f"q={marker}"))  # the search while typing has landed
    expect(results.get_by_role("link", name="Titel")).to_have_attribute("href", re.compile(f"q={marker}"))
    expect(results).to_contain_text("3 vraagstukken gevonden")

    # The search the form sends when the box loses focus is slow to answer: held until the sort is in.
    held = []

    def hold_searches(route):
        if "sorteer=title" in route.request.url:
            route.continue_()
        else:
            held.append(route)

    page.route(re.compile(r"/vraagstukken/\?"), hold_searches)
    # The sort click cancels the search in flight (hx-sync replace); htmx logs that cancel as an error.
    page.a11y.expected_errors.extend(["htmx:sendAbort", "htmx:afterRequest"])
    page.get_by_role("link", name="Titel").click()  # leaves the search box first: a search goes out
    title_header = page.get_by_role("columnheader", name="Titel")
    expect(title_header).to_have_attribute("aria-sort", "ascending")
    assert held, "leaving the search box sent no search"
    for route in held:  # the late answers arrive (or were cancelled in the browser already)
        with contextlib.suppress(PlaywrightError):
            route.continue_()
    page.unroute(re.compile(r"/vraagstukken/\?"))
    page.wait_for_timeout(500)

    expect(title_header).to_have_attribute("aria-sort", "ascending")
    titles = results.get_by_role("row").locator("td:first-child a").all_inner_texts()
    assert titles == [f"{marker} Alfa", f"{marker} Bravo", f"{marker} Charlie"]
    expect(page).to_have_url(re.compile(r"sorteer=title"))
    checked(page)


def test_the_calendar_button_of_a_date_field_shows_where_the_focus_is(live_db, page):
    commissioner = factories.make_user(Role.COMMISSIONER, name="Datum Opdrachtgever",
                                       organisation=factories.make_organisation(f"Gemeente Datum {unique()}"))
    live_db.session.commit()
    log_in(page, commissioner)
    page.goto("/vraagstukken/nieuw")
    checked(page)

    date_field = page.get_by_label("Gewenste start")
    date_field.focus()
    stops = []
    for _ in range(6):  # day, month, year, the calendar button, then on to the next field
        state = date_field.evaluate("""field => ({
            here: document.activeElement === field, focus: field.matches(':focus'),
            outline: getComputedStyle(field).outlineStyle, shadow: getComputedStyle(field).boxShadow})""")
        if not state["here"]:
            break
        stops.append(state)
        page.keyboard.press("Tab")
    # The button has the focus when the field is the active element but does not match :focus.
    assert any(not stop["focus"] for stop in stops), f"no tab stop on the calendar button: {stops}"
    for stop in stops:
        assert stop["outline"] == "solid" and "255, 182, 18" in stop["shadow"], stop
