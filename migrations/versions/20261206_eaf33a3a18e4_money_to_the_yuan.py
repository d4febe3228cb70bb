"""Money to the 元: lead.annual_tax_wan and lead.investment_wan in 万元 with four places
(Numeric(16, 4)), so a 50 元 tax is 0.005 万元 instead of rounding to 0.00 ("no tax").

SQLite does not enforce a numeric column's precision (the model's scale decides what is
read back), so only PostgreSQL's column type changes.

Revision ID: eaf33a3a18e4
Revises: f3a9c6d20e57
Create Date: 2026-12-06 13:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'eaf33a3a18e4'
down_revision = 'f3a9c6d20e57'
branch_labels = None
depends_on = None

COLUMNS = ('annual_tax_wan', 'investment_wan')


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for column in COLUMNS:
        op.alter_column('lead', column, type_=sa.Numeric(16, 4),
                        existing_type=sa.Numeric(14, 2), existing_nullable=True)


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for column in COLUMNS:
        op.alter_column('lead', column, type_=sa.Numeric(14, 2),
                        existing_type=sa.Numeric(16, 4), existing_nullable=True)
