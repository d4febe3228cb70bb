"""Deals (issue 31): what was signed for a need and what it is worth.

Tables `deal` (terms in the trade's units, value in 万元, status signed | fallen_through),
`deal_listing` (listings taken, area of each), `deal_share` (commission shares),
`deal_milestone` (签约 → 达产) and `deal_revision` (edits after signing); on `lead` the
expected value and close date of an open need (the pipeline and forecast). Nothing to fill:
no need recorded its terms before.

Revision ID: 4320f667d3ce
Revises: 27a328e75452
Create Date: 2026-12-06 19:59:49.714884

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4320f667d3ce'
down_revision = '27a328e75452'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('deal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('deal_type', sa.String(length=10), nullable=False),
    sa.Column('property_type', sa.String(length=12), nullable=True),
    sa.Column('listing_id', sa.Integer(), nullable=True),
    sa.Column('property_text', sa.String(length=200), nullable=False),
    sa.Column('area_value', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('area_unit', sa.String(length=4), nullable=False),
    sa.Column('area_sqm', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('price', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('price_unit', sa.String(length=16), nullable=False),
    sa.Column('term_months', sa.SmallInteger(), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=True),
    sa.Column('rent_free_months', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('deposit_wan', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('value_wan', sa.Numeric(precision=16, scale=4), nullable=False),
    sa.Column('commission_kind', sa.String(length=16), nullable=True),
    sa.Column('commission_rate', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('commission_wan', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('commission_due_on', sa.Date(), nullable=True),
    sa.Column('commission_received_wan', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('commission_received_on', sa.Date(), nullable=True),
    sa.Column('investment_wan', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('annual_tax_wan', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('tax_per_mu_wan', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('jobs', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('fell_through_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fell_through_reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['user.id'], name=op.f('fk_deal_agent_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_deal_lead_id_lead'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_deal_listing_id_listing'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_deal_team_id_team'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal'))
    )
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.create_index('ix_deal_agent_signed', ['agent_id', 'signed_on'], unique=False)
        batch_op.create_index('ix_deal_lead', ['lead_id'], unique=False)
        batch_op.create_index('ix_deal_listing', ['listing_id'], unique=False, postgresql_where=sa.text('listing_id IS NOT NULL'), sqlite_where=sa.text('listing_id IS NOT NULL'))
        batch_op.create_index('ix_deal_status_signed', ['status', 'signed_on'], unique=False)
        batch_op.create_index('ix_deal_team_signed', ['team_id', 'signed_on'], unique=False)

    op.create_table('deal_listing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('area_sqm', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_listing_deal_id_deal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_deal_listing_listing_id_listing'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_listing'))
    )
    with op.batch_alter_table('deal_listing', schema=None) as batch_op:
        batch_op.create_index('ix_deal_listing_listing', ['listing_id'], unique=False)
        batch_op.create_index('uq_deal_listing', ['deal_id', 'listing_id'], unique=True)

    op.create_table('deal_milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_milestone_deal_id_deal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_milestone'))
    )
    with op.batch_alter_table('deal_milestone', schema=None) as batch_op:
        batch_op.create_index('ix_deal_milestone_open', ['due_on'], unique=False, postgresql_where=sa.text('done_on IS NULL'), sqlite_where=sa.text('done_on IS NULL'))
        batch_op.create_index('uq_deal_milestone', ['deal_id', 'kind'], unique=True)

    op.create_table('deal_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_deal_revision_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_revision_deal_id_deal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_revision'))
    )
    with op.batch_alter_table('deal_revision', schema=None) as batch_op:
        batch_op.create_index('ix_deal_revision_deal', ['deal_id', 'id'], unique=False)

    op.create_table('deal_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('share_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_share_deal_id_deal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_deal_share_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_share'))
    )
    with op.batch_alter_table('deal_share', schema=None) as batch_op:
        batch_op.create_index('ix_deal_share_user', ['user_id'], unique=False)
        batch_op.create_index('uq_deal_share', ['deal_id', 'user_id'], unique=True)

    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expected_value_wan', sa.Numeric(precision=16, scale=4), nullable=True))
        batch_op.add_column(sa.Column('expected_close_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_lead_expected_close', ['expected_close_on'], unique=False, postgresql_where=sa.text('expected_close_on IS NOT NULL'), sqlite_where=sa.text('expected_close_on IS NOT NULL'))



def downgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_expected_close', postgresql_where=sa.text('expected_close_on IS NOT NULL'), sqlite_where=sa.text('expected_close_on IS NOT NULL'))
        batch_op.drop_column('expected_close_on')
        batch_op.drop_column('expected_value_wan')

    with op.batch_alter_table('deal_share', schema=None) as batch_op:
        batch_op.drop_index('uq_deal_share')
        batch_op.drop_index('ix_deal_share_user')

    op.drop_table('deal_share')
    with op.batch_alter_table('deal_revision', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_revision_deal')

    op.drop_table('deal_revision')
    with op.batch_alter_table('deal_milestone', schema=None) as batch_op:
        batch_op.drop_index('uq_deal_milestone')
        batch_op.drop_index('ix_deal_milestone_open', postgresql_where=sa.text('done_on IS NULL'), sqlite_where=sa.text('done_on IS NULL'))

    op.drop_table('deal_milestone')
    with op.batch_alter_table('deal_listing', schema=None) as batch_op:
        batch_op.drop_index('uq_deal_listing')
        batch_op.drop_index('ix_deal_listing_listing')

    op.drop_table('deal_listing')
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_team_signed')
        batch_op.drop_index('ix_deal_status_signed')
        batch_op.drop_index('ix_deal_listing', postgresql_where=sa.text('listing_id IS NOT NULL'), sqlite_where=sa.text('listing_id IS NOT NULL'))
        batch_op.drop_index('ix_deal_lead')
        batch_op.drop_index('ix_deal_agent_signed')

    op.drop_table('deal')
