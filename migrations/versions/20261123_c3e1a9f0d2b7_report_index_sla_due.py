"""Report indexes carry sla_due_at: the SLA figures read the lead's own deadline.

The speed, dashboard and ranking reports now judge "within SLA" by lead.sla_due_at (the
working-time deadline routing sets), so the covering indexes must include it for the
report scans to stay index-only on PostgreSQL. SQLite indexes have no INCLUDE: nothing
changes there.

Revision ID: c3e1a9f0d2b7
Revises: a67b16b05885
Create Date: 2026-11-23 14:10:00
"""
from alembic import op

revision = 'c3e1a9f0d2b7'
down_revision = 'a67b16b05885'
branch_labels = None
depends_on = None

BEFORE = ['status', 'stage_rank', 'team_id', 'assigned_to_id', 'assigned_at',
          'first_contact_at', 'investment_wan', 'annual_tax_wan', 'area_min_sqm', 'area_max_sqm']
AFTER = ['status', 'stage_rank', 'team_id', 'assigned_to_id', 'assigned_at',
         'first_contact_at', 'sla_due_at', 'investment_wan', 'annual_tax_wan', 'area_min_sqm',
         'area_max_sqm']


def _rebuild(include: list[str]) -> None:
    if op.get_context().dialect.name != 'postgresql':
        return
    op.drop_index('ix_lead_team_created', table_name='lead')
    op.drop_index('ix_lead_created_report', table_name='lead')
    op.create_index('ix_lead_created_report', 'lead', ['created_at'], postgresql_include=include)
    op.create_index('ix_lead_team_created', 'lead', ['team_id', 'created_at'],
                    postgresql_include=[c for c in include if c != 'team_id'])


def upgrade():
    _rebuild(AFTER)


def downgrade():
    _rebuild(BEFORE)
