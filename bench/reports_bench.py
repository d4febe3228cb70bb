"""Report pages and the agent queue at a million leads, on the local PostgreSQL.

    .venv/bin/python bench/reports_bench.py                 # crm_bench, 1,000,000 leads
    .venv/bin/python bench/reports_bench.py --leads 200000 --db crm_bench_small

Creates the database if needed, migrates it (`flask db upgrade`), seeds it with
`seed_history` (COPY) up to --leads if it has fewer, links those leads to contacts and
companies (set-based: seed_history does not), then requests every report page, the agent
queue, the lead, listing, contact and company pages through the Flask test client (logged
in as admin, a team manager and an agent), --runs times each after a warm-up, and prints
p50 / p95 / max and the statements one request runs, beside a bare baseline (a request that
runs SELECT 1 through the same client). Then EXPLAIN ANALYZE of every query reading leads
that one request of each page ran, reduced to the lines that show the scans used.
Not a test: it prints figures (bench/README.md keeps a run).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_REPORT_MS, TARGET_QUEUE_MS, TARGET_LONG_MS = 300, 100, 500
# Queue searches: a surname (one character: 张 is in no seeded name, 刘 in one of nine), a
# company word, a mobile's last four digits, a reference's start, a place in traditional
# characters.
SEARCHES = ("张", "刘", "机械有限公司", "8890", "CF25", "長興")


def ensure_database(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    return admin_url.rsplit("/", 1)[0] + "/" + name


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "crm:create_app"}
    result = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(result.stderr)


def measure(client, url: str, runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db", default="crm_bench")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=100_000,
                        help="signed deals to have (seeded set-based from the leads if fewer)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--random-page-cost", type=float, default=1.1,
                        help="planner setting for the database (1.1: data in RAM or on SSD; "
                             "PostgreSQL's default is 4)")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--only", help="comma-separated parts of case labels to run "
                        "('floors': the long-range floors)")
    args = parser.parse_args()

    url = ensure_database(args.admin_url, args.db)
    migrate(url)
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{args.db}" SET random_page_cost = {args.random_page_cost}')
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)

    from sqlalchemy import event, func, select, text

    from config import Config
    from crm import create_app
    from crm.extensions import db
    from crm.models import Lead

    config = Config()
    config.WTF_CSRF_ENABLED = False
    app = create_app(config)
    logging_off()

    @app.route("/__bench/select1")
    def select_one():  # the baseline: routing, session, one round trip, a response
        db.session.execute(text("SELECT 1")).scalar()
        return "ok"

    with app.app_context():
        have = db.session.scalar(select(func.count()).select_from(Lead))
        if have < args.leads:
            from crm.demo.history import seed_history
            print(f"seeding {args.leads - have:,} leads into {args.db} ({have:,} there) …")
            started = time.monotonic()
            seed_history(args.leads - have, progress=print)
            seeded = time.monotonic() - started
            db.session.remove()
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
            print(f"seeded in {seeded:.0f} s (+ VACUUM ANALYZE)")
            have = args.leads
        db.session.remove()
        link_contacts(url)
        returning_contacts(url)
        deals = ensure_deals(url, args.deals)
        fold_rollups(app, db)
        stages = db.session.scalar(text("SELECT count(*) FROM lead_stage"))
        activities = db.session.scalar(text("SELECT count(*) FROM activity"))
        version = db.session.scalar(text("SHOW server_version"))
        rpc = db.session.scalar(text("SHOW random_page_cost"))
        db.session.remove()

    with app.app_context():
        lead_id, listing_id = page_fixtures(db)
    contact_id, company_id, company_needs = contact_fixtures(url, lead_id)

    clients = {}
    for who, email in (("admin", "admin@example.com"), ("manager", "sh.manager@example.com"),
                       ("agent", "sh.agent1@example.com")):
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": "demo1234"})
        assert response.status_code == 302, f"cannot log in as {email}"
        clients[who] = client

    cases = [
        ("baseline: SELECT 1", "admin", "/__bench/select1", None),
        ("dashboard", "admin", "/reports/", TARGET_REPORT_MS),
        ("dashboard (team manager)", "manager", "/reports/", TARGET_REPORT_MS),
        ("funnel", "admin", "/reports/funnel", TARGET_REPORT_MS),
        ("funnel by source page", "admin", "/reports/funnel?dim=page", TARGET_REPORT_MS),
        ("funnel by region (manager)", "manager", "/reports/funnel?dim=region", TARGET_REPORT_MS),
        ("speed to lead", "admin", "/reports/speed", TARGET_REPORT_MS),
        ("speed to lead (agent)", "agent", "/reports/speed", TARGET_REPORT_MS),
        ("monthly ranking", "admin", "/reports/ranking", TARGET_REPORT_MS),
        ("monthly ranking (agent)", "agent", "/reports/ranking", TARGET_REPORT_MS),
        ("pipeline + lost reasons", "admin", "/reports/pipeline", TARGET_REPORT_MS),
        ("sources by page", "admin", "/reports/sources", TARGET_REPORT_MS),
        # Signed deals (issue 31): the last 30 days of deals, the ranking by value.
        ("signed deals by month", "admin", "/reports/deals", TARGET_REPORT_MS),
        ("signed deals by agent", "admin", "/reports/deals?dim=agent", TARGET_REPORT_MS),
        ("signed deals by source site", "admin", "/reports/deals?dim=source_site",
         TARGET_REPORT_MS),
        ("signed deals by region (manager)", "manager", "/reports/deals?dim=region",
         TARGET_REPORT_MS),
        ("parks: investment + overdue milestones", "admin", "/reports/parks", TARGET_REPORT_MS),
        ("occupancy by park", "admin", "/reports/occupancy", TARGET_REPORT_MS),
        ("occupancy by region (manager)", "manager", "/reports/occupancy?dim=region",
         TARGET_REPORT_MS),
        ("monthly ranking by value", "admin", "/reports/ranking?by=value", TARGET_REPORT_MS),
        ("agent queue (agent)", "agent", "/agent/leads", TARGET_QUEUE_MS),
        ("agent queue (manager: all)", "manager", "/agent/leads", TARGET_QUEUE_MS),
        # Search in the queue (name, company, last 4 digits, reference, traditional characters).
        *[(f"search {q} ({label})", who, f"/agent/leads?tab=all&q={quote(q)}", TARGET_QUEUE_MS)
          for q in SEARCHES for who, label in (("manager", "manager"), ("admin", "admin: all"))],
        # A lead with a long history (activities, repeats, stages, listings) and a listing
        # linked to many leads.
        ("lead page, long history", "admin", f"/agent/leads/{lead_id}", TARGET_QUEUE_MS),
        ("lead page, long history (manager)", "manager", f"/agent/leads/{lead_id}",
         TARGET_QUEUE_MS),
        ("listing page, 200 linked leads", "admin", f"/agent/listings/{listing_id}",
         TARGET_QUEUE_MS),
        # Issue 30: a contact with 25 needs (the long-history lead among them) and the
        # company with the most needs (its newest shown, the rest counted).
        ("contact page, 25 needs", "admin", f"/contacts/{contact_id}", TARGET_QUEUE_MS),
        ("contact page, 25 needs (manager)", "manager", f"/contacts/{contact_id}",
         TARGET_QUEUE_MS),
        (f"company page, {company_needs:,} needs", "admin", f"/companies/{company_id}",
         TARGET_QUEUE_MS),
        (f"company page, {company_needs:,} needs (mgr)", "manager", f"/companies/{company_id}",
         TARGET_QUEUE_MS),
        # The whole history (18 months) and two years.
        ("dashboard, whole 18 months", "admin", f"/reports/?from={months_ago(18)}&to={today()}",
         TARGET_LONG_MS),
        ("dashboard, two years", "admin", f"/reports/?from={months_ago(24)}&to={today()}",
         TARGET_LONG_MS),
        ("dashboard, 18 months (manager)", "manager",
         f"/reports/?from={months_ago(18)}&to={today()}", TARGET_LONG_MS),
        ("funnel by region, 18 months", "admin",
         f"/reports/funnel?dim=region&from={months_ago(18)}&to={today()}", TARGET_LONG_MS),
        ("speed to lead, 18 months", "admin", f"/reports/speed?from={months_ago(18)}&to={today()}",
         TARGET_LONG_MS),
        # Issue 32: every report over two years (the rollups past 92 days).
        *[(f"{name}, two years", who, f"{path}{'&' if '?' in path else '?'}"
           f"from={months_ago(24)}&to={today()}", TARGET_LONG_MS)
          for name, who, path in LONG_REPORTS],
    ]
    print(f"\nPostgreSQL {version}, random_page_cost {rpc}; {have:,} leads, {stages:,} stage rows, "
          f"{activities:,} activities, {deals:,} deals; {args.runs} timed requests each after 3 warm-up ones")
    print("default range: the last 30 days (Asia/Shanghai), about 1/16 of the leads\n")
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores; other work on the machine "
          f"shows up in the figures)")
    print(f"{'page':<40} {'as':<8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'stmts':>5}  target")
    statements: dict[str, list] = {}
    only = [o.strip() for o in (args.only or "").split(",") if o.strip()]
    for label, who, path, target in cases:
        if only and not any(o in label for o in only) and "baseline" not in label:
            continue
        times = measure(clients[who], path, args.runs)
        verdict = "" if target is None else (
            f"< {target}: ok" if p95(times) < target else f"< {target}: MISSED by "
                                                         f"{p95(times) - target:.0f} ms")
        seen = capture(app, db, event, clients[who], path)
        print(f"{label:<40} {who:<8} {statistics.median(times):8.1f} {p95(times):8.1f} "
              f"{max(times):8.1f} {len(seen):5}  {verdict}", flush=True)
        if target is not None:
            statements[label] = [(s, p) for s, p in seen if _reads_leads(s)]

    if not only or "floors" in only:
        floors(app, db, args.runs)
    if not only or "sketch" in only:
        sketch_error(app)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if not args.no_explain:
        explain(app, db, statements)


# 100,000 deals from the seeded leads in three statements (no Python loop): every price
# unit in turn, one in 20 fallen through, a third on a listing, a park's milestones on the
# land deals. The values follow crm.inputs.deal_terms (a month is 365/12 days).
DEALS_SQL = """
-- Leads spread over the whole history (ordered by a hash of the id, not the oldest first),
-- each signed 0-119 days after its inquiry and never after today, so that any 30 days
-- (the last 30 above all) hold their share of deals.
WITH src AS (
    SELECT l.id, l.created_at, l.assigned_to_id, l.team_id, l.channel, l.source_site_id,
           (l.created_at AT TIME ZONE 'Asia/Shanghai')::date + (l.id %% 120)::int AS signed_on,
           row_number() OVER (ORDER BY hashint4(l.id), l.id) AS n
    FROM lead l
    WHERE l.status NOT IN ('spam', 'merged') AND l.assigned_to_id IS NOT NULL
      AND (l.created_at AT TIME ZONE 'Asia/Shanghai')::date + (l.id %% 120)::int <= CURRENT_DATE
      AND NOT EXISTS (SELECT 1 FROM deal d WHERE d.lead_id = l.id)
    ORDER BY hashint4(l.id), l.id
    LIMIT %(n)s
), listings AS (SELECT array_agg(id ORDER BY id) AS ids FROM listing),
terms AS (
    SELECT src.*, n %% 5 AS u, (1000 + (n %% 50) * 100)::numeric AS area
    FROM src
)
INSERT INTO deal (lead_id, status, signed_on, created_at, updated_at, agent_id, team_id,
                  deal_type, property_text, area_value, area_unit, area_sqm, price, price_unit,
                  term_months, value_wan, note, fell_through_reason, investment_wan,
                  annual_tax_wan, jobs, listing_id, channel, source_site_id)
