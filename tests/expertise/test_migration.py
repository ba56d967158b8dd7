"""The migration that introduced expertise tags normalises the tags already stored."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from fieldlab.auth.models import Role
from fieldlab.expertise.models import ExpertiseTag
from fieldlab.extensions import db
from fieldlab.labs.models import ParticipantProfile
from fieldlab.problems.models import Problem
from tests import factories
from tests.conftest import make_test_app
from tests.test_setup import empty_postgresql_database  # noqa: F401 (a fixture)

# The revision just before the expertise-tag migration: downgrading to it undoes that one alone.
BEFORE = "64efe1e11c9b"


def test_stored_tags_get_one_spelling_per_key(tmp_path):
    check_migration(make_test_app(f"sqlite:///{tmp_path / 'fieldlab.sqlite'}", tmp_path))


def test_stored_tags_get_one_spelling_per_key_on_postgresql(empty_postgresql_database, tmp_path):  # noqa: F811
    check_migration(make_test_app(empty_postgresql_database, tmp_path))


def check_migration(app):
    with app.app_context():
        upgrade()
        commissioner = factories.make_user(Role.COMMISSIONER, organisation=factories.make_organisation())
        problem = factories.make_problem(commissioner, expertise_needed=["Juridisch", "vastgoed", "JURIDISCH"])
        person = factories.make_user(Role.PARTICIPANT, level="policy", expertise=("juridisch ", "Vastgoed", "Zorg", "zórg"))
        problem_id, person_id = problem.id, person.id
        db.session.commit()
        db.session.close()  # no transaction of ours may hold a lock while the migration drops tables
        downgrade(revision=BEFORE)
        upgrade()
        db.session.expire_all()
        assert db.session.get(Problem, problem_id).expertise_needed == ["Juridisch", "vastgoed"]
        assert db.session.get(ParticipantProfile, person_id).expertise == ["Juridisch", "vastgoed", "Zorg"]
        rows = db.session.execute(select(ExpertiseTag.key, ExpertiseTag.label).order_by(ExpertiseTag.key)).all()
        assert [tuple(row) for row in rows] == [("juridisch", "Juridisch"), ("vastgoed", "vastgoed"),
                                                ("zorg", "Zorg")]
        db.session.remove()
        db.engine.dispose()
