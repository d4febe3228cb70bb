"""Search and reports at a million leads.

- pg_trgm GIN indexes on lead.search_text, lead.reference and lead.mobile_e164, so the
  queue's search (LIKE '%…%' of three characters or more; a mobile's last four digits)
  is an index lookup on PostgreSQL. PostgreSQL only: SQLite keeps scanning (small data).

Revision ID: f3a9c6d20e57
Revises: e8c4f2a61d93
Create Date: 2026-12-02 06:40:00
"""
from alembic import op

revision = 'f3a9c6d20e57'
down_revision = 'e8c4f2a61d93'
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = {'ix_lead_search_trgm': 'search_text', 'ix_lead_reference_trgm': 'reference',
                   'ix_lead_mobile_trgm': 'mobile_e164'}


def _postgresql() -> bool:
    return op.get_context().dialect.name == 'postgresql'


def upgrade():
    if _postgresql():
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for name, column in TRIGRAM_INDEXES.items():
            op.create_index(name, 'lead', [column], unique=False, postgresql_using='gin',
                            postgresql_ops={column: 'gin_trgm_ops'})


def downgrade():
    if _postgresql():
        for name in TRIGRAM_INDEXES:
            op.drop_index(name, table_name='lead', postgresql_using='gin')
        # The extension stays: other objects may use it, and it holds no data.