SELECT id, CASE WHEN n %% 20 = 0 THEN 'fallen_through' ELSE 'signed' END, signed_on,
       created_at, created_at, assigned_to_id, team_id,
       CASE WHEN u < 3 THEN 'rent' ELSE 'buy' END, '', area, 'sqm', area,
       (ARRAY[0.8, 35, 120, 3000, 45])[u + 1],
       (ARRAY['yuan_sqm_day', 'yuan_sqm_month', 'wan_year', 'wan_total', 'wan_mu'])[u + 1],
       CASE WHEN u < 3 THEN (ARRAY[36, 24, 60])[u + 1] END,
       round(CASE u WHEN 0 THEN 0.8 * area * 365 / 12 * 36 / 10000
                    WHEN 1 THEN 35 * area * 24 / 10000 WHEN 2 THEN 600
                    WHEN 3 THEN 3000 ELSE 45 * area / 666.67 END, 4),
       '', '', CASE WHEN u = 4 THEN 5000 END, CASE WHEN u = 4 THEN 300 END,
       CASE WHEN u = 4 THEN 200 END,
       CASE WHEN n %% 3 = 0 AND cardinality(listings.ids) > 0
            THEN listings.ids[1 + (n %% cardinality(listings.ids))] END,
       channel, source_site_id
