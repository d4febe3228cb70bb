"""What one inquiry costs in-process: CPU, and round trips to PostgreSQL and Redis.

Usage:  .venv/bin/python bench/roundtrips.py [--timed 200] [--requests 3]

Same configuration as bench/load_bench.py (production settings, limiter on Redis, Celery
publishing to Redis), through Flask's test client on a throwaway database, no server and no
concurrency, so the figures are the code's own:

1. CPU and wall time per request of --timed API posts and --timed form posts, then per lead
   of engine.route_lead run in-process on those leads (what the Celery task calls).
   Beside the API: the same SQL statements and two Redis round trips replayed at the
   driver level (no Flask, no form, no ORM), and the bare baseline app in-process: what
   the required work costs, and what load_bench.py divides by.
2. Round trips of one more API post, form post and routing: what goes to PostgreSQL (each
   statement, the BEGIN psycopg sends before the first one, COMMIT, the pool's pre-ping) and
   every Redis command sent, listed (BENCH_VERBOSE=1: the PostgreSQL exchanges too).

Under load each round trip is also a switch to another process on the same cores.
"""
import argparse
import os
import secrets
import sys
import time
import uuid
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import load_bench  # noqa: E402

LOG: list[str] = []
VERBOSE = bool(os.environ.get("BENCH_VERBOSE"))


