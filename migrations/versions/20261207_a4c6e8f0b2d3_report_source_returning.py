"""New and returning contacts by channel and source site over long ranges from the source
rollup: `report_source` and `report_source_month` also count the returning contacts' needs
(`returned`: contact_seq > 1, Lead.new_need). Two years at a million leads grouped 971,000
leads by channel for those counts (374 ms beside the needs-per-contact statement). Created
only where the report rollups are (PostgreSQL with tdigest, migration c8d1e5f7a9b3). The
UPDATE trigger also watches a lead's contact_seq (renumbered when a need moves in or out of
spam, or its contact changes), and every day is marked, so the beat task fills the new
column in the background and the report reads the leads until it has.

Revision ID: a4c6e8f0b2d3
Revises: f7b2d4e6a8c1
Create Date: 2026-12-07 22:20:00

"""
from alembic import op
from sqlalchemy import text

# revision identifiers, used by Alembic.
revision = 'a4c6e8f0b2d3'
down_revision = 'f7b2d4e6a8c1'
branch_labels = None
depends_on = None

ZONE = "Asia/Shanghai"
# The lead columns the UPDATE trigger watched after f7b2d4e6a8c1; now contact_seq too.
WATCHED = ("created_at", "status", "stage_rank", "team_id", "assigned_to_id", "assigned_at",
           "first_contact_at", "sla_due_at", "investment_wan", "annual_tax_wan",
           "area_min_sqm", "area_max_sqm", "lost_reason_id", "lost_reason", "channel",
           "source_site_id")
TABLES = ("report_source", "report_source_month")


def _watching(columns: tuple[str, ...]) -> str:
    """report_mark_updated() (c8d1e5f7a9b3) marking the days of a change to `columns`."""
    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in columns)
    return f"""CREATE OR REPLACE FUNCTION report_mark_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_dirty_day (day)
    SELECT DISTINCT d FROM old_rows o JOIN new_rows n ON n.id = o.id,
        LATERAL (VALUES ((o.created_at AT TIME ZONE '{ZONE}')::date),
                        ((n.created_at AT TIME ZONE '{ZONE}')::date)) AS days (d)
    WHERE {changed};
    RETURN NULL;
END $$"""


def _installed(bind) -> bool:
    return bind.dialect.name == "postgresql" and bind.execute(
        text("SELECT to_regclass('report_source') IS NOT NULL")).scalar()


def upgrade():
    bind = op.get_bind()
    if not _installed(bind):
        return
    for table in TABLES:
        bind.execute(text(f"ALTER TABLE {table} ADD COLUMN returned integer NOT NULL DEFAULT 0"))
    bind.execute(text(_watching((*WATCHED, "contact_seq"))))
    bind.execute(text("INSERT INTO report_dirty_day (day) SELECT DISTINCT "
                      f"(created_at AT TIME ZONE '{ZONE}')::date FROM lead"))


def downgrade():
    bind = op.get_bind()
    if not _installed(bind):
        return
    bind.execute(text(_watching(WATCHED)))
    for table in TABLES:
        bind.execute(text(f"ALTER TABLE {table} DROP COLUMN returned"))
