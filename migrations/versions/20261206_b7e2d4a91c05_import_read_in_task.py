"""Import jobs read their file in the task: the upload kept until read, reading notes, the
dry run's outcome.

Revision ID: b7e2d4a91c05
Revises: f3a9c6d20e57
Create Date: 2026-12-06 13:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'b7e2d4a91c05'
down_revision = 'f3a9c6d20e57'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_job') as batch:
        batch.add_column(sa.Column('upload', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('notes', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch.add_column(sa.Column('dry_run', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_job') as batch:
        batch.drop_column('dry_run')
        batch.drop_column('notes')
        batch.drop_column('upload')
