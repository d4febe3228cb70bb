"""Report pages and the agent queue at a million leads, on the local PostgreSQL.

    .venv/bin/python bench/reports_bench.py                 # crm_bench, 1,000,000 leads
    .venv/bin/python bench/reports_bench.py --leads 200000 --db crm_bench_small

Creates the database if needed, migrates it (`flask db upgrade`), seeds it with
`seed_history` (COPY) up to --leads if it has fewer, then requests every report page and
the agent queue through the Flask test client (logged in as admin, a team manager and an
agent), --runs times each after a warm-up, and prints p50 / p95 / max beside a bare
baseline (a request that runs SELECT 1 through the same client). Then EXPLAIN ANALYZE of
every query one request of each page ran, reduced to the lines that show the scans used.
Not a test: it prints figures (bench/README.md keeps a run).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_REPORT_MS, TARGET_QUEUE_MS = 300, 100


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
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--random-page-cost", type=float, default=1.1,
                        help="planner setting for the database (1.1: data in RAM or on SSD; "
                             "PostgreSQL's default is 4)")
    parser.add_argument("--no-explain", action="store_true")
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
        stages = db.session.scalar(text("SELECT count(*) FROM lead_stage"))
        activities = db.session.scalar(text("SELECT count(*) FROM activity"))
        version = db.session.scalar(text("SHOW server_version"))
        rpc = db.session.scalar(text("SHOW random_page_cost"))
        db.session.remove()

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
        ("agent queue (agent)", "agent", "/agent/leads", TARGET_QUEUE_MS),
        ("agent queue (manager: all)", "manager", "/agent/leads", TARGET_QUEUE_MS),
        ("dashboard, whole 18 months (info)", "admin", "/reports/?from=2025-01-01&to=2030-12-31",
         None),
    ]
    print(f"\nPostgreSQL {version}, random_page_cost {rpc}; {have:,} leads, {stages:,} stage rows, "
          f"{activities:,} activities; {args.runs} timed requests each after 3 warm-up ones")
    print("default range: the last 30 days (Asia/Shanghai), about 1/16 of the leads\n")
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores; other work on the machine "
          f"shows up in the figures)")
    print(f"{'page':<36} {'as':<8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target")
    statements: dict[str, list] = {}
    for label, who, path, target in cases:
        # The whole-history dashboard is informative only: a few runs are enough.
        times = measure(clients[who], path, args.runs if "18 months" not in label else 5, 1)
        verdict = "" if target is None else (
            f"< {target}: ok" if p95(times) < target else f"< {target}: MISSED by "
                                                         f"{p95(times) - target:.0f} ms")
        print(f"{label:<36} {who:<8} {statistics.median(times):8.1f} {p95(times):8.1f} "
              f"{max(times):8.1f}  {verdict}", flush=True)
        if target is not None and "18 months" not in label:
            statements[label] = capture(app, db, event, clients[who], path)

    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if not args.no_explain:
        explain(app, db, statements)


def capture(app, db, event, client, path) -> list:
    """The SQL statements (with parameters) that one request of the page runs."""
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and " lead" in statement:
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
