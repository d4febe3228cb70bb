"""The long reports that still read a million rows from the heap or grouped them: return
on spend, new and returning contacts, the funnel by region (bench/README.md, issue 32).

- `deal.channel` and `deal.source_site_id`: the need's source, copied when it is signed
  (filled here from each deal's lead). Return on spend groups two years of signed deals by
  source from `ix_deal_status_signed`, which now carries them, without a join per deal.
- The report indexes on `lead` also carry `channel`, `source_site_id`, `contact_seq` and
  `region_code`, so the leads by source, the new and returning counts and the funnel by
  region stay index-only on PostgreSQL.
- `ix_lead_returning`: only the needs with `contact_seq` > 1. Needs per contact groups the
  contacts met there instead of every need of the range.

Revision ID: e5a9c3b7d1f2
Revises: c6d2a8e4f1b7
Create Date: 2026-12-07 18:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5a9c3b7d1f2'
down_revision = 'c6d2a8e4f1b7'
branch_labels = None
depends_on = None

BEFORE = ['status', 'stage_rank', 'team_id', 'assigned_to_id', 'assigned_at',
          'first_contact_at', 'sla_due_at', 'investment_wan', 'annual_tax_wan', 'area_min_sqm',
          'area_max_sqm']
AFTER = BEFORE + ['channel', 'source_site_id', 'contact_seq', 'region_code']
DEAL_INCLUDE = ['lead_id', 'value_wan', 'channel', 'source_site_id']
RETURNING = 'contact_seq > 1'


def _report_indexes(include: list[str]) -> None:
    if op.get_context().dialect.name != 'postgresql':
        return  # SQLite indexes have no INCLUDE: nothing changes there
    op.drop_index('ix_lead_team_created', table_name='lead')
    op.drop_index('ix_lead_created_report', table_name='lead')
    op.create_index('ix_lead_created_report', 'lead', ['created_at'], postgresql_include=include)
    op.create_index('ix_lead_team_created', 'lead', ['team_id', 'created_at'],
                    postgresql_include=[c for c in include if c != 'team_id'])


def upgrade():
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('source_site_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_deal_source_site_id_source_site', 'source_site',
                                    ['source_site_id'], ['id'], ondelete='SET NULL')
    op.execute("UPDATE deal SET channel = (SELECT lead.channel FROM lead "
               "WHERE lead.id = deal.lead_id), source_site_id = (SELECT lead.source_site_id "
               "FROM lead WHERE lead.id = deal.lead_id)")
    op.drop_index('ix_deal_status_signed', table_name='deal')
    op.create_index('ix_deal_status_signed', 'deal', ['status', 'signed_on'],
                    postgresql_include=DEAL_INCLUDE)
    _report_indexes(AFTER)
    op.create_index('ix_lead_returning', 'lead', ['created_at'],
                    postgresql_include=['contact_id', 'status', 'team_id', 'assigned_to_id'],
                    postgresql_where=sa.text(RETURNING), sqlite_where=sa.text(RETURNING))


def downgrade():
    op.drop_index('ix_lead_returning', table_name='lead')
    _report_indexes(BEFORE)
    op.drop_index('ix_deal_status_signed', table_name='deal')
    op.create_index('ix_deal_status_signed', 'deal', ['status', 'signed_on'])
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_constraint('fk_deal_source_site_id_source_site', type_='foreignkey')
        batch_op.drop_column('source_site_id')
        batch_op.drop_column('channel')
