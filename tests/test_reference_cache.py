"""Reference lists kept per app process (`fieldlab.reference_cache`): kept while nothing changes,
never served once a watched row changed, in this worker or another, and never with an
uncommitted change in them."""

import re

from flask import g
from flask_babel import force_locale
from sqlalchemy import event, select

from fieldlab import create_app, reference_cache, scale
from fieldlab.auth.models import Role
from fieldlab.expertise import services as expertise
from fieldlab.expertise.models import ExpertiseTag
from fieldlab.extensions import db
from fieldlab.forms import render_field
from fieldlab.organisations import services as organisations
from fieldlab.organisations.models import Organisation
from fieldlab.problems import listing
from fieldlab.problems.forms import ProblemForm
from fieldlab.timeutil import local, utcnow
from tests import factories


def _version() -> int | None:
    return db.session.scalar(select(reference_cache.reference_version.c.version))


def _fresh_context(app):
    """A new app context, as each request in a server gets one (the tests' `app` fixture keeps one)."""
    return app.app_context()


def test_a_change_of_a_watched_row_raises_the_version_in_its_transaction(app):
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    first = _version()
    assert first is not None
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == "Gemeente Almere"))
    organisation.name = "Gemeente Almere-Haven"
    db.session.commit()
    assert _version() == first + 1
    organisation.name = organisation.name  # loaded and set to what it was: no change, no new version
    db.session.commit()
    assert _version() == first + 1
    lab = factories.make_lab(theme="mensenhandel")
    db.session.commit()
    assert _version() == first + 2
    lab.name = "Een andere naam"  # a Lab's name is in no kept list: no new version
    db.session.commit()
    assert _version() == first + 2
    lab.theme = "drugs"
    db.session.rollback()  # rolled back: the change and its number go together
    assert _version() == first + 2


def test_lists_are_kept_while_nothing_changes_and_rebuilt_after_a_change(app):
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    db.session.remove()

    seen = []

    def listener(conn, cursor, statement, *rest):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with _fresh_context(app):
            first = [row.name for row in organisations.organisation_rows()]
        after_first = len(seen)
        with _fresh_context(app):
            again = [row.name for row in organisations.organisation_rows()]
            listing.known_themes()
            listing.known_themes()
        # The second context reads the number (one statement) and builds only the themes.
        assert len(seen) - after_first == 2
        assert again == first == ["Gemeente Almere"]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)

    with _fresh_context(app):
        factories.make_organisation("Gemeente Zwolle")
        db.session.commit()
    with _fresh_context(app):
        assert [row.name for row in organisations.organisation_rows()] == ["Gemeente Almere", "Gemeente Zwolle"]


def test_another_worker_sees_a_change_at_its_next_request(app, database_url, tmp_path):
    """Two apps on one database stand for two gunicorn workers, each with its own kept lists."""
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    db.session.remove()
    other = create_app({**app.config, "INSTANCE_PATH": str(tmp_path / "other")})
    with other.app_context():
        assert [row.name for row in organisations.organisation_rows()] == ["Gemeente Almere"]
    with other.app_context():  # kept: the same list object comes back
        kept = organisations.organisation_rows()
        assert organisations.organisation_rows() is kept

    with _fresh_context(app):  # this worker adds one
        factories.make_organisation("Gemeente Zwolle")
        db.session.commit()

    with other.app_context():
        assert [row.name for row in organisations.organisation_rows()] == ["Gemeente Almere", "Gemeente Zwolle"]
    with other.app_context():
        db.engine.dispose()


def test_an_uncommitted_change_is_never_kept(app):
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    db.session.remove()
    with _fresh_context(app):
        factories.make_organisation("Gemeente Nergenshuizen")
        db.session.flush()
        # Built fresh for this context (it sees its own change) but not kept for others...
        assert "Gemeente Nergenshuizen" in [row.name for row in organisations.organisation_rows()]
        db.session.rollback()
    db.session.remove()
    with _fresh_context(app):  # ...so after the rollback nobody is served it.
        assert [row.name for row in organisations.organisation_rows()] == ["Gemeente Almere"]


def test_translated_lists_are_kept_per_language(app):
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    db.session.remove()
    with app.test_request_context():
        with force_locale("nl"):
            dutch = dict(organisations.kind_choices())
        with force_locale("en"):
            english = dict(organisations.kind_choices())
        with force_locale("nl"):
            assert dict(organisations.kind_choices()) == dutch
    assert dutch["gemeente"] != english["gemeente"]
    assert english["gemeente"].lower() == "municipality"


