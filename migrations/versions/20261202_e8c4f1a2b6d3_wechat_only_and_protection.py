"""WeChat-only prospects (a lead's mobile may be NULL) and who brought a lead in (客户保护期).

Revision ID: e8c4f1a2b6d3
Revises: d7b3e1f04a96
Create Date: 2026-12-02 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'e8c4f1a2b6d3'
down_revision = 'd7b3e1f04a96'
branch_labels = None
depends_on = None

# Agent entry keeps a lead with its agent by stamping routed_at = assigned_at = created_at and
# no rule; routing always sets a later routed_at. Those leads were brought in by their holder.
_BACKFILL = """
UPDATE lead SET sourced_by_id = assigned_to_id
WHERE assigned_to_id IS NOT NULL AND rule_id IS NULL AND channel IN ('phone', 'wechat')
  AND routed_at = created_at AND assigned_at = created_at
"""


def upgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.alter_column('mobile_e164', existing_type=sa.String(length=16), nullable=True)
        batch_op.add_column(sa.Column('sourced_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_lead_sourced_by_id_user', 'user', ['sourced_by_id'], ['id'],
                                    ondelete='SET NULL')
    op.execute(_BACKFILL)


def downgrade():
    # A WeChat-only lead has no number to go back to: a placeholder nobody can match.
    op.execute("UPDATE lead SET mobile_e164 = 'wechat:' || id WHERE mobile_e164 IS NULL")
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_constraint('fk_lead_sourced_by_id_user', type_='foreignkey')
        batch_op.drop_column('sourced_by_id')
        batch_op.alter_column('mobile_e164', existing_type=sa.String(length=16), nullable=False)
