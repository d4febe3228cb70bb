"""Stage probabilities (赢单概率) per team, for the weighted pipeline and the forecast.

Table `stage_probability` (team_id NULL = the default every team reads), filled with the
defaults: 新 5 %, 已联系 10 %, 已确认 25 %, 看厂 40 %, 洽谈 60 %; and `ix_lead_open_pipeline`,
the open needs by team and stage with what the weighted pipeline reads (index-only scans).

Revision ID: 9c3e5a7d1b24
Revises: 4320f667d3ce
Create Date: 2026-12-06 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c3e5a7d1b24'
down_revision = '4320f667d3ce'
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'contacted', 'qualified', 'site_visit', 'negotiating')"
DEFAULTS = {"new": 5, "contacted": 10, "qualified": 25, "site_visit": 40, "negotiating": 60}


def upgrade():
    table = op.create_table('stage_probability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('pct', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('pct >= 0 AND pct <= 100', name=op.f('ck_stage_probability_pct')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_stage_probability_team_id_team'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_probability'))
    )
    with op.batch_alter_table('stage_probability', schema=None) as batch_op:
        batch_op.create_index('uq_stage_probability_default', ['stage'], unique=True,
                              postgresql_where=sa.text('team_id IS NULL'),
                              sqlite_where=sa.text('team_id IS NULL'))
        batch_op.create_index('uq_stage_probability_team', ['team_id', 'stage'], unique=True,
                              postgresql_where=sa.text('team_id IS NOT NULL'),
                              sqlite_where=sa.text('team_id IS NOT NULL'))
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index('ix_lead_open_pipeline', ['team_id', 'status'], unique=False,
                              postgresql_include=['assigned_to_id', 'expected_value_wan',
                                                  'expected_close_on'],
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    op.bulk_insert(table, [{"team_id": None, "stage": stage, "pct": pct}
                           for stage, pct in DEFAULTS.items()])


def downgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_open_pipeline', postgresql_where=sa.text(OPEN),
                            sqlite_where=sa.text(OPEN))
    with op.batch_alter_table('stage_probability', schema=None) as batch_op:
        batch_op.drop_index('uq_stage_probability_team', postgresql_where=sa.text('team_id IS NOT NULL'),
                            sqlite_where=sa.text('team_id IS NOT NULL'))
        batch_op.drop_index('uq_stage_probability_default', postgresql_where=sa.text('team_id IS NULL'),
                            sqlite_where=sa.text('team_id IS NULL'))
    op.drop_table('stage_probability')
