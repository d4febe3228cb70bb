"""Search and reports at a million leads.

- pg_trgm GIN indexes on lead.search_text, lead.reference and lead.mobile_e164, so the
  queue's search (LIKE '%…%' of three characters or more; a mobile's last four digits)
  is an index lookup on PostgreSQL. PostgreSQL only: SQLite keeps scanning (small data).
- A GIN index on the characters of lead.search_text (`string_to_array(search_text, NULL)`)
  for queries of one or two characters (a surname, a place), which trigrams cannot answer.
- ix_lead_awaiting_contact: open leads waiting for their first contact under a deadline
  (the queue's most urgent bucket, listed whole when the queue is searched).
- ix_lead_lost INCLUDEs lost_reason_id too, so the lost reasons of a long range are an
  index-only scan (they read the reason picked; 709,000 heap fetches over 18 months).

Revision ID: f3a9c6d20e57
Revises: e2c7a5d3b914
Create Date: 2026-12-02 06:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'f3a9c6d20e57'
down_revision = 'e2c7a5d3b914'
branch_labels = None
depends_on = None

LOST = sa.text("status = 'lost'")
AWAITING = sa.text("status IN ('new', 'contacted', 'qualified', 'site_visit', 'negotiating')"
                   " AND first_contact_at IS NULL AND sla_half_at IS NOT NULL")
LOST_BEFORE = ['lost_reason', 'team_id', 'assigned_to_id']
LOST_AFTER = ['lost_reason', 'lost_reason_id', 'team_id', 'assigned_to_id']
TRIGRAM_INDEXES = {'ix_lead_search_trgm': 'search_text', 'ix_lead_reference_trgm': 'reference',
                   'ix_lead_mobile_trgm': 'mobile_e164'}


def _postgresql() -> bool:
    return op.get_context().dialect.name == 'postgresql'


def _lost_index(include: list[str]) -> None:
    op.drop_index('ix_lead_lost', table_name='lead', postgresql_where=LOST)
    op.create_index('ix_lead_lost', 'lead', ['created_at'], unique=False,
                    postgresql_include=include, postgresql_where=LOST)


def upgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index('ix_lead_awaiting_contact', ['created_at'], unique=False,
                              postgresql_include=['team_id', 'assigned_to_id', 'escalated_to_id',
                                                  'sla_half_at'],
                              postgresql_where=AWAITING, sqlite_where=AWAITING)
    if _postgresql():
        _lost_index(LOST_AFTER)
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        # GIN builds over a million rows go several times faster with room to sort in.
        op.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for name, column in TRIGRAM_INDEXES.items():
            op.create_index(name, 'lead', [column], unique=False, postgresql_using='gin',
                            postgresql_ops={column: 'gin_trgm_ops'})
        op.create_index('ix_lead_search_chars', 'lead',
                        [sa.text('string_to_array(search_text, NULL)')], unique=False,
                        postgresql_using='gin')


def downgrade():
    if _postgresql():
        _lost_index(LOST_BEFORE)
        op.drop_index('ix_lead_search_chars', table_name='lead', postgresql_using='gin')
        for name in TRIGRAM_INDEXES:
            op.drop_index(name, table_name='lead', postgresql_using='gin')
        # The extension stays: other objects may use it, and it holds no data.
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_awaiting_contact', postgresql_where=AWAITING,
                            sqlite_where=AWAITING)
