"""expertise tags: one spelling per tag; stored tags of profiles and vraagstukken normalised

Creates expertise_tag (canonical key, the spelling shown, merged into) and rewrites the tags stored
in participant_profile.expertise and problem.expertise_needed: per canonical key (case, accents,
punctuation and spaces do not count) the first spelling met is kept, duplicates are dropped.
The key function is copied here on purpose: a migration must not change when app code does.

Revision ID: a0495c70f162
Revises: 64efe1e11c9b
Create Date: 2026-12-04 22:00:00

"""
import json
import re
import unicodedata
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a0495c70f162'
down_revision = '64efe1e11c9b'
branch_labels = None
depends_on = None

_WORDS = re.compile(r"[^\W_]+")


def _label(text):
    return " ".join((text or "").split())[:60]


def _key(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(_WORDS.findall(bare))[:60]


def _load(value):
    if value is None:
        return []
    if isinstance(value, str):
        value = json.loads(value)
    return [str(tag) for tag in value or []]


def upgrade():
    op.create_table(
        'expertise_tag',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('label', sa.String(length=60), nullable=False),
        sa.Column('merged_into_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merged_into_id'], ['expertise_tag.id'],
                                name=op.f('fk_expertise_tag_merged_into_id_expertise_tag'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expertise_tag')),
        sa.UniqueConstraint('key', name=op.f('uq_expertise_tag_key')),
    )
    bind = op.get_bind()
    spelling = {}

    def normalise(tags):
        out, seen = [], set()
        for tag in tags:
            label, key = _label(tag), _key(tag)
            if not key:
                continue
            spelling.setdefault(key, label)
            if key not in seen:
                seen.add(key)
                out.append(spelling[key])
        return out

    for table, id_column, column in (('problem', 'id', 'expertise_needed'),
                                     ('participant_profile', 'user_id', 'expertise')):
        rows = bind.execute(sa.text(f"SELECT {id_column}, {column} FROM {table} ORDER BY {id_column}")).all()
        for row_id, value in rows:
            tags = _load(value)
            normalised = normalise(tags)
            if normalised != tags:
                update = sa.text(f"UPDATE {table} SET {column} = :value WHERE {id_column} = :id")
                bind.execute(update.bindparams(sa.bindparam("value", type_=sa.JSON)),
                             {"value": normalised, "id": row_id})
    now = datetime.now(timezone.utc)
    tag_table = sa.table('expertise_tag', sa.column('key', sa.String), sa.column('label', sa.String),
                         sa.column('created_at', sa.DateTime(timezone=True)))
    if spelling:
        op.bulk_insert(tag_table, [{"key": key, "label": label, "created_at": now} for key, label in spelling.items()])


def downgrade():
    # The tags stay normalised (the old spellings are not kept); only the table goes.
    op.drop_table('expertise_tag')
