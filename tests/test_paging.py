"""Every list pages the same way (fieldlab/paging.py and macros/pagination.html): plain links with
the filters kept, "Pagina 2 van 3", first and last, a page past the end shows the last page, and
an accessible <nav>. PAGE_SIZE is 2 here, so a few Labs of `fieldlab.scale` fill several pages."""

import gc
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from fieldlab import paging, scale
from fieldlab.auth.models import Role, User
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.paging import paginate, paginate_sequence
from fieldlab.speedlabs import preparing
from tests import factories

LISTS = [
    "/borden", "/terugkomdagen", "/evaluaties/", "/labs", "/logboek/", "/uitgaande-berichten/", "/accounts",
    "/organisaties/", "/alumni", "/speedlabs/", "/privacy/",
]


@pytest.fixture
def app_config():
    return {"PAGE_SIZE": 2}


@pytest.fixture
def facilitator(app, login_as, now, today):

    user = login_as(Role.FACILITATOR, name="Fenna Facilitator")
    scale.add_labs(3, today=today, facilitator=user)
    for number in range(3):
        preparing.create_session(
            title=f"Speedlab {number}", question="Hoe dan?", context="", by=user, now=now,
            starts_at=now + timedelta(days=3 + number), ends_at=now + timedelta(days=3 + number, hours=2),
            place="Utrecht", online_url="", seats=10, dots_per_participant=3, problem=None)
    db.session.commit()
    return user


def pager_of(body: str) -> str:
    navs = re.findall(r'<nav class="pager".*?</nav>', body, re.S)
    assert navs, "no pager on the page"
    return navs[0]


@pytest.mark.parametrize("url", LISTS)
def test_every_list_pages_with_plain_links(client, facilitator, url):
    first = client.get(url)
    assert first.status_code == 200
    nav = pager_of(first.get_data(as_text=True))
    assert 'aria-label="' in nav
    pages = int(re.search(r"Pagina 1 van (\d+)", nav).group(1))
    assert pages >= 2
    next_link = re.search(r'<a href="([^"]+)" rel="next"', nav).group(1).replace("&amp;", "&")

    second = client.get(next_link)
    assert second.status_code == 200
    nav = pager_of(second.get_data(as_text=True))
    assert f"Pagina 2 van {pages}" in nav and 'rel="prev"' in nav


def test_filters_stay_in_the_page_links(client, facilitator):
    body = client.get("/logboek/?actie=login&wie=deelnemer").get_data(as_text=True)
    nav = pager_of(body)
    assert "actie=login" in nav and "wie=deelnemer" in nav and "pagina=2" in nav
    assert "van=" not in nav  # empty filters are left out
    assert 'hx-get="' in nav and 'hx-push-url="true"' in nav and 'hx-select="#audit-list"' in nav


def test_a_page_past_the_end_shows_the_last_page_and_nonsense_the_first(client, facilitator):
    last = client.get("/logboek/?pagina=99999").get_data(as_text=True)
    assert re.search(r"Pagina (\d+) van \1", pager_of(last))
    assert "Volgende" not in pager_of(last) and "Eerste" in pager_of(last)
    for nonsense in ("-3", "abc", "99999999999999999999"):
        assert "Pagina 1 van" in pager_of(client.get(f"/logboek/?pagina={nonsense}").get_data(as_text=True))


def test_empty_lists_say_so(client, login_as):
    login_as(Role.FACILITATOR)
    assert "Er zijn nog geen Labs. Maak het eerste aan." in client.get("/labs").get_data(as_text=True)
    assert "Niemand gevonden met" in client.get("/privacy/?zoek=niemand-zo-genaamd").get_data(as_text=True)
    assert "Geen accounts gevonden met" in client.get("/accounts?zoek=niemand-zo-genaamd").get_data(as_text=True)


def test_people_are_found_by_part_of_name_or_address(client, facilitator):
    someone = db.session.scalar(select(User).where(User.name.like("Deelnemer %-07")))
    body = client.get(f"/accounts?zoek={someone.email[:8].upper()}").get_data(as_text=True)
    assert someone.name in body
    body = client.get(f"/privacy/?zoek={someone.name}").get_data(as_text=True)
    assert f"/privacy/persoon?persoon={someone.id}" in body


def test_logboek_filters_on_a_person_by_typing(client, facilitator):
    body = client.get("/logboek/?wie=Deelnemer").get_data(as_text=True)
    assert "Deelnemer" in body.split("<tbody>", 1)[1]
    assert "Geen regels gevonden." in client.get("/logboek/?wie=niemand-zo-genaamd").get_data(as_text=True)


def test_paginate_counts_clamps_and_orders(app):
    for number in range(5):
        factories.make_lab(name=f"Lab {number}")
    query = select(Lab).order_by(Lab.name, Lab.id)
    page = paginate(query, page=3, per_page=2)
    assert [lab.name for lab in page] == ["Lab 4"] and page.total == 5 and page.pages == 3
    assert (page.first, page.last, page.has_next, page.prev_num) == (5, 5, False, 2)
    assert paginate(query, page=40, per_page=2).page == 3
    empty = paginate(select(Lab).where(Lab.id < 0), page=2, per_page=2)
    assert (empty.page, empty.pages, empty.total, empty.first, bool(empty)) == (1, 1, 0, 0, False)
    assert paginate_sequence(list(range(7)), page=2, per_page=3).items == [3, 4, 5]


def test_a_statement_built_once_is_counted_and_paged_by_the_same_statements_every_time(app):
    """The count and the page of a statement are built once per statement object, with the page
    as parameters: every page of it is still its own, and a statement built per request (with
    filters) leaves nothing behind once it is gone."""
    for number in range(5):
        factories.make_lab(name=f"Lab {number}")
    built_once = select(Lab).order_by(Lab.name, Lab.id)
    pages = [[lab.name for lab in paginate(built_once, page=number, per_page=2)] for number in (1, 2, 3, 2)]
    assert pages == [["Lab 0", "Lab 1"], ["Lab 2", "Lab 3"], ["Lab 4"], ["Lab 2", "Lab 3"]]
    assert paging._count_and_rows(built_once) is paging._count_and_rows(built_once)
    assert paginate(built_once, page=1, per_page=10).total == 5

    before = len(paging._PAGED)
    filtered = built_once.where(Lab.name != "Lab 0")
    assert [lab.name for lab in paginate(filtered, page=2, per_page=3)] == ["Lab 4"]
    assert len(paging._PAGED) == before + 1
    del filtered
    gc.collect()
    assert len(paging._PAGED) == before
