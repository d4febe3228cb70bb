"""Recommendation tokens stored as SHA-256 digests, not in clear (issue 27).

Links already sent keep working: each existing token is replaced by its digest, and the
page is found by the digest of the token in the URL. Those older links can no longer be
shown to staff again (no nonce); links made from now on are derived from a nonce with the
SECRET_KEY (crm.leads.recommend). Downgrade cannot bring the tokens back: it keeps the
digests in the old column, so every link sent before it stops opening.

Revision ID: b7d41e9a2c58
Revises: f3a9c6d20e57
Create Date: 2026-12-06 13:40:00
"""
import hashlib

from alembic import op
import sqlalchemy as sa

revision = 'b7d41e9a2c58'
down_revision = 'f3a9c6d20e57'
branch_labels = None
depends_on = None

RECOMMENDATION = sa.table('recommendation', sa.column('id', sa.Integer),
                          sa.column('token', sa.String), sa.column('token_hash', sa.String))


def upgrade():
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('token_nonce', sa.String(length=32), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(RECOMMENDATION.c.id, RECOMMENDATION.c.token)).all()
    for row_id, token in rows:
        digest = hashlib.sha256(token.encode('utf-8', 'surrogatepass')).hexdigest()
        connection.execute(RECOMMENDATION.update().where(RECOMMENDATION.c.id == row_id)
                           .values(token_hash=digest))
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_constraint('uq_recommendation_token', type_='unique')
        batch_op.drop_column('token')
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_recommendation_token_hash'), ['token_hash'])


def downgrade():
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_recommendation_token_hash'), type_='unique')
        batch_op.drop_column('token_nonce')
        batch_op.alter_column('token_hash', new_column_name='token',
                              existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint('uq_recommendation_token', ['token'])
