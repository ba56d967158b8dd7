"""reference organisations: the ten regional RIECs by name, kinds marked as kinds

Data only. Brings an existing database in step with data/organisations.csv of this release:
- the generic row "Regionaal Informatie- en Expertisecentrum" becomes "... (elk RIEC)", a kind;
- the ten RIECs are added, unless one is already there under its name (someone typed "RIEC Rotterdam"
  by hand): that row is kept, with everything linked to it, and becomes the reference row;
- "Ondernemer" and "Universiteit of hogeschool (wetenschap)" are marked as kinds, like the "(elke …)" rows.
Idempotent: a second run finds everything in place and changes nothing. The rows are copied here on
purpose: a migration must not change when the app's CSV does.

Revision ID: 3b7e20c4d1a9
Revises: a0495c70f162
Create Date: 2026-12-05 01:20:00

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7e20c4d1a9'
down_revision = 'a0495c70f162'
branch_labels = None
depends_on = None

OLD_RIEC = "Regionaal Informatie- en Expertisecentrum"
GENERIC_RIEC = "Regionaal Informatie- en Expertisecentrum (elk RIEC)"
RIECS = ["Amsterdam", "Den Haag", "Limburg", "Midden-Nederland", "Noord-Holland", "Noord-Nederland",
         "Oost-Brabant", "Oost-Nederland", "Rotterdam", "Zeeland-West-Brabant"]
NEW_KINDS = ["Ondernemer", "Universiteit of hogeschool (wetenschap)"]

organisation = sa.table(
    "organisation",
    sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("short_name", sa.String),
    sa.column("kind", sa.String), sa.column("sector", sa.String), sa.column("generic", sa.Boolean),
    sa.column("reference", sa.Boolean),
)


def _key(text):
    return re.sub(r"[\W_]+", "", (text or "").casefold())


def _rows(connection):
    return connection.execute(sa.select(organisation.c.id, organisation.c.name, organisation.c.short_name,
                                        organisation.c.generic)).all()


def upgrade():
    connection = op.get_bind()
    rows = _rows(connection)
    names = {row.name for row in rows}
    if OLD_RIEC in names and GENERIC_RIEC not in names:
        connection.execute(organisation.update().where(organisation.c.name == OLD_RIEC)
                           .values(name=GENERIC_RIEC, generic=True))
    elif GENERIC_RIEC in names:
        connection.execute(organisation.update().where(organisation.c.name == GENERIC_RIEC).values(generic=True))
    connection.execute(organisation.update().where(organisation.c.name.in_(NEW_KINDS)).values(generic=True))

    rows = _rows(connection)
    for region in RIECS:
        name = f"RIEC {region}"
        found = next((row for row in rows if not row.generic and _key(row.name) == _key(name)), None) or \
            next((row for row in rows if not row.generic and _key(row.short_name) == _key(name)), None)
        if found is None:
            connection.execute(organisation.insert().values(
                name=name, short_name=name, kind="netwerk", sector="publiek", generic=False, reference=True))
        else:
            connection.execute(organisation.update().where(organisation.c.id == found.id)
                               .values(kind="netwerk", sector="publiek", reference=True))


def downgrade():
    """Takes back the name of the generic RIEC and the marks. The ten RIEC rows stay: people,
    vraagstukken and signals may refer to them by now, and deleting them would lose who belongs
    where; the older code shows them as ordinary organisations, and upgrading again adopts them."""
    connection = op.get_bind()
    connection.execute(organisation.update().where(organisation.c.name.in_(NEW_KINDS)).values(generic=False))
    names = {row.name for row in _rows(connection)}
    if GENERIC_RIEC in names and OLD_RIEC not in names:
        connection.execute(organisation.update().where(organisation.c.name == GENERIC_RIEC)
                           .values(name=OLD_RIEC, generic=False))
