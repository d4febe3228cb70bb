"""A middle copy of each listing photo (listing_image.mid_key, mid_width, mid_height): at most
1,080 px, what a phone at 3x picks from srcset instead of the 1,600 px web copy. Photos made
before have none (the pages show their other two copies) until `flask crm photo-middles`.

Revision ID: c6d2a8e4f1b7
Revises: c8d1e5f7a9b3
Create Date: 2026-12-07 07:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c6d2a8e4f1b7'
down_revision = 'c8d1e5f7a9b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listing_image') as batch_op:
        batch_op.add_column(sa.Column('mid_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('mid_width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mid_height', sa.Integer(), nullable=True))


def downgrade():
    # The files stay in storage (a leftover file harms nobody); the keys go with the columns.
    with op.batch_alter_table('listing_image') as batch_op:
        batch_op.drop_column('mid_height')
        batch_op.drop_column('mid_width')
        batch_op.drop_column('mid_key')