FROM terms, listings
"""


def ensure_deals(url: str, wanted: int) -> int:
    """Seed deals from the leads if there are fewer than `wanted` (none seeded them)."""
    with psycopg.connect(url, autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM deal").fetchone()[0]
        if have >= wanted:
            return have
        started = time.monotonic()
        conn.execute(DEALS_SQL, {"n": wanted - have})
        # Construction due 180 days after signing; most started 10 days early, one in 7 late.
        conn.execute("INSERT INTO deal_milestone (deal_id, kind, due_on, done_on) SELECT id, "
                     "'construction', signed_on + 180, CASE WHEN id % 7 <> 0 AND "
                     "signed_on + 170 <= CURRENT_DATE THEN signed_on + 170 END FROM deal "
                     "WHERE price_unit = 'wan_mu' ON CONFLICT DO NOTHING")
        conn.execute("VACUUM ANALYZE deal")
        conn.execute("VACUUM ANALYZE deal_milestone")
        have = conn.execute("SELECT count(*) FROM deal").fetchone()[0]
        print(f"seeded deals up to {have:,} in {time.monotonic() - started:.1f} s")
        return have


def today() -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def months_ago(months: int) -> date:
    return today() - timedelta(days=round(months * 30.44))


# Every report page over two years (issue 32), beside the 18-month cases above.
LONG_REPORTS = (
    ("speed to lead", "admin", "/reports/speed"),
    ("speed to lead (manager)", "manager", "/reports/speed"),
    ("dashboard (manager)", "manager", "/reports/"),
    ("funnel", "admin", "/reports/funnel"),
    ("funnel by region", "admin", "/reports/funnel?dim=region"),
    ("funnel by source page", "admin", "/reports/funnel?dim=page"),
    ("pipeline + lost reasons", "admin", "/reports/pipeline"),
    ("sources by page", "admin", "/reports/sources"),
    ("new and returning contacts", "admin", "/reports/contacts"),
    ("signed deals by month", "admin", "/reports/deals"),
    ("signed deals by region (manager)", "manager", "/reports/deals?dim=region"),
    ("parks", "admin", "/reports/parks"),
    ("return on spend", "admin", "/reports/roi"),
)


def fold_rollups(app, db) -> None:
    """Build the report rollups of the days not yet folded (the beat task's work; after a
    seed, every day)."""
    from config import Config
    from crm.reporting import rollup
    with app.app_context():
        started = time.monotonic()
        days = rollup.fold(db.session, Config().CRM_SLA_MINUTES)
        if days:
            print(f"folded the report rollups of {days:,} days in {time.monotonic() - started:.1f} s")


def sketch_error(app) -> None:
    """The merged t-digests' median and p90 against the exact ones, over the long ranges: the
    value's error and its rank among the exact durations (what docs/reports.md states)."""
    import bisect
    from datetime import datetime

    from config import Config
    from crm.extensions import db
    from crm.reporting import rollup, speed
    from crm.reporting.scope import Scope

    sla = Config().CRM_SLA_MINUTES
    print("\nsketch error: merged t-digests against exact, admin, every real lead of the range")
    print(f"{'range':<10} {'figure':<22} {'exact':>10} {'≈':>10} {'value':>8} {'rank pts':>9}")
    with app.test_request_context("/?lang=en"):
        for months in (18, 24):
            scope = Scope(months_ago(months), today(), now=datetime.now().astimezone())
            estimated = speed.speed(scope, sla, parts=()).overall
            with rollup.exact():
                exact = speed.speed(scope, sla, parts=()).overall
            src = speed._source(scope, sla).subquery()
            rows = db.session.execute(select_durations(src)).all()
            for measure, index in (("assign", 0), ("contact", 1)):
                values = sorted(r[index] for r in rows if r[index] is not None)
                for q in (50, 90):
                    e, a = getattr(exact, f"{measure}_p{q}"), getattr(estimated, f"{measure}_p{q}")
                    rank = bisect.bisect_left(values, a) / len(values) * 100
                    print(f"{months} months {measure + ' p' + str(q) + ' (s)':<22} {e:10.1f} {a:10.1f} "
                          f"{(a - e) / e * 100:+7.1f}% {rank - q:+9.2f}")