def test_a_new_theme_or_tag_shows_in_the_suggestions_at_once(app):
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    db.session.remove()
    with _fresh_context(app):
        assert "Vastgoedfraude in de haven" not in listing.known_themes()
        assert "Havenlogistiek" not in expertise.all_labels()
    with _fresh_context(app):
        factories.make_lab(theme="Vastgoedfraude in de haven")
        db.session.add(ExpertiseTag(label="Havenlogistiek", key="havenlogistiek"))
        db.session.commit()
    with _fresh_context(app):
        assert "Vastgoedfraude in de haven" in listing.known_themes()
        assert "Havenlogistiek" in expertise.all_labels()


def test_the_number_is_read_once_per_context(app):
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    db.session.remove()
    with _fresh_context(app):
        organisations.organisation_rows()
        assert g._reference_version == _version()


def test_tags_registered_by_their_core_insert_show_in_the_suggestions_at_once(app):
    """Profiles and vraagstukken register new tags with INSERT ... ON CONFLICT DO NOTHING, which no
    flush sees: the version is raised by hand there."""
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    db.session.remove()
    with _fresh_context(app):
        assert "Havenlogistiek" not in expertise.all_labels()
    with _fresh_context(app):
        assert expertise.store_tags(["Havenlogistiek"]) == ["Havenlogistiek"]
        db.session.commit()
    with _fresh_context(app):
        assert "Havenlogistiek" in expertise.all_labels()


def _page(client, url: str, **post) -> str:
    """A page as a server serves it: in an app context of its own, so the user is loaded and the
    reference version read anew (the tests' client shares the `app` fixture's context and its `g`)."""
    g.pop("_reference_version", None)
    g.pop("_login_user", None)
    response = client.post(url, data=post) if post else client.get(url)
    assert response.status_code == (422 if post else 200)
    return response.get_data(as_text=True)


def _organisation_options(html: str) -> list[tuple[str, bool]]:
    """The Nieuw vraagstuk form's organisations involved: (label, checked) in page order."""
    return [(label, " checked" in attributes) for attributes, label in re.findall(
        r'<input id="organisation_ids-\d+" name="organisation_ids" type="checkbox" value="\d+"([^>]*)>\s*'
        r'<label for="organisation_ids-\d+">([^<]+)</label>', html)]


def test_kept_field_options_follow_a_new_organisation_at_the_next_page(app, client, tmp_path, login_as):
    """The form's organisation options are written once per reference version; a new organisation,
    added by another worker, is on this worker's next form page."""
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    login_as(Role.COMMISSIONER)
    first = _page(client, "/vraagstukken/nieuw")
    assert ("Gemeente Almere", False) in _organisation_options(first)
    again = _page(client, "/vraagstukken/nieuw")
    assert _organisation_options(again) == _organisation_options(first)
    assert any(key[0] == "field-options" for key in app.extensions[reference_cache.EXTENSION_KEY]._entries)

    other = create_app({**app.config, "INSTANCE_PATH": str(tmp_path / "other")})
    with other.app_context():
        factories.make_organisation("Gemeente Zwolle")
        db.session.commit()
        db.engine.dispose()
    after = _page(client, "/vraagstukken/nieuw")
    assert [label for label, _ in _organisation_options(after)] == sorted(
        [label for label, _ in _organisation_options(first)] + ["Gemeente Zwolle"], key=str.lower)


def test_kept_field_options_keep_what_a_person_chose(app, client, login_as):
    """Options written once are the unchosen ones: a form sent back with an error shows this
    person's choices checked, and the next empty form none of them."""
    almere = factories.make_organisation("Gemeente Almere")
    factories.make_organisation("Gemeente Zwolle")
    db.session.commit()
    login_as(Role.COMMISSIONER)
    form = _page(client, "/vraagstukken/nieuw")
    empty = _organisation_options(form)
    assert len(empty) >= 2 and not any(checked for _, checked in empty)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    sent_back = _page(client, "/vraagstukken/nieuw", csrf_token=token, title="", organisation_ids=[str(almere.id)])
    chosen = _organisation_options(sent_back)
    assert [label for label, checked in chosen if checked] == ["Gemeente Almere"]
    assert _organisation_options(_page(client, "/vraagstukken/nieuw")) == empty


