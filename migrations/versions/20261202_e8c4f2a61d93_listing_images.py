"""Photos and floor plans of listings (listing_image).

Revision ID: e8c4f2a61d93
Revises: e8c4f1a2b6d3
Create Date: 2026-12-02 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'e8c4f2a61d93'
down_revision = 'e8c4f1a2b6d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'listing_image',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('is_cover', sa.Boolean(), nullable=False),
        sa.Column('caption', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('raw_key', sa.String(length=255), nullable=True),
        sa.Column('web_key', sa.String(length=255), nullable=True),
        sa.Column('thumb_key', sa.String(length=255), nullable=True),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('thumb_width', sa.Integer(), nullable=True),
        sa.Column('thumb_height', sa.Integer(), nullable=True),
        sa.Column('bytes', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('listing_id', 'sha256', name='uq_listing_image_sha256'),
    )
    with op.batch_alter_table('listing_image', schema=None) as batch_op:
        batch_op.create_index('ix_listing_image_order', ['listing_id', 'position'], unique=False)
        batch_op.create_index('ix_listing_image_status', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('listing_image', schema=None) as batch_op:
        batch_op.drop_index('ix_listing_image_status')
        batch_op.drop_index('ix_listing_image_order')
    op.drop_table('listing_image')