def select_durations(src):
    from sqlalchemy import select
    return select(src.c.assign_s, src.c.contact_s)


BENCH_LISTING = "bench: 长兴单层厂房 (200 linked leads)"


def floors(app, db, runs: int) -> None:
    """What exact figures cost over a long range before any page work: one statement each,
    timed in the database session (no request, no rendering). The exact percentiles are
    the floor of the dashboard and of speed to lead: no rewrite of the pages can go under it
    while the median and p90 are exact (percentile_cont sorts every duration of the range)."""
    from datetime import datetime

    from sqlalchemy import func, select

    from crm.models.sql import grouped_stats
    from crm.reporting import speed
    from crm.reporting.scope import Scope

    print("\nfloors: one statement each, admin, no page around it")
    for months in (18, 24):
        scope = Scope(months_ago(months), today(), now=datetime.now().astimezone())
        statements = {
            "read the range once: count(*)": select(func.count()).where(*scope.leads()),
            "exact percentiles (assignment, contact)": grouped_stats(
                "postgresql", speed._source(scope, 30), [], lambda c: [],
                {"assign_s": speed.PS, "contact_s": speed.PS}),
        }
        for name, statement in statements.items():
            times = []
            with app.app_context():
                for i in range(runs + 2):
                    speed.room_to_sort()
                    started = time.perf_counter()
                    db.session.execute(statement).all()
                    if i >= 2:  # two warm-up runs
                        times.append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
            label = f"{name}, {months} months"
            print(f"{label:<49} {statistics.median(times):8.1f} {p95(times):8.1f} "
                  f"{max(times):8.1f}", flush=True)


