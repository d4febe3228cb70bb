"""merge routing and intake

Revision ID: d75788acadf9
Revises: 84df6986322b, b4c74c422a04
Create Date: 2026-11-23 09:37:28.792842

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd75788acadf9'
down_revision = ('84df6986322b', 'b4c74c422a04')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
