"""Money to the 元: lead.annual_tax_wan and lead.investment_wan in 万元 with four places
(Numeric(16, 4)), so a 50 元 tax is 0.005 万元 instead of rounding to 0.00 ("no tax").

SQLite does not enforce a numeric column's precision, but the declared type is what
`flask db check` compares, so both change.

Revision ID: eaf33a3a18e4
Revises: b7e2d4a91c05
Create Date: 2026-12-06 13:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'eaf33a3a18e4'
down_revision = 'b7e2d4a91c05'
branch_labels = None
depends_on = None

COLUMNS = ('annual_tax_wan', 'investment_wan')


def _retype(old, new):
    # batch mode: SQLite rebuilds the table (it cannot ALTER a column's type), PostgreSQL
    # alters in place.
    with op.batch_alter_table('lead', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.alter_column(column, existing_type=old, type_=new, existing_nullable=True)


def upgrade():
    _retype(sa.Numeric(14, 2), sa.Numeric(16, 4))


def downgrade():
    _retype(sa.Numeric(16, 4), sa.Numeric(14, 2))
