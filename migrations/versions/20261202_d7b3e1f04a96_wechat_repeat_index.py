"""A prospect known by WeChat is found again by it: an index for the repeat lookup.

Revision ID: d7b3e1f04a96
Revises: c4e2a9d71b08
Create Date: 2026-12-02 03:30:00
"""
from alembic import op

revision = 'd7b3e1f04a96'
down_revision = 'c4e2a9d71b08'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index('ix_lead_wechat_created', ['wechat_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_wechat_created')