def page_fixtures(db) -> tuple[int, int]:
    """A lead with a long history and a listing linked to 200 leads (the seed has neither):
    created once, found again by the listing's title."""
    from sqlalchemy import select, text

    from crm.models import Listing
    listing_id = db.session.scalar(select(Listing.id).where(Listing.title == BENCH_LISTING))
    if listing_id is None:
        conn = db.session.connection()
        listing_id = conn.execute(text(
            "INSERT INTO listing (title, property_type, deal_type, region_code, park, area_sqm,"
            " area_unit, eia_possible, divisible, price_negotiable, status, description,"
            " created_at, updated_at) VALUES (:t, 'factory', 'rent', 'zj.huzhou.changxing', '',"
            " 3000, 'sqm', false, false, true, 'available', '', now(), now()) RETURNING id"),
            {"t": BENCH_LISTING}).scalar()
        others = [conn.execute(text(
            "INSERT INTO listing (title, property_type, deal_type, region_code, park, area_sqm,"
            " area_unit, eia_possible, divisible, price_negotiable, status, description,"
            " created_at, updated_at) VALUES (:t, 'factory', 'rent', 'zj.huzhou.changxing', '',"
            " :a, 'sqm', false, false, true, 'available', '', now(), now()) RETURNING id"),
            {"t": f"bench: 厂房 {i}", "a": 2000 + 100 * i}).scalar() for i in range(20)]
        # The Shanghai team's lead with the most activities becomes the long history.
        lead_id = conn.execute(text(
            "SELECT a.lead_id FROM activity a JOIN lead l ON l.id = a.lead_id"
            " JOIN \"user\" m ON m.team_id = l.team_id AND m.email = 'sh.manager@example.com'"
            " WHERE l.created_at > now() - interval '60 days'"
            " AND l.mobile_e164 IS NOT NULL AND l.status NOT IN ('spam', 'merged')"
            " GROUP BY a.lead_id ORDER BY count(*) DESC, a.lead_id LIMIT 1")).scalar()
        authors = conn.execute(text("SELECT id FROM \"user\" ORDER BY id LIMIT 8")).scalars().all()
        conn.execute(text(
            "INSERT INTO activity (lead_id, kind, author_id, body, outcome, created_at)"
            " SELECT :lead, 'call', (ARRAY[:authors])[1 + i % :n], '第' || i || '次电话', 'reached',"
            " now() - i * interval '1 hour' FROM generate_series(1, 300) i"),
            {"lead": lead_id, "authors": authors, "n": len(authors)})
        conn.execute(text(
            "INSERT INTO inquiry_repeat (original_lead_id, created_at, matched_on, channel,"
            " contact_name, mobile_e164, company, message, details, page_url, referrer,"
            " utm_source, utm_medium, utm_campaign) SELECT :lead, now() - i * interval '1 hour',"
            " 'mobile', 'web', '', '', '', '第' || i || '次询问', '{}', '', '', '', '', ''"
            " FROM generate_series(1, 100) i"), {"lead": lead_id})
        for i, other in enumerate(others):
            conn.execute(text(
                "INSERT INTO lead_listing (lead_id, listing_id, kind, author_id, created_at)"
                " VALUES (:lead, :listing, 'recommended', :author, now())"),
                {"lead": lead_id, "listing": other, "author": authors[i % len(authors)]})
        conn.execute(text(
            "INSERT INTO lead_listing (lead_id, listing_id, kind, author_id, created_at)"
            " SELECT id, :listing, 'site_visit', :author, now() FROM lead"
            " WHERE status NOT IN ('spam', 'merged') ORDER BY created_at DESC LIMIT 200"),
            {"listing": listing_id, "author": authors[0]})
        db.session.commit()
    lead_id = db.session.scalar(text(
        "SELECT lead_id FROM lead_listing l JOIN listing s ON s.id = l.listing_id"
        " WHERE s.title = 'bench: 厂房 0'"))
    return lead_id, listing_id


