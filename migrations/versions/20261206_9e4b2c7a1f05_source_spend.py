"""Source spend (issue 31, Source ROI): a month's spend on a source site or a channel.

Table `source_spend` (month = first day, exactly one of source_site_id and channel, team
optional, amount in 元), unique per (month, site or channel, team). Nothing to fill.

Revision ID: 9e4b2c7a1f05
Revises: 9c3e5a7d1b24
Create Date: 2026-12-06 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e4b2c7a1f05'
down_revision = '9c3e5a7d1b24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('source_spend',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('source_site_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('amount_yuan', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(source_site_id IS NULL) <> (channel IS NULL)',
                       name=op.f('ck_source_spend_one_source')),
    sa.CheckConstraint('amount_yuan >= 0', name=op.f('ck_source_spend_amount')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'],
                            name=op.f('fk_source_spend_entered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_site_id'], ['source_site.id'],
                            name=op.f('fk_source_spend_source_site_id_source_site'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_source_spend_team_id_team'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_spend'))
    )
    with op.batch_alter_table('source_spend', schema=None) as batch_op:
        batch_op.create_index('ix_source_spend_team_month', ['team_id', 'month'], unique=False)
        batch_op.create_index('uq_source_spend_site',
                              ['month', 'source_site_id', sa.text('coalesce(team_id, 0)')],
                              unique=True, postgresql_where=sa.text('source_site_id IS NOT NULL'),
                              sqlite_where=sa.text('source_site_id IS NOT NULL'))
        batch_op.create_index('uq_source_spend_channel',
                              ['month', 'channel', sa.text('coalesce(team_id, 0)')],
                              unique=True, postgresql_where=sa.text('channel IS NOT NULL'),
                              sqlite_where=sa.text('channel IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('source_spend', schema=None) as batch_op:
        batch_op.drop_index('uq_source_spend_channel')
        batch_op.drop_index('uq_source_spend_site')
        batch_op.drop_index('ix_source_spend_team_month')
    op.drop_table('source_spend')
