"""HTML the Nu checker would refuse, caught without a browser on every page a role can open: ids
used twice (the CSRF field on pages with several forms), `<time datetime>` with microseconds,
required selects whose first option is a real choice, heading levels that skip. The browser
journeys run the checker itself (tests/browser/html_checker.py)."""

import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from fieldlab.auth.models import Role
from tests.test_web import get_pages


class PageStructure(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = Counter()
        self.times = []
        self.headings = []
        self.required_selects = []  # (select id, first option's value)
        self._select = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids[attributes["id"]] += 1
        if tag == "time" and "datetime" in attributes:
            self.times.append(attributes["datetime"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "select" and "required" in attributes and "multiple" not in attributes:
            self._select = attributes.get("id") or attributes.get("name")
        elif tag == "option" and self._select is not None:
            self.required_selects.append((self._select, attributes.get("value")))
            self._select = None

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def structure(html: str) -> PageStructure:
    parser = PageStructure()
    parser.feed(html)
    return parser


def problems_of(html: str) -> list[str]:
    page = structure(html)
    problems = [f"id {name!r} used {count} times" for name, count in page.ids.items() if count > 1]
    problems += [f"datetime {value!r}" for value in page.times
                 if re.search(r"\.\d{4,}", value)]
    problems += [f"required select {name!r} starts with a real option {value!r}"
                 for name, value in page.required_selects if value not in ("", None)]
    previous = 0
    for level in page.headings:
        if level > previous + 1:
            problems.append(f"h{previous} followed by h{level}")
        previous = level
    return problems


def test_the_checks_catch_what_the_issue_found():
    html = ('<h1>a</h1><h3>b</h3><input id="csrf_token"><input id="csrf_token">'
            '<time datetime="2026-11-04T21:49:34.072791+00:00">x</time>'
            '<select id="kind" required><option value="grade">Cijfer</option></select>')
    assert len(problems_of(html)) == 4


@pytest.mark.parametrize("role", [None, *Role])
def test_every_page_a_role_opens_is_free_of_these_errors(app, client, login_as, role):
    if role is not None:
        login_as(role)
    found = {}
    for path in get_pages(app):
        response = client.get(path)
        if response.mimetype != "text/html":  # a download (the inzage PDF) is no page
            continue
        html = response.get_data(as_text=True)
        if response.status_code == 200 and "<html" in html:  # pages, not fragments
            problems = problems_of(html)
            if problems:
                found[path] = problems
    assert found == {}


def test_a_page_with_several_forms_has_no_csrf_id(client, login_as):
    login_as(Role.PARTICIPANT)

    page = client.get("/account").get_data(as_text=True)

    assert page.count('name="csrf_token"') > 1
    assert 'id="csrf_token"' not in page


def test_the_menu_folds_behind_a_button_that_names_the_current_section(client, login_as):
    login_as(Role.PARTICIPANT)

    html = client.get("/account").get_data(as_text=True)

    summary = re.search(r"<summary class=\"site-nav__toggle\">(.*?)</summary>", html, re.S).group(1)
    assert "Menu" in summary and "Mijn account" in summary
    assert re.search(r"<details class=\"site-nav__menu\">\s*<summary", html)