def _reads_leads(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("SELECT", "WITH")) and " lead" in statement


def link_contacts(url: str) -> None:
    """seed_history writes leads without their contact and company (intake's matching is
    per row): link them set-based, as migration c4a7e91d2f30 does for the mobile key only
    (every seeded lead has a mobile): a company per normalised name (keys computed in
    Python over the distinct names), a contact per mobile, contact_seq by time. Only the
    leads not linked yet: a no-op on a linked database.

    The links are worked out in temporary tables and written by ONE update of the leads:
    each pass over a million leads rewrites every row and its ~30 index entries (four of
    them GIN), which is most of the time. The new tables are ANALYZEd first: unanalyzed,
    the planner took the just-filled contact table for empty and chose a nested loop that
    ran for over 15 minutes."""
    from crm.inputs.company import name_key
    with psycopg.connect(url, autocommit=True) as conn:
        todo = conn.execute("SELECT count(*) FROM lead WHERE contact_id IS NULL"
                            " AND mobile_e164 IS NOT NULL").fetchone()[0]
        if not todo:
            return
        started = time.monotonic()
        names = [r[0] for r in conn.execute("SELECT DISTINCT company FROM lead WHERE"
                                            " contact_id IS NULL AND company <> ''")]
        with conn.transaction():
            conn.execute("CREATE TEMP TABLE _bench_key (raw text PRIMARY KEY, key text)")
            with conn.cursor().copy("COPY _bench_key (raw, key) FROM STDIN") as copy:
                for name in names:
                    copy.write_row((name, name_key(name)[:120] or None))
            conn.execute("ANALYZE _bench_key")
            conn.execute(
                "INSERT INTO company (created_at, name, name_key) SELECT min(l.created_at),"
                " min(l.company), k.key FROM lead l JOIN _bench_key k ON k.raw = l.company"
                " WHERE k.key IS NOT NULL AND l.contact_id IS NULL GROUP BY k.key"
                " ON CONFLICT (name_key) WHERE name_key IS NOT NULL DO NOTHING")
            conn.execute("ANALYZE company")
            conn.execute(
                "INSERT INTO contact (created_at, name, name_key, mobile_e164, mobile_display,"
                " mobile_note, email, contact_preference, consent_version, is_peer, company_id)"
                " SELECT DISTINCT ON (l.mobile_e164) l.created_at, l.contact_name,"
                " replace(l.contact_name, ' ', ''), l.mobile_e164, l.mobile_display, '', '',"
                " 'phone', '', false, c.id FROM lead l LEFT JOIN _bench_key k ON k.raw = l.company"
                " LEFT JOIN company c ON c.name_key = k.key"
                " WHERE l.contact_id IS NULL AND l.mobile_e164 IS NOT NULL"
                " ORDER BY l.mobile_e164, l.created_at DESC"
                " ON CONFLICT (mobile_e164) WHERE mobile_e164 IS NOT NULL DO NOTHING")
            conn.execute("ANALYZE contact")
            conn.execute(
                "CREATE TEMP TABLE _bench_link AS SELECT l.id, p.id AS contact_id,"
                " c.id AS company_id FROM lead l JOIN contact p ON p.mobile_e164 = l.mobile_e164"
                " LEFT JOIN _bench_key k ON k.raw = l.company"
                " LEFT JOIN company c ON c.name_key = k.key WHERE l.contact_id IS NULL")
            conn.execute("ANALYZE _bench_link")
            # contact_seq over each touched contact's needs, old and new: 1 + the non-junk
            # needs before it.
            conn.execute(
                "CREATE TEMP TABLE _bench_seq AS SELECT id, LEAST(1 + count(*) FILTER"
                " (WHERE status NOT IN ('spam', 'merged')) OVER (PARTITION BY cid ORDER BY"
                " created_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 32767)"
                " AS seq FROM (SELECT l.id, coalesce(b.contact_id, l.contact_id) AS cid,"
                " l.status, l.created_at FROM lead l LEFT JOIN _bench_link b ON b.id = l.id"
                " WHERE b.id IS NOT NULL OR l.contact_id IN"
                " (SELECT DISTINCT contact_id FROM _bench_link)) x")
            conn.execute("ANALYZE _bench_seq")
            conn.execute(
                "UPDATE lead l SET contact_id = coalesce(b.contact_id, l.contact_id),"
                " company_id = CASE WHEN b.id IS NULL THEN l.company_id ELSE b.company_id END,"
                " contact_seq = s.seq FROM _bench_seq s LEFT JOIN _bench_link b ON b.id = s.id"
                " WHERE l.id = s.id")
            conn.execute("DROP TABLE _bench_seq, _bench_link, _bench_key")
        conn.execute("VACUUM ANALYZE contact")
        conn.execute("VACUUM ANALYZE company")
        conn.execute("VACUUM ANALYZE lead")
        print(f"linked {todo:,} leads to contacts and companies in "
              f"{time.monotonic() - started:.1f} s")