def instrument(engine) -> None:
    from sqlalchemy import event

    original_wait = psycopg.Connection.wait

    def wait(self, gen, *args, **kwargs):
        # What goes over the wire: a statement (plus BEGIN when it opens the transaction),
        # COMMIT/ROLLBACK of an open transaction; not psycopg's client-side autocommit flips.
        name = getattr(gen, "__qualname__", "?")
        idle = self.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        if "_execute_gen" in name:
            trips = 2 if idle and not self.autocommit else 1
        elif "_commit_gen" in name or "_rollback_gen" in name:
            trips = 0 if idle else 1
        else:
            trips = 0
        LOG.extend([f"pg {name}"] * trips)
        return original_wait(self, gen, *args, **kwargs)

    psycopg.Connection.wait = wait

    @event.listens_for(engine, "before_cursor_execute")
    def _sql(conn, cursor, statement, parameters, context, executemany):
        LOG.append(f"sql [{len(statement)}] " + " ".join(statement.split())[:100])

    original_send = redis.connection.AbstractConnection.send_packed_command

    def send(self, command, check_health=True):
        chunks = command if isinstance(command, list) else [command]
        names = []
        for chunk in chunks:
            parts = bytes(chunk).split(b"\r\n")
            if len(parts) > 2 and parts[0].startswith(b"*"):
                names.append(parts[2].decode(errors="replace"))
        LOG.append("redis " + " ".join(names))
        return original_send(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = send


def summarise(label: str, entries: list[str]) -> None:
    pg = sum(1 for e in entries if e.startswith("pg "))
    sends = [e for e in entries if e.startswith("redis")]
    statements = sum(1 for e in entries if e.startswith("sql "))
    print(f"\n{label}: {pg} PostgreSQL round trips ({statements} statements), "
          f"{len(sends)} Redis round trips")
    for entry in entries:
        if not entry.startswith("pg ") or VERBOSE:
            print("   ", entry)


def api_post(client, api_key: str, i: int) -> None:
    response = client.post("/api/v1/inquiries", headers={"X-Api-Key": api_key}, json={
        "contact_name": "刘先生", "mobile": f"1339{i:07d}", "consent": True,
        "deal_type": "rent", "property_type": "factory", "region": "320576",
        "area_min": 2000, "area_max": 3000, "annual_tax_wan": 300,
        "company": f"苏州精密机械{i}有限公司", "email": f"b{i}@example.cn",
        "message": "希望尽快看厂", "page_url": "https://www.changfang.example.cn/listing/1"})
    assert response.status_code == 201, response.get_data(as_text=True)


def form_post(browser, tokens: tuple[str, str], i: int) -> None:
    csrf, started = tokens
    response = browser.post("/inquiry", data={
        "csrf_token": csrf, "started": started, "website": "", "consent": "y",
        "contact_name": "王女士", "mobile": f"1381{i:07d}", "deal_type": "buy",
        "property_type": "land", "region_code": "330522", "area_min": "30",
        "area_unit": "mu", "industry": "nev", "company": f"湖州新能源{i}科技有限公司"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def floors(app, env: dict, client, api_key: str, n: int) -> None:
    """Where an API inquiry's CPU goes, by what is left when layers are taken away:

    - the bare baseline (bench/baseline_app.py: Flask, Flask-SQLAlchemy, one INSERT and a
      commit), in-process on the same database: what load_bench.py divides by;
    - the same statements ours sends (advisory lock; the company and the contact by mobile;
      the new company, the new contact; the lead with its stage row: with their parameters,
      new mobile and reference each time) and two Redis round trips (ours: the limiter's
      EVALSHA and the routing mark's SET), at the driver level, no Flask, no form, no ORM:
      what the work costs with no Python application around it.
    """
    from sqlalchemy import event

    from crm.extensions import db

    seen: list = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, dict(parameters or {})))
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    api_post(client, api_key, 7_500_000)
    event.remove(engine, "before_cursor_execute", keep)
    # lock, lookups, company, contact, the lead (and its stage row apart on SQLite)
    assert len(seen) in (5, 6), seen

    def fresh(i: int, parameters: dict) -> dict:
        out = dict(parameters)
        for key, value in parameters.items():
            if isinstance(value, str) and "13397500000" in value:
                out[key] = value.replace("13397500000", f"1339{7_600_000 + i:07d}")
            if key == "reference" or (isinstance(value, str) and value.startswith("CF")
                                      and len(value) == 14):
                out[key] = f"FLOOR{i:09d}"
        return out

    store = redis.Redis.from_url(env["REDIS_URL"])
    with engine.connect() as conn:
        def replay(i: int) -> None:
            store.set(f"floor:{i % 50}", 1, ex=60)
            lead_id = None
            for statement, parameters in seen:
                values = fresh(i, parameters)
                if "lead_stage" in statement and "lead_id" in values:
                    values["lead_id"] = lead_id
                result = conn.exec_driver_sql(statement, values)
                if "INSERT INTO lead " in statement:
                    lead_id = result.scalar()
            conn.commit()
            store.set(f"floor-mark:{i % 50}", 1, nx=True, ex=60)
        timed("  the same SQL + 2 Redis, no app", n, replay)

    sys.path.insert(0, str(ROOT / "bench"))
    import baseline_app
    load_bench.seed_baseline(env["DATABASE_URL"].replace("+psycopg", ""))
    os.environ["DATABASE_URL"], saved = env["DATABASE_URL"], os.environ.get("DATABASE_URL")
    try:
        bare = baseline_app.create_app()
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL")
        else:
            os.environ["DATABASE_URL"] = saved
    bare_client = bare.test_client()

    def bare_post(i: int) -> None:
        response = bare_client.post("/api/v1/inquiries", json={"mobile": f"1339{i:07d}",
                                                               "contact_name": "刘先生"})
        assert response.status_code == 201
    for i in range(10):
        bare_post(i)
    timed("  the bare baseline (one INSERT)", n, bare_post)


def timed(label: str, n: int, call) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        call(i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:34} {n:5d} {cpu / n * 1000:8.2f} {wall / n * 1000:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timed", type=int, default=200, help="requests of each kind timed")
    parser.add_argument("--requests", type=int, default=3, help="of each kind; the last is listed")
    args = parser.parse_args()
    name = f"crm_rt_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(load_bench.PG, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    queue = f"load-rt-{uuid.uuid4().hex[:6]}"
    redis_url = f"{load_bench.REDIS_BASE}/7"
    env = {**os.environ, "DATABASE_URL": load_bench.db_url(name), "REDIS_URL": redis_url,
           "CRM_CELERY_QUEUE": queue, "CRM_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "CRM_SECURE_COOKIES": "0", "CRM_LOG_FORMAT": "json",
           "CRM_RATELIMIT_PER_IP": load_bench.HIGH_LIMIT,
           "CRM_RATELIMIT_PER_MOBILE": load_bench.HIGH_LIMIT,
           "CRM_RATELIMIT_PER_API_KEY": load_bench.HIGH_LIMIT}
    env.pop("MAIL_SERVER", None)
    try:
        load_bench.compile_catalogs()
        app, api_key = load_bench.seed_ours(env)
        from sqlalchemy import select

        from crm.extensions import db
        from crm.models import Lead
        from crm.routing import engine

        client, browser = app.test_client(), app.test_client()
        page = browser.get("/inquiry").get_data(as_text=True)
        tokens = (load_bench._CSRF.search(page).group(1), load_bench._STARTED.search(page).group(1))
        time.sleep(3.5)  # the form's minimum fill time
        for i in range(10):  # warm-up: imports, caches, the pool
            api_post(client, api_key, 9_000_000 + i)
            form_post(browser, tokens, 9_000_000 + i)

        def route(i: int) -> None:
            with app.app_context():
                engine.route_lead(unrouted[i])
                db.session.remove()

        print(f"\n{'in-process, one at a time':34} {'n':>5} {'CPU ms':>8} {'wall ms':>8}")
        timed("API POST /api/v1/inquiries", args.timed, lambda i: api_post(client, api_key, i))
        floors(app, env, client, api_key, args.timed)
        timed("form POST /inquiry", args.timed, lambda i: form_post(browser, tokens, i))
        with app.app_context():
            unrouted = list(db.session.scalars(select(Lead.id).where(Lead.routed_at.is_(None))
                                               .order_by(Lead.id)))
            db.session.remove()
        timed("engine.route_lead (the task's work)", len(unrouted) - 1, route)
        for i in range(args.timed):
            api_post(client, api_key, 6_000_000 + i)
        with app.app_context():
            unrouted = list(db.session.scalars(select(Lead.id).where(Lead.routed_at.is_(None))
                                               .order_by(Lead.id)))
            db.session.remove()

        def route_batch(i: int) -> None:
            # What one task does under a burst: its lead and 49 waiting ones (CRM_ROUTING_BATCH).
            with app.app_context():
                engine.route_batch(unrouted[i * 50], more=49)
                db.session.remove()

        wall, cpu = time.perf_counter(), time.process_time()
        batches = len(unrouted) // 50
        for i in range(batches):
            route_batch(i)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{'routing in batches of 50, per lead':34} {batches * 50:5d} "
              f"{cpu / (batches * 50) * 1000:8.2f} {wall / (batches * 50) * 1000:8.2f}")

        with app.app_context():
            instrument(db.engine)
        for i in range(args.requests):
            LOG.clear()
            api_post(client, api_key, 8_000_000 + i)
        api_log = list(LOG)
        for i in range(args.requests):
            LOG.clear()
            form_post(browser, tokens, 8_000_000 + i)
        form_log = list(LOG)
        LOG.clear()
        unrouted = unrouted[-1:]
        route(0)
        route_log = list(LOG)
        summarise("API POST /api/v1/inquiries", api_log)
        summarise("form POST /inquiry", form_log)
        summarise("engine.route_lead", route_log)
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"*{queue}*", count=1000):
            client.delete(key)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
