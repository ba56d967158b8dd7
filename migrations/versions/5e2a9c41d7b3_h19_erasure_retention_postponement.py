"""privacy: when a person was erased, and per-person postponements of the retention purge

Adds user.erased_at (set by erasure and by the retention purge; lists of living participants leave
out people with a date here) and the table retention_postponement (one row per person whose purge a
facilitator postponed: until which date, why, by whom). Existing anonymised people (their address
ends in @geanonimiseerd.invalid) get erased_at = now, so they too leave the lists. Idempotent.

Revision ID: 5e2a9c41d7b3
Revises: 3b7e20c4d1a9
Create Date: 2026-12-05 01:15:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e2a9c41d7b3'
down_revision = '3b7e20c4d1a9'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user', sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'retention_postponement',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('until', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_retention_postponement_user_id_user'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_retention_postponement_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_retention_postponement')),
    )
    user = sa.table('user', sa.column('email', sa.String), sa.column('erased_at', sa.DateTime(timezone=True)))
    op.execute(user.update().where(user.c.email.like('%@geanonimiseerd.invalid'), user.c.erased_at.is_(None))
               .values(erased_at=datetime.now(timezone.utc)))


def downgrade():
    op.drop_table('retention_postponement')
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): batch mode would rebuild "user", which every
    # other table points at, and SQLite refuses to drop it while foreign keys are enforced.
    op.drop_column('user', 'erased_at')
