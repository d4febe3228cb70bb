"""A repeat inquiry gets its own reference.

Answering a repeat with the first lead's reference told anyone who typed a mobile whether,
and when (the reference carries its date), that number had inquired before.

Revision ID: e5a7c2d91f3b
Revises: 5b8d2e7f4a10
Create Date: 2026-12-01 23:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'e5a7c2d91f3b'
down_revision = '5b8d2e7f4a10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inquiry_repeat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_inquiry_repeat_reference'), ['reference'])


def downgrade():
    with op.batch_alter_table('inquiry_repeat', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_inquiry_repeat_reference'), type_='unique')
        batch_op.drop_column('reference')