def renumber(conn, contacts_sql: str) -> None:
    """contact_seq of the given contacts' needs: 1 + the non-junk needs before each."""
    conn.execute(
        "UPDATE lead l SET contact_seq = LEAST(n.seq, 32767) FROM (SELECT id, 1 + count(*)"
        " FILTER (WHERE status NOT IN ('spam', 'merged')) OVER (PARTITION BY contact_id"
        " ORDER BY created_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS seq"
        f" FROM lead WHERE contact_id IN ({contacts_sql})) n WHERE n.id = l.id")


BENCH_MOBILE = "+8613800000025"


RETURNING_SQL = """
-- Every tenth lead (id ending in 3) becomes another need of the person of the lead 7,919 ids
-- before (whose id never ends in 3: no chains), so about one need in ten is a returning
-- contact's, as brokers (同行) and prospects who come back make it.
UPDATE lead l SET contact_id = p.contact_id, company_id = p.company_id
FROM lead p
WHERE p.id = l.id - 7919 AND l.id % 10 = 3 AND p.contact_id IS NOT NULL
  AND l.contact_id IS DISTINCT FROM p.contact_id;
-- contact_seq again for every contact with more than one need: 1 + the non-junk needs before.
WITH seq AS (
    SELECT id, 1 + count(*) FILTER (WHERE status NOT IN ('spam', 'merged')) OVER (
        PARTITION BY contact_id ORDER BY created_at, id
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS s
    FROM lead
    WHERE contact_id IN (SELECT contact_id FROM lead WHERE contact_id IS NOT NULL
                         GROUP BY contact_id HAVING count(*) > 1)
)
UPDATE lead SET contact_seq = LEAST(seq.s, 32767) FROM seq
WHERE lead.id = seq.id AND lead.contact_seq IS DISTINCT FROM LEAST(seq.s, 32767);
"""


