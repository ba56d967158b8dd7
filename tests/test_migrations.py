"""Every migration can be undone: upgrade to head, downgrade step by step to base (an empty database
again), upgrade to head once more and compare with the models, on SQLite and on PostgreSQL. A
downgrade that fails or leaves a table behind would strand anyone rolling a release back."""

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from fieldlab.extensions import db
from tests.conftest import make_test_app
from tests.test_setup import empty_postgresql_database, schema_differences  # noqa: F401 (a fixture)


def revisions(app) -> list[str]:
    """The revisions from base to head, in order."""
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions("base", "heads")))]


def tables(app) -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version", "apscheduler_jobs"}


def round_trip(app):
    with app.app_context():
        steps = revisions(app)
        assert len(steps) >= 2
        upgrade()
        assert tables(app) == set(db.metadata.tables)
        # Down one revision at a time, so a failing step names itself.
        for revision in reversed(steps):
            downgrade(revision="-1")
            assert db.session.connection().exec_driver_sql(
                "SELECT count(*) FROM alembic_version").scalar() == (0 if revision == steps[0] else 1), revision
            db.session.commit()
        assert tables(app) == set()
        db.session.remove()
    assert schema_differences(app) == []


@pytest.mark.timeout(600)
def test_migrations_downgrade_to_base_and_upgrade_again_on_sqlite(tmp_path):
    instance = tmp_path / "instance"
    app = make_test_app(f"sqlite:///{instance / 'fieldlab.sqlite'}", instance)
    try:
        round_trip(app)
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.timeout(600)
def test_migrations_downgrade_to_base_and_upgrade_again_on_postgresql(empty_postgresql_database, tmp_path):  # noqa: F811
    app = make_test_app(empty_postgresql_database, tmp_path / "instance")
    try:
        round_trip(app)
    finally:
        with app.app_context():
            db.engine.dispose()
