"""The vraagstukken list keeps what is the same for many readers: each row under its values and the
language, the sortable column heads under the filters and the language, and the search and filter
form under the filters and the reference lists it offers. What a reader sees must stay exactly what
a list written anew would show."""

import re

from flask import g

from fieldlab import create_app, fragments, reference_cache
from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.problems import services
from fieldlab.problems.models import ProblemStatus
from tests import factories
from tests.conftest import Auth

RESULTS = {"HX-Request": "true", "HX-Target": "problems-results"}


def _page(client, url: str, headers=None) -> str:
    g.pop("_reference_version", None)  # read anew, as in a request of a server of its own
    g.pop("_login_user", None)
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _row(html: str, problem_id: int) -> str:
    match = re.search(rf'<tr id="problems-row-{problem_id}">.*?</tr>', html, re.S)
    assert match, html[:300]
    return match.group(0)


def _head(html: str) -> str:
    match = re.search(r"<thead>.*?</thead>", html, re.S)
    assert match
    return match.group(0)


def test_the_column_heads_are_kept_per_filters_and_written_anew_for_a_search(login_as, client, make):
    """Each head links to its sort with the other filters kept; another sort or filter is another
    head, and a search text (part of every link) is never kept."""
    commissioner = login_as(Role.COMMISSIONER)
    make.make_problem(commissioner, title="Drugslabs in schuren", theme="drugs")
    db.session.commit()
    plain = _head(_page(client, "/vraagstukken/"))
    assert 'aria-sort="descending"' in plain and "sorteer=submitted&amp;richting=asc" in plain
    store = fragments.cache()
    hits = store.hits
    assert _head(_page(client, "/vraagstukken/")) == plain
    assert store.hits == hits + 2  # the row and the heads

    by_title = _head(_page(client, "/vraagstukken/?sorteer=title&richting=asc"))
    assert by_title != plain and "sorteer=title&amp;richting=desc" in by_title
    themed = _head(_page(client, "/vraagstukken/?thema=drugs"))
    assert "thema=drugs" in themed and "thema=drugs" not in plain
    misses = store.misses
    searched = _head(_page(client, "/vraagstukken/?q=schuren"))
    again = _head(_page(client, "/vraagstukken/?q=schuren"))
    assert searched == again and "q=schuren" in searched
    assert store.misses == misses  # written anew, not looked up (the row was kept before)


def _filter_form(html: str) -> str:
    match = re.search(r'<form class="filters problems-filters".*?</form>', html, re.S)
    assert match
    return match.group(0)


def test_rows_are_kept_and_a_changed_row_is_written_anew(login_as, client, make):
    commissioner = login_as(Role.COMMISSIONER)
    drugs = make.make_problem(commissioner, title="Drugslabs in schuren", status=ProblemStatus.DRAFT)
    money = make.make_problem(commissioner, title="Witwassen via vastgoed")
    db.session.commit()
    first = _page(client, "/vraagstukken/")
    store = fragments.cache()
    hits = store.hits
    again = _page(client, "/vraagstukken/")
    assert again == first
    assert store.hits == hits + 3  # both rows and the column heads

    drugs.title = "Drugslabs in schuren en stallen"
    db.session.commit()
    changed = _page(client, "/vraagstukken/")
    assert "Drugslabs in schuren en stallen" in _row(changed, drugs.id)
    assert _row(changed, money.id) == _row(first, money.id)

    facilitator = factories.make_user(Role.FACILITATOR)
    services.ask_question(money, "Hoeveel adressen?", by=facilitator)
    db.session.commit()
    asked = _row(_page(client, "/vraagstukken/"), money.id)
    assert "open vraag" in asked and "open vraag" not in _row(first, money.id)
    # The results fragment that the search swaps in has the same rows.
    assert _row(_page(client, "/vraagstukken/", RESULTS), money.id) == asked


def test_a_kept_row_is_the_same_for_every_reader_and_in_their_language(app, login_as, client, make):
    commissioner = login_as(Role.COMMISSIONER)
    problem = make.make_problem(commissioner, title="Huisjesmelkers", theme="vastgoed")
    facilitator = factories.make_user(Role.FACILITATOR)
    db.session.commit()
    mine = _row(_page(client, "/vraagstukken/"), problem.id)
    hub = app.test_client()
    Auth(hub).login(facilitator)
    assert _row(_page(hub, "/vraagstukken/"), problem.id) == mine
    assert "ingediend" in mine.lower()
    facilitator.locale = "en"
    db.session.commit()
    english = _row(_page(hub, "/vraagstukken/"), problem.id)
    assert ">submitted<" in english and english != mine


def test_the_filter_form_is_kept_per_filters_and_language_but_not_with_a_search_text(app, login_as, client):
    login_as(Role.COMMISSIONER)
    plain = _filter_form(_page(client, "/vraagstukken/"))
    assert "selected" not in plain.split('id="problems-status"', 1)[1].split("</select>", 1)[0]
    submitted = _filter_form(_page(client, "/vraagstukken/?status=submitted&sorteer=title&richting=asc"))
    assert '<option value="submitted" selected>' in submitted
    assert 'name="sorteer" value="title"' in submitted and 'name="richting" value="asc"' in submitted
    assert "Filters wissen" in submitted and "Filters wissen" not in plain
    assert _filter_form(_page(client, "/vraagstukken/")) == plain

    kept = [key for key in app.extensions[reference_cache.EXTENSION_KEY]._entries if key[0] == "problems-filters"]
    searched = _filter_form(_page(client, "/vraagstukken/?q=schuren"))
    assert 'value="schuren"' in searched and "Filters wissen" in searched
    assert [key for key in app.extensions[reference_cache.EXTENSION_KEY]._entries
            if key[0] == "problems-filters"] == kept  # free text is nobody's key

    client.post("/taal", data={"locale": "en", "next": "/vraagstukken/"})
    english = _filter_form(_page(client, "/vraagstukken/"))
    assert "All statuses" in english and "Alle statussen" in plain


def test_a_theme_first_used_by_another_worker_is_offered_on_the_next_page(app, login_as, client, tmp_path):
    commissioner = login_as(Role.COMMISSIONER)
    db.session.commit()
    assert ">zorgfraude<" not in _filter_form(_page(client, "/vraagstukken/"))
    other = create_app({**app.config, "INSTANCE_PATH": str(tmp_path / "other")})
    with other.app_context():
        factories.make_problem(db.session.get(type(commissioner), commissioner.id), title="Zorgcowboys",
                               theme="zorgfraude")
        db.session.commit()
        db.engine.dispose()
    assert ">zorgfraude<" in _filter_form(_page(client, "/vraagstukken/"))
