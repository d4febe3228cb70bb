"""Daily report rollups and their duration t-digests (crm/reporting/rollup.py), on
PostgreSQL with the `tdigest` extension (Debian: postgresql-15-tdigest). Without the
extension (or on SQLite) nothing is created and every report stays on the leads.

Statement triggers on `lead` mark the local days a change touched (transition tables: one
INSERT per statement, also for COPY and bulk updates); TRUNCATE of lead empties the
rollups. Every day that holds a lead is marked at once, so the beat task builds the
rollups in the background and the reports read the leads until it has.

Revision ID: c8d1e5f7a9b3
Revises: b3f1c9d2e4a6
Create Date: 2026-12-07 07:00:00

"""
import logging
import re

from alembic import op
from sqlalchemy import text

# revision identifiers, used by Alembic.
revision = 'c8d1e5f7a9b3'
down_revision = 'b3f1c9d2e4a6'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

ZONE = "Asia/Shanghai"
DAY = f"(created_at AT TIME ZONE '{ZONE}')::date"
# The lead columns the rollups read: an update of any other column marks nothing.
FIGURES = ("created_at", "status", "stage_rank", "team_id", "assigned_to_id", "assigned_at",
           "first_contact_at", "sla_due_at", "investment_wan", "annual_tax_wan",
           "area_min_sqm", "area_max_sqm", "lost_reason_id", "lost_reason")

TABLES = """
CREATE TABLE report_day (
    day date NOT NULL, team_id integer, agent_id integer, status varchar(20) NOT NULL,
    stage_rank smallint NOT NULL, leads integer NOT NULL, investment numeric, tax numeric,
    area numeric, open_due_max timestamptz);
CREATE INDEX ix_report_day_day ON report_day (day);
CREATE INDEX ix_report_day_open_due ON report_day (open_due_max);
CREATE TABLE report_speed (
    day date NOT NULL, team_id integer, agent_id integer, leads integer NOT NULL,
    assigned integer NOT NULL, contacted integer NOT NULL, within integer NOT NULL,
    late integer NOT NULL, assign_digest tdigest, contact_digest tdigest);
CREATE INDEX ix_report_speed_day ON report_speed (day);
CREATE TABLE report_hour (
    day date NOT NULL, hour smallint NOT NULL, team_id integer, leads integer NOT NULL,
    won integer NOT NULL, assigned integer NOT NULL, contacted integer NOT NULL,
    within integer NOT NULL, late integer NOT NULL);
CREATE INDEX ix_report_hour_day ON report_hour (day);
CREATE TABLE report_lost (
    day date NOT NULL, team_id integer, lost_reason_id integer, note varchar(200),
    leads integer NOT NULL);
CREATE INDEX ix_report_lost_day ON report_lost (day);
CREATE TABLE report_day_month (LIKE report_day);
CREATE INDEX ix_report_day_month_day ON report_day_month (day);
CREATE TABLE report_speed_month (LIKE report_speed);
CREATE INDEX ix_report_speed_month_day ON report_speed_month (day);
CREATE TABLE report_dirty_day (day date NOT NULL);
CREATE INDEX ix_report_dirty_day ON report_dirty_day (day);
CREATE TABLE report_rollup_state (sla_minutes integer NOT NULL);
"""

CHANGED = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in FIGURES)
TRIGGERS = f"""
CREATE FUNCTION report_mark_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_dirty_day (day) SELECT DISTINCT {DAY} FROM new_rows;
    RETURN NULL;
END $$;
CREATE FUNCTION report_mark_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_dirty_day (day) SELECT DISTINCT {DAY} FROM old_rows;
    RETURN NULL;
END $$;
CREATE FUNCTION report_mark_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_dirty_day (day)
    SELECT DISTINCT d FROM old_rows o JOIN new_rows n ON n.id = o.id,
        LATERAL (VALUES ((o.created_at AT TIME ZONE '{ZONE}')::date),
                        ((n.created_at AT TIME ZONE '{ZONE}')::date)) AS days (d)
    WHERE {CHANGED};
    RETURN NULL;
END $$;
CREATE FUNCTION report_forget_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE report_day, report_speed, report_hour, report_lost, report_day_month,
        report_speed_month, report_dirty_day;
    RETURN NULL;
END $$;
CREATE TRIGGER lead_report_inserted AFTER INSERT ON lead REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_mark_inserted();
CREATE TRIGGER lead_report_deleted AFTER DELETE ON lead REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_mark_deleted();
CREATE TRIGGER lead_report_updated AFTER UPDATE ON lead
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_mark_updated();
CREATE TRIGGER lead_report_truncated AFTER TRUNCATE ON lead
    FOR EACH STATEMENT EXECUTE FUNCTION report_forget_all();
"""


def _tdigest(bind) -> bool:
    """Whether the extension is (or can be made) available: CREATE EXTENSION needs a
    superuser; docs/deploy.md says to run it once as one when the app's role is not."""
    if bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'tdigest'")).scalar():
        return True
    if not bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'tdigest'")).scalar():
        return False
    try:
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION tdigest"))
        return True
    except Exception as exc:  # noqa: BLE001 - not permitted: the reports stay exact
        log.warning("report rollups not installed: CREATE EXTENSION tdigest failed (%s)", exc)
        return False


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if not _tdigest(bind):
        log.warning("report rollups not installed: the tdigest extension is not available "
                    "(Debian: postgresql-15-tdigest); long-range reports read the leads")
        return
    # One statement per execute: the functions' bodies hold semicolons of their own.
    for statement in re.split(r";\s*(?=CREATE )", (TABLES + TRIGGERS).strip().rstrip(";")):
        bind.execute(text(statement))
    bind.execute(text(f"INSERT INTO report_dirty_day (day) SELECT DISTINCT {DAY} FROM lead"))


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for trigger in ("inserted", "deleted", "updated", "truncated"):
        bind.execute(text(f"DROP TRIGGER IF EXISTS lead_report_{trigger} ON lead"))
    for function in ("report_mark_inserted", "report_mark_deleted", "report_mark_updated",
                     "report_forget_all"):
        bind.execute(text(f"DROP FUNCTION IF EXISTS {function}()"))
    bind.execute(text("DROP TABLE IF EXISTS report_day, report_speed, report_hour, report_lost, "
                      "report_day_month, report_speed_month, report_dirty_day, "
                      "report_rollup_state"))
