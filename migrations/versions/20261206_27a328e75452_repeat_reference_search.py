"""Queue search by a part of a repeat inquiry's reference (issue 30): a pg_trgm GIN index on
inquiry_repeat.reference, so `reference LIKE '%834W6%'` is an index lookup on PostgreSQL.
PostgreSQL only: SQLite scans (small data).

Revision ID: 27a328e75452
Revises: d2b8f6a41c7e
Create Date: 2026-12-06 19:45:00
"""
from alembic import op

revision = '27a328e75452'
down_revision = 'd2b8f6a41c7e'
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_context().dialect.name == 'postgresql'


def upgrade():
    if _postgresql():
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index('ix_inquiry_repeat_reference_trgm', 'inquiry_repeat', ['reference'],
                        unique=False, postgresql_using='gin',
                        postgresql_ops={'reference': 'gin_trgm_ops'})


def downgrade():
    if _postgresql():
        op.drop_index('ix_inquiry_repeat_reference_trgm', table_name='inquiry_repeat',
                      postgresql_using='gin')
