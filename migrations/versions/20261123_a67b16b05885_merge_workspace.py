"""merge workspace

Revision ID: a67b16b05885
Revises: 1af0e26e7deb, 41ec415316cc
Create Date: 2026-11-23 11:20:14.229938

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a67b16b05885'
down_revision = ('1af0e26e7deb', '41ec415316cc')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
