"""The Nu HTML checker the journeys run: it finds real errors and lets only htmx's hx-* through, so
a green journey means valid HTML and not a checker that never looked."""

import pytest

from tests.browser import html_checker

PAGE = """<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>t</title></head><body>
<form method="post" hx-post="/x" hx-target="#a"><input type="hidden" name="csrf_token" id="csrf_token" value="1"></form>
<form method="post"><input type="hidden" name="csrf_token" id="csrf_token" value="1"></form>
<p><time datetime="2026-11-04T21:49:34.072791+00:00">4 november</time></p>
<label for="s">Soort</label><select id="s" name="s" required><option value="a">A</option></select>
</body></html>"""


@pytest.fixture
def pages(tmp_path):
    reason = html_checker.missing_reason()
    if reason:
        if html_checker.required():
            pytest.fail(f"the Nu HTML checker is required but {reason}")
        pytest.skip(reason)
    return html_checker.HtmlPages(tmp_path)


def test_the_checker_reports_what_the_issue_found_and_passes_htmx_attributes(pages):
    pages.add("http://fieldlab.test/page", PAGE)

    errors = "\n".join(pages.errors())

    assert "http://fieldlab.test/page" in errors
    assert "Duplicate ID “csrf_token”" in errors
    assert "A fraction of a second must be one, two, or three digits" in errors
    assert "must have either an empty “value” attribute" in errors
    assert "hx-" not in errors


def test_a_valid_page_gives_no_errors(pages):
    pages.add("http://fieldlab.test/ok", PAGE.split("<form")[0] + "<p hx-get='/x'>ok</p></body></html>")

    assert pages.errors() == []
