"""The data migration that brings an existing database in step with the reference list of issue 20:
the ten RIECs added once (also next to one typed by hand), the generic RIEC renamed and marked a
kind, "Ondernemer" and "Wetenschap" marked kinds; running it again changes nothing."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, stamp, upgrade
from sqlalchemy import func, insert, select

from fieldlab.auth.models import User
from fieldlab.extensions import db
from fieldlab.organisations.models import Organisation
from fieldlab.organisations.services import load_reference_list, reference_rows
from tests.conftest import make_test_app
from tests.test_setup import empty_postgresql_database  # noqa: F401 (a fixture)

BEFORE = "a0495c70f162"
REVISION = "3b7e20c4d1a9"
OLD_RIEC = "Regionaal Informatie- en Expertisecentrum"
GENERIC_RIEC = "Regionaal Informatie- en Expertisecentrum (elk RIEC)"
OLD_USER = sa.table("user", *(sa.column(name) for name in (
    "id", "email", "name", "organisation_id", "locale", "active", "session_token", "created_at", "password_version")))


def test_riecs_are_added_once_on_sqlite(tmp_path):
    check_migration(make_test_app(f"sqlite:///{tmp_path / 'fieldlab.sqlite'}", tmp_path))


def test_riecs_are_added_once_on_postgresql(empty_postgresql_database, tmp_path):  # noqa: F811
    check_migration(make_test_app(empty_postgresql_database, tmp_path))


def count(name) -> int:
    return db.session.scalar(select(func.count()).select_from(Organisation)
                             .where(func.lower(Organisation.name) == name.lower()))


def state() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.short_name, Organisation.kind, Organisation.generic,
               Organisation.reference).order_by(Organisation.id))]


def check_migration(app):
    with app.app_context():
        upgrade(revision=BEFORE)
        # The database as the previous release left it: the old reference rows, and a RIEC someone typed.
        for row in reference_rows():
            if row["name"].startswith("RIEC ") or row["name"] == GENERIC_RIEC:
                continue
            db.session.add(Organisation(name=row["name"], short_name=row["short_name"], kind=row["kind"],
                                        sector=row["sector"], generic="(elke " in row["name"], reference=True))
        old_riec = Organisation(name=OLD_RIEC, short_name="RIEC", kind="netwerk", sector="publiek", generic=False,
                                reference=True)
        by_hand = Organisation(name="Riec Rotterdam", short_name="Rotterdam", kind="netwerk", sector="publiek",
                               generic=False, reference=False)
        db.session.add_all([old_riec, by_hand])
        db.session.flush()
        # A person at the hand-typed RIEC, written as the old schema has it (the models may have moved on).
        db.session.execute(insert(OLD_USER).values(
            email="persoon@example.org", name="Persoon", organisation_id=by_hand.id, locale="nl", active=True,
            session_token="t" * 32, created_at=datetime.now(UTC), password_version=0))
        member_id = db.session.scalar(select(OLD_USER.c.id).where(OLD_USER.c.email == "persoon@example.org"))
        old_riec_id, by_hand_id = old_riec.id, by_hand.id
        db.session.commit()
        db.session.close()

        upgrade()
        after_first = state()
        assert count(OLD_RIEC) == 0 and count(GENERIC_RIEC) == 1
        generic_riec = db.session.get(Organisation, old_riec_id)
        assert (generic_riec.name, generic_riec.generic) == (GENERIC_RIEC, True)
        for region in ["Amsterdam", "Den Haag", "Limburg", "Midden-Nederland", "Noord-Holland", "Noord-Nederland",
                       "Oost-Brabant", "Oost-Nederland", "Rotterdam", "Zeeland-West-Brabant"]:
            assert count(f"RIEC {region}") == 1, region
        rotterdam = db.session.get(Organisation, by_hand_id)
        assert (rotterdam.reference, rotterdam.generic, rotterdam.kind) == (True, False, "netwerk")
        assert db.session.get(User, member_id).organisation_id == by_hand_id, "people keep their RIEC"
        kinds = set(db.session.scalars(select(Organisation.name).where(Organisation.generic.is_(True))))
        assert kinds == {row["name"] for row in reference_rows() if row["generic"]}
        assert load_reference_list() == 0, "the database is in step with the CSV"
        db.session.rollback()
        db.session.close()

        stamp(revision=BEFORE)  # run the data migration a second time over its own result
        upgrade(revision=REVISION)
        stamp(revision="head")
        assert state() == after_first

        downgrade(revision=BEFORE)
        assert count(OLD_RIEC) == 1 and count(GENERIC_RIEC) == 0
        assert db.session.scalar(select(Organisation.generic).where(Organisation.name == "Ondernemer")) is False
        db.session.close()
        upgrade()
        assert state() == after_first
        db.session.remove()
        db.engine.dispose()
