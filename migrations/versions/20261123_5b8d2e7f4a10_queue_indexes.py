"""Indexes for the workspace queue at a million leads.

- ix_lead_escalated: "mine" includes leads escalated to a senior (few: partial index).
- ix_lead_owner_team: a manager's scope includes members' leads filed under another team.
- On PostgreSQL the queue's (owner|team|-, status, ...) indexes INCLUDE what the urgency
  bucket reads, so a page is ranked by an index-only scan and only its rows are fetched.

Revision ID: 5b8d2e7f4a10
Revises: c3e1a9f0d2b7
Create Date: 2026-11-23 14:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '5b8d2e7f4a10'
down_revision = 'c3e1a9f0d2b7'
branch_labels = None
depends_on = None

URGENCY = ['first_contact_at', 'sla_half_at', 'next_follow_up_on']
QUEUE_INDEXES = [('ix_lead_owner_status', ['assigned_to_id', 'status'], ['created_at', 'id', *URGENCY]),
                 ('ix_lead_team_status_created', ['team_id', 'status', 'created_at', 'id'], URGENCY),
                 ('ix_lead_status_created', ['status', 'created_at', 'id'], URGENCY)]


def _queue_indexes(with_include: bool) -> None:
    if op.get_context().dialect.name != 'postgresql':
        return  # SQLite has no INCLUDE: the indexes stay as they are
    for name, columns, include in QUEUE_INDEXES:
        op.drop_index(name, table_name='lead')
        op.create_index(name, 'lead', columns, postgresql_include=include if with_include else [])


def upgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index('ix_lead_escalated', ['escalated_to_id'], unique=False,
                              postgresql_where=sa.text('escalated_to_id IS NOT NULL'),
                              sqlite_where=sa.text('escalated_to_id IS NOT NULL'))
        batch_op.create_index('ix_lead_owner_team', ['assigned_to_id', 'team_id'], unique=False)
    _queue_indexes(True)


def downgrade():
    _queue_indexes(False)
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_owner_team')
        batch_op.drop_index('ix_lead_escalated')