def test_kept_select_options_are_per_chosen_value_and_language(app):
    """The kind select with one value chosen, in Dutch and in English: each its own options."""
    factories.make_organisation("Gemeente Almere")  # a reference version to keep them under
    db.session.commit()
    db.session.remove()
    with _fresh_context(app), app.test_request_context("/"):
        with force_locale("nl"):
            form = ProblemForm(formdata=None)
            plain = render_field(form.new_organisation_kind)
            form.new_organisation_kind.data = "gemeente"
            chosen = render_field(form.new_organisation_kind)
            form.new_organisation_kind.data = None
            assert render_field(form.new_organisation_kind) == plain
            assert any(key[0] == "field-options" for key in app.extensions[reference_cache.EXTENSION_KEY]._entries)
        with force_locale("en"):
            english = render_field(ProblemForm(formdata=None).new_organisation_kind)
    assert '<option selected value="gemeente">' in chosen and "selected" not in plain
    assert ">municipality<" in english and ">municipality<" not in plain and ">gemeente<" in plain


def test_labs_written_in_bulk_show_in_the_suggestions_and_raise_the_version_once(app):
    """fieldlab.scale writes with Core INSERTs no flush sees: the build raises the number itself,
    once for all its tables."""
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    db.session.remove()
    with _fresh_context(app):
        assert "Zorgfraude" not in listing.known_themes()
        before = _version()
    with _fresh_context(app):
        scale.add_labs(4, today=local(utcnow()).date())
        db.session.commit()
        assert _version() == before + 1
    with _fresh_context(app):
        assert "Zorgfraude" in listing.known_themes()


def test_a_signed_in_page_reads_the_version_along_with_its_user(app, client, login_as):
    """No statement of its own for the number: the login's query reads it along (on PostgreSQL a
    round trip less on every form and list page), and it is the current number."""
    factories.make_organisation("Gemeente Almere")  # a watched row: the database has a number now
    db.session.commit()
    login_as(Role.COMMISSIONER)
    for url in ("/vraagstukken/nieuw", "/vraagstukken/"):
        _page(client, url)  # the lists are kept from here on
        statements: list[str] = []

        def listener(conn, cursor, statement, *rest, seen=statements):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            _page(client, url)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        reading = [statement for statement in statements if "reference_version" in statement]
        assert len(reading) == 1 and reading[0].lstrip().replace('"', "").startswith("SELECT user.id"), statements
        # What the page kept, it kept under the number the login's query read: the current one.
        assert app.extensions[reference_cache.EXTENSION_KEY]._version == _version() is not None


def _filter_organisations(html: str) -> list[tuple[str, bool]]:
    """The vraagstukken list's organisation filter: (name, selected) in page order."""
    select_html = html.split('id="problems-organisation"', 1)[1].split("</select>", 1)[0]
    return [(name, bool(chosen)) for chosen, name in re.findall(r'<option value="\d+"( selected)?>([^<]+)</option>',
                                                                 select_html)]


def test_kept_filter_options_follow_a_new_organisation_and_keep_the_chosen_one(app, client, tmp_path, login_as):
    almere = factories.make_organisation("Gemeente Almere")
    db.session.commit()
    login_as(Role.COMMISSIONER)
    first = _filter_organisations(_page(client, "/vraagstukken/"))
    assert ("Gemeente Almere", False) in first and not any(chosen for _, chosen in first)
    assert any(key[0] == "filter-options" for key in app.extensions[reference_cache.EXTENSION_KEY]._entries)
    chosen = _filter_organisations(_page(client, f"/vraagstukken/?organisatie={almere.id}"))
    assert [name for name, selected in chosen if selected] == ["Gemeente Almere"]
    assert _filter_organisations(_page(client, "/vraagstukken/")) == first

    other = create_app({**app.config, "INSTANCE_PATH": str(tmp_path / "other")})
    with other.app_context():
        factories.make_organisation("Gemeente Zwolle")
        db.session.commit()
        db.engine.dispose()
    after = _filter_organisations(_page(client, "/vraagstukken/"))
    assert [name for name, _ in after] == sorted([name for name, _ in first] + ["Gemeente Zwolle"], key=str.lower)


def test_made_up_chosen_values_do_not_grow_the_store_without_end(app):
    """A chosen value is part of a kept entry's key (a field's option, a filter's value); a stream
    of made-up ones, sent back on purpose, keeps the store at its bound, and what it answers is
    still right."""
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    db.session.remove()
    store = app.extensions[reference_cache.EXTENSION_KEY]
    with _fresh_context(app), app.test_request_context("/"):
        form = ProblemForm(formdata=None)
        for number in range(reference_cache.MAX_ENTRIES * 2 + 1):
            form.new_organisation_kind.data = f"verzonnen-{number}"
            render_field(form.new_organisation_kind)
            assert len(store._entries) <= reference_cache.MAX_ENTRIES
        form.new_organisation_kind.data = "gemeente"
        assert '<option selected value="gemeente">' in render_field(form.new_organisation_kind)


