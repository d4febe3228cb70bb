"""merge reports

Revision ID: 1af0e26e7deb
Revises: 354ee42a00ac, 6507991b8cfc
Create Date: 2026-11-23 11:16:01.171034

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1af0e26e7deb'
down_revision = ('354ee42a00ac', '6507991b8cfc')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
