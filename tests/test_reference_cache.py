"""Reference lists kept per app process (`fieldlab.reference_cache`): kept while nothing changes,
never served once a watched row changed, in this worker or another, and never with an
uncommitted change in them."""

from flask import g
from flask_babel import force_locale
from sqlalchemy import event, select

from fieldlab import create_app, reference_cache
from fieldlab.expertise import services as expertise
from fieldlab.expertise.models import ExpertiseTag
from fieldlab.extensions import db
from fieldlab.organisations import services as organisations
from fieldlab.organisations.models import Organisation
from fieldlab.problems import listing
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