def test_radio_buttons_fixed_in_the_code_are_kept_per_chosen_value_and_language(app):
    """The vraagstuk's confidentiality and suitability questions: options written once per
    language and chosen value, each the same as written anew."""
    factories.make_organisation("Gemeente Almere")  # a reference version to keep them under
    db.session.commit()
    db.session.remove()
    store = app.extensions[reference_cache.EXTENSION_KEY]
    with _fresh_context(app), app.test_request_context("/"):
        written = {}
        for locale in ("nl", "en"):
            with force_locale(locale):
                for chosen in (None, "intern", "vertrouwelijk", None):
                    form = ProblemForm(formdata=None)
                    form.confidentiality.data = chosen
                    written[locale, chosen] = render_field(form.confidentiality)
        kept = [key for key in store._entries if key[0] == "field-options" and key[3] == "confidentiality"]
        assert len(kept) == 6, kept
        with force_locale("en"):
            form = ProblemForm(formdata=None)
            form.confidentiality.data = "vertrouwelijk"
            store._entries.clear()
            assert render_field(form.confidentiality) == written["en", "vertrouwelijk"]
    assert re.findall(r'value="(\w+)" checked', written["nl", "vertrouwelijk"]) == ["vertrouwelijk"]
    assert re.findall(r'value="(\w+)" checked', written["en", "intern"]) == ["intern"]
    assert " checked" not in written["nl", None]
    assert ">vertrouwelijk<" in written["nl", None] and ">confidential<" in written["en", None]


def _form_body(html: str) -> str:
    """The Nieuw vraagstuk form between its CSRF token and its end."""
    return re.search(r'name="csrf_token" type="hidden" value="[^"]+">(.*)</form>', html, re.S).group(1)


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _blank_form_entries(app) -> list:
    return [key for key in app.extensions[reference_cache.EXTENSION_KEY]._entries if key[0] == "blank-problem-form"]


def test_the_empty_form_is_kept_once_per_language_and_each_person_keeps_their_own_token(app, client, login_as,
                                                                                        auth):
    """The empty Nieuw vraagstuk form is the same HTML for every opdrachtgever: rendered once, in
    their language, while the CSRF token in the page is each session's own and is accepted."""
    tilburg, bank = factories.make_organisation("Gemeente Tilburg"), factories.make_organisation("ING")
    db.session.commit()
    login_as(Role.COMMISSIONER, organisation=tilburg)
    first = _page(client, "/vraagstukken/nieuw")
    assert len(_blank_form_entries(app)) == 1
    auth.logout()
    login_as(Role.COMMISSIONER, organisation=bank)
    second = _page(client, "/vraagstukken/nieuw")
    assert _form_body(second) == _form_body(first) and len(_blank_form_entries(app)) == 1
    assert _csrf_token(second) != _csrf_token(first)
    assert client.post("/taal", data={"locale": "en", "next": "/"}).status_code in (302, 303)
    english = _page(client, "/vraagstukken/nieuw")
    assert "Organisations involved" in _form_body(english) and "Betrokken organisaties" not in _form_body(english)
    assert len(_blank_form_entries(app)) == 2

    draft = {"title": "Ondermijning", "staff_offered": "0", "confidentiality": "intern", "new_organisation_kind": "",
             "action": "draft"}
    assert client.post("/vraagstukken/nieuw", data={**draft, "csrf_token": _csrf_token(first)}).status_code != 303
    response = client.post("/vraagstukken/nieuw", data={**draft, "csrf_token": _csrf_token(second)})
    assert response.status_code == 303, re.findall(r'field__error[^>]*>([^<]+)', response.get_data(as_text=True))


def test_the_kept_empty_form_shows_a_new_organisation_theme_and_tag_at_the_next_page(app, client, tmp_path,
                                                                                    login_as):
    """What the form offers comes from the reference lists: a change to one of them, made by
    another worker, is on this worker's next empty form."""
    factories.make_organisation("Gemeente Almere")
    db.session.commit()
    user = login_as(Role.COMMISSIONER)
    before = _form_body(_page(client, "/vraagstukken/nieuw"))
    assert "Gemeente Zwolle" not in before and "havenlogistiek" not in before and "containerscan" not in before

    other = create_app({**app.config, "INSTANCE_PATH": str(tmp_path / "other")})
    with other.app_context():
        factories.make_organisation("Gemeente Zwolle")
        factories.make_problem(db.session.get(type(user), user.id), theme="havenlogistiek")
        expertise.store_tags(["containerscan"])
        db.session.commit()
        db.engine.dispose()
    after = _form_body(_page(client, "/vraagstukken/nieuw"))
    assert ">Gemeente Zwolle</label>" in after
    assert '<option value="havenlogistiek"></option>' in after
    assert '<option value="containerscan"></option>' in after