def returning_contacts(url: str, share: float = 0.1) -> None:
    """seed_history's mobiles are all different, so every person brought one need and the
    needs-per-contact figures had nothing to group. Give about `share` of the needs to people
    met before (RETURNING_SQL); a no-op once done. CLUSTER and VACUUM after (below)."""
    with psycopg.connect(url, autocommit=True) as conn:
        leads, returning = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE contact_seq > 1) FROM lead").fetchone()
        if returning >= leads * share / 2:
            return
        started = time.monotonic()
        with conn.transaction():
            for statement in RETURNING_SQL.split(";")[:-1]:
                conn.execute(statement)
        # The set-based updates (these, and link_contacts' before them) wrote every lead's
        # new version wherever there was room: the heap lost its time order (correlation
        # of created_at 0.00, a 30-day report read 59,000 pages for 69,000 leads) and the
        # updates split the pages of every index (the report index doubled to 203 MB).
        # A table fed by intake grows in arrival order: rewritten in that order, with
        # every index rebuilt as compact as after the seed's own load.
        conn.execute("CLUSTER lead USING ix_lead_created_report")
        conn.execute("VACUUM ANALYZE lead")
        returning = conn.execute(
            "SELECT count(*) FROM lead WHERE contact_seq > 1").fetchone()[0]
        print(f"{returning:,} needs of returning contacts in {time.monotonic() - started:.1f} s")


def contact_fixtures(url: str, lead_id: int) -> tuple[int, int, int]:
    """A contact with 25 needs (random mobiles give one each): the long-history lead and 24
    other recent needs of its team move to a contact of their own, created once (found by
    its mobile); and the company with the most needs. Returns both ids and that count."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT id FROM contact WHERE mobile_e164 = %s",
                           (BENCH_MOBILE,)).fetchone()
        if row is None:
            with conn.transaction():
                contact_id = conn.execute(
                    "INSERT INTO contact (created_at, name, name_key, mobile_e164,"
                    " mobile_display, mobile_note, email, contact_preference, consent_version,"
                    " is_peer, company_id) SELECT created_at - interval '1 day', '何总', '何总',"
                    " %s, '138 0000 0025', '', '', 'phone', '', false, company_id FROM lead"
                    " WHERE id = %s RETURNING id", (BENCH_MOBILE, lead_id)).fetchone()[0]
                moved = [lead_id, *[r[0] for r in conn.execute(
                    "SELECT o.id FROM lead o JOIN lead l ON l.id = %s AND o.team_id = l.team_id"
                    " WHERE o.id <> l.id AND o.status NOT IN ('spam', 'merged')"
                    " ORDER BY o.created_at DESC, o.id DESC LIMIT 24", (lead_id,))]]
                old = "SELECT DISTINCT contact_id FROM lead WHERE id = ANY(%s)"
                touched = [r[0] for r in conn.execute(old, (moved,))]
                conn.execute("UPDATE lead SET contact_id = %s, mobile_e164 = %s, mobile_display"
                             " = '138 0000 0025', contact_name = '何总' WHERE id = ANY(%s)",
                             (contact_id, BENCH_MOBILE, moved))
                renumber(conn, ",".join(str(c) for c in [contact_id, *touched] if c))
        else:
            contact_id = row[0]
        company_id, needs = conn.execute(
            "SELECT company_id, count(*) FROM lead WHERE company_id IS NOT NULL AND status"
            " NOT IN ('spam', 'merged') GROUP BY company_id ORDER BY count(*) DESC,"
            " company_id LIMIT 1").fetchone()
    return contact_id, company_id, needs


def capture(app, db, event, client, path) -> list:
    """Every SQL statement (with parameters) that one request of the page runs (the
    "stmts" column; those reading leads are explained)."""
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return seen


def explain(app, db, statements) -> None:
    print("\nEXPLAIN ANALYZE of each query (scan lines and time):")
    done = set()
    with app.app_context():
        with db.engine.connect() as conn:
            for label, queries in statements.items():
                print(f"\n== {label}")
                for statement, parameters in queries:
                    key = (statement, repr(parameters))
                    if key in done:
                        continue
                    done.add(key)
                    plan = [row[0] for row in conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
                    first = " ".join(statement.split())[:90]
                    print(f"  {first}…")
                    for line in plan:
                        if any(word in line for word in ("Scan", "Execution Time", "Join", "Loop")):
                            print("    " + line.strip()[:150])


def logging_off() -> None:
    import logging
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("crm", "werkzeug", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


if __name__ == "__main__":
    main()
