"""Submit → assigned latency with one live Celery worker, under a steady submission rate.

Usage:  .venv/bin/python bench/routing_latency.py [--rate 20] [--seconds 15]

Creates a throwaway PostgreSQL database, migrates it, starts one real worker on the
local Redis, posts inquiries through the Flask app at a steady rate, then reads
created_at → assigned_at for every lead from the database and prints percentiles.
Baseline in the same run: the same routing service called in-process (no queue hop),
which is the floor the queued path is compared against.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20.0, help="submissions per second")
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()

    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG.rsplit("/", 1)[0] + "/" + name
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS,
           "CRM_CELERY_QUEUE": f"bench-{uuid.uuid4().hex[:6]}", "FLASK_APP": "crm:create_app"}
    os.environ.update(env)
    worker = None
    try:
        subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        from config import Config
        from crm import create_app
        from crm.extensions import db
        from crm.models import Lead, Team, User
        from crm.routing import engine

        config = Config()
        config.WTF_CSRF_ENABLED = False
        # One client posting 20/s without the form's fill-time token: not what we measure here.
        config.RATELIMIT_ENABLED = False
        config.CRM_SPAM_MIN_FILL_SECONDS = 0
        app = create_app(config)
        with app.app_context():
            team = Team(name="基准组", is_default=True)
            db.session.add(team)
            for i in range(5):
                user = User(email=f"bench{i}@example.com", name=f"顾问{i}", team=team)
                user.set_password("x" * 12)
                db.session.add(user)
            db.session.commit()

        worker_log = open(f"/tmp/{name}-worker.log", "w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q",
             env["CRM_CELERY_QUEUE"], "--pool", "prefork", "--concurrency", "2", "-l", "WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT)
        time.sleep(6)  # let the worker connect

        client = app.test_client()
        total = int(args.rate * args.seconds)
        interval = 1.0 / args.rate
        start = time.monotonic()
        submit_ms = []
        for i in range(total):
            target = start + i * interval
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t0 = time.perf_counter()
            response = client.post("/inquiry", data={"contact_name": f"客户{i}",
                                                     "mobile": f"136{i:08d}", "consent": "y"})
            submit_ms.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 302
        deadline = time.monotonic() + 60
        with app.app_context():
            while time.monotonic() < deadline:
                db.session.expire_all()
                done = db.session.scalar(db.select(db.func.count()).select_from(Lead)
                                         .where(Lead.assigned_at.is_not(None)))
                if done == total:
                    break
                time.sleep(0.2)
            rows = db.session.execute(db.select(Lead.created_at, Lead.assigned_at)
                                      .order_by(Lead.id)).all()
            latencies = [(a - c).total_seconds() * 1000 for c, a in rows if a is not None]
            if os.environ.get("BENCH_VERBOSE"):
                print("latency by second:", [round(max(latencies[i:i + int(args.rate)]))
                                             for i in range(0, len(latencies), int(args.rate))])

            # Baseline: the same routing work in-process, no queue hop.
            in_process = []
            for i in range(200):
                lead = Lead(reference=f"BASE{i:06d}", contact_name="基准", mobile_e164="+8613500000000",
                            mobile_display="135 0000 0000", created_at=engine.utcnow())
                db.session.add(lead)
                db.session.commit()
                t0 = time.perf_counter()
                engine.route_lead(lead.id)
                in_process.append((time.perf_counter() - t0) * 1000)

        print(f"\nsubmit → assigned, one worker (prefork ×2), {args.rate:g}/s for {args.seconds:g}s")
        print(f"{'path':38} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for label, values in (("queued: web commit → worker assigns", latencies),
                              ("baseline: routing in-process", in_process),
                              ("form POST (request time)", submit_ms)):
            print(f"{label:38} {len(values):5d} {pct(values, 50):8.1f} {pct(values, 95):8.1f} "
                  f"{pct(values, 99):8.1f} {max(values):8.1f}")
        print(f"routed {len(latencies)}/{total} (lost: {total - len(latencies)}); "
              f"mean {statistics.mean(latencies):.1f} ms")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
