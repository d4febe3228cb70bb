"""The building's requirements on a need (层高, 单层, 行车, 配电, 承重, 独门独院, 可分割), and a
listing's crane and standalone compound, so matching can compare the two.

Revision ID: 5b7e2c9d4a18
Revises: f3a9c6d20e57
Create Date: 2026-12-06 13:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '5b7e2c9d4a18'
down_revision = 'f3a9c6d20e57'
branch_labels = None
depends_on = None

_LEAD = (('ceiling_height_m', sa.Numeric(6, 2)), ('single_storey', sa.Boolean()),
         ('needs_crane', sa.Boolean()), ('crane_t', sa.Numeric(6, 2)),
         ('power_kva', sa.Integer()), ('floor_load_t', sa.Numeric(6, 2)),
         ('standalone', sa.Boolean()), ('divisible', sa.Boolean()))
_LISTING = (('crane_t', sa.Numeric(6, 2)), ('standalone', sa.Boolean()))


def upgrade():
    for table, columns in (('lead', _LEAD), ('listing', _LISTING)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, type_ in columns:
                batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade():
    for table, columns in (('lead', _LEAD), ('listing', _LISTING)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _type in reversed(columns):
                batch_op.drop_column(name)
