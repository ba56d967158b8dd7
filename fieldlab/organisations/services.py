"""The partner organisations: the reference list shipped with the app, and concrete ones added."""

import csv
from importlib import resources

from sqlalchemy import func, select

from fieldlab.audit import services as audit
from fieldlab.extensions import db
from fieldlab.organisations.models import Organisation


def load_reference_list() -> int:
    """Load data/organisations.csv once (first start). Returns how many rows were added."""
    existing = set(db.session.scalars(select(Organisation.name)))
    added = 0
    with resources.files("fieldlab").joinpath("data/organisations.csv").open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if row["name"] in existing:
                continue
            db.session.add(Organisation(
                name=row["name"], short_name=row["short_name"], kind=row["kind"], sector=row["sector"],
                generic="(elke " in row["name"], reference=True,
            ))
            added += 1
    db.session.flush()
    return added


def concrete_organisations() -> list[Organisation]:
    """Organisations a person can belong to: all but the generic kinds."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.generic.is_(False)).order_by(func.lower(Organisation.name))
    ))


def organisation_rows() -> list:
    """Id and name of every concrete organisation, for a select list or a filter. Only the two
    columns: loading the whole reference list as ORM objects on every form and list page cost
    more than the page's other queries together."""
    return db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.generic.is_(False))
        .order_by(func.lower(Organisation.name))
    ).all()


def organisation_choices() -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in organisation_rows()]


def kinds() -> list[tuple[str, str]]:
    """The kinds of the reference list, with the sector each one usually has."""
    rows = db.session.execute(
        select(Organisation.kind, Organisation.sector).where(Organisation.reference.is_(True))
        .distinct().order_by(Organisation.kind)
    )
    return [(kind, sector) for kind, sector in rows]


def name_taken(name: str) -> bool:
    return db.session.scalar(
        select(func.count()).select_from(Organisation).where(func.lower(Organisation.name) == name.strip().lower())
    ) > 0


def add_organisation(*, name: str, short_name: str, kind: str, sector: str, by, now=None) -> Organisation:
    organisation = Organisation(
        name=name.strip(), short_name=(short_name or name).strip()[:60], kind=kind, sector=sector,
        generic=False, reference=False,
    )
    db.session.add(organisation)
    db.session.flush()
    audit.record("organisation_added", actor=by, obj=organisation, now=now)
    return organisation
