"""The working calendar the team owns; per-team hours; provisional SLA deadlines.

Revision ID: b81d4f2a6c35
Revises: a3c19e7b5d20
Create Date: 2026-12-02 02:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'b81d4f2a6c35'
down_revision = 'a3c19e7b5d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'],
                                name=op.f('fk_calendar_day_updated_by_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day')))
    with op.batch_alter_table('calendar_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_day_year'), ['year'], unique=False)
    with op.batch_alter_table('team', schema=None) as batch_op:
        for name in ('work_start', 'work_end', 'lunch_start', 'lunch_end'):
            batch_op.add_column(sa.Column(name, sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('weekends_too', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sla_provisional', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('sla_provisional')
        batch_op.drop_column('sla_started_at')
    with op.batch_alter_table('team', schema=None) as batch_op:
        for name in ('weekends_too', 'lunch_end', 'lunch_start', 'work_end', 'work_start'):
            batch_op.drop_column(name)
    op.drop_table('calendar_day')
