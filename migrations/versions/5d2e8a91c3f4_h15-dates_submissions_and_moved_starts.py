"""h15-dates: form submission tokens (one stored result per form render); a return day's
cancellation reason; the moment its challenge's start moved while it was confirmed.

Revision ID: 5d2e8a91c3f4
Revises: 9d3f6232cabb
Create Date: 2026-12-04 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d2e8a91c3f4'
down_revision = '9d3f6232cabb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_submission',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('result_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_form_submission')),
    )
    with op.batch_alter_table('form_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_submission_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('return_day', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancellation_reason', sa.String(length=500), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('start_moved_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('return_day', schema=None) as batch_op:
        batch_op.drop_column('start_moved_at')
        batch_op.drop_column('cancellation_reason')
    with op.batch_alter_table('form_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_submission_created_at'))
    op.drop_table('form_submission')
