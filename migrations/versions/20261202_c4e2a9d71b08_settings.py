"""Settings an admin edits: the brand, hotline and WeChat contact prospects see.

Revision ID: c4e2a9d71b08
Revises: b81d4f2a6c35
Create Date: 2026-12-02 03:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c4e2a9d71b08'
down_revision = 'b81d4f2a6c35'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'setting',
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_setting')))


def downgrade():
    op.drop_table('setting')
