"""reference_version: the number that keys the reference lists kept per app process

One row (id 1). A flush that changes an organisation, an expertise tag or the theme of a vraagstuk
or Lab raises it in the same transaction (fieldlab/reference_cache.py), so every worker knows when
its kept lists are out of date.

Revision ID: 7c3e1f0a9b2d
Revises: 5e2a9c41d7b3
Create Date: 2026-12-05 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3e1f0a9b2d'
down_revision = '5e2a9c41d7b3'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'reference_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_version')),
    )
    op.bulk_insert(table, [{'id': 1, 'version': 1}])


def downgrade():
    op.drop_table('reference_version')
