"""The whole stack's memory on one small server: PostgreSQL, Redis, gunicorn, one Celery
worker and beat, against the million-lead database of reports_bench.py.

    .venv/bin/python bench/stack_memory.py                      # crm_bench, 2 web workers
    .venv/bin/python bench/stack_memory.py --web-workers 3 --db crm_bench

Starts gunicorn (gunicorn.conf.py), `celery worker` (prefork × --concurrency) and `celery beat`
on the database, warms them the way a working day does (staff pages as admin: the queue with a
search, the dashboard over 18 months, lead pages; API inquiries that the worker routes), then
reads each process's PSS (proportional set size, /proc/<pid>/smaps_rollup: shared pages
counted once across the stack, so the sum is what the machine really spends) for our
processes, for redis-server and for every PostgreSQL process, and prints them beside the
2 GiB of the smallest deployment (docs/deploy.md, "One small server"). Not a test.
"""
import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

import psutil
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
BUDGET_MIB = 2048


def pss_mib(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) / 1024 if match else 0.0


def tree(pid: int) -> list[int]:
    try:
        root = psutil.Process(pid)
        return [root.pid] + [child.pid for child in root.children(recursive=True)]
    except psutil.Error:
        return []


def by_name(name: str) -> list[int]:
    return [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == name]


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:  # not up yet
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def flask(env: dict, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return out.stdout


class Browser:
    """A logged-in staff member over real HTTP (cookies and the CSRF token of the login form)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def login(self, email: str, password: str) -> None:
        page = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"email": email, "password": password,
                                       "csrf_token": token}).encode()
        self.opener.open(self.base + "/login", data=data, timeout=30).read()


def warm(base: str, api_key: str, lead_ids: list[int], inquiries: int) -> None:
    staff = Browser(base)
    staff.login("admin@example.com", "demo1234")
    for path in ["/agent/leads?tab=all", "/agent/leads?tab=all&q=" + urllib.parse.quote("机械有限公司"),
                 "/reports/?from=2025-06-01&to=2026-11-30", "/reports/funnel?from=2025-06-01&to=2026-11-30",
                 "/reports/?from=2026-11-01&to=2026-11-30", "/listings/"]:
        staff.get(path)
    for lead_id in lead_ids:
        staff.get(f"/agent/leads/{lead_id}")
    for i in range(inquiries):
        body = json.dumps({"contact_name": "内存测试", "mobile": f"139{i:08d}", "consent": True,
                           "property_type": "factory", "region": "330522"}).encode()
        request = urllib.request.Request(base + "/api/v1/inquiries", data=body, headers={
            "Content-Type": "application/json", "X-Api-Key": api_key,
            "Idempotency-Key": uuid.uuid4().hex})
        urllib.request.urlopen(request, timeout=30).read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="crm_bench")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=1, help="Celery prefork pool size")
    parser.add_argument("--inquiries", type=int, default=200)
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--redis-db", type=int, default=7)
    args = parser.parse_args()

    db_url = PG.rsplit("/", 1)[0] + "/" + args.db
    with psycopg.connect(db_url) as conn:
        leads = conn.execute("SELECT count(*) FROM lead").fetchone()[0]
        lead_ids = [row[0] for row in conn.execute(
            "SELECT id FROM lead ORDER BY id DESC LIMIT 20").fetchall()]
        settings = dict(conn.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('shared_buffers',"
            " 'work_mem', 'max_connections', 'effective_cache_size', 'maintenance_work_mem')"
        ).fetchall())
    queue = f"mem-bench-{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix="crm-mem-"))
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
           "CRM_CELERY_QUEUE": queue, "CRM_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "CRM_SECURE_COOKIES": "0", "CRM_LOG_FORMAT": "json", "FLASK_APP": "crm:create_app",
           "CRM_BIND": f"127.0.0.1:{args.port}", "CRM_WEB_WORKERS": str(args.web_workers),
           "CRM_RATELIMIT_PER_API_KEY": "100000 per minute", "CRM_RATELIMIT_PER_MOBILE": "100000 per minute"}
    env.pop("MAIL_SERVER", None)
    site = f"memory-bench-{queue}"
    api_key = re.search(r"API key \(shown once\): (\S+)", flask(env, "crm", "create-site", "--name", site,
                                                      "--origin", "https://mem.example.cn")).group(1)
    logs = {name: open(workdir / f"{name}.log", "w") for name in ("web", "worker", "beat")}
    procs = {
        "web": subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                 "crm:create_app()"], cwd=ROOT, env=env, stdout=logs["web"],
                                stderr=subprocess.STDOUT),
        "worker": subprocess.Popen([sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q", queue,
                                    "-n", f"{queue}@%h", "--pool", "prefork", "--concurrency",
                                    str(args.concurrency), "-l", "WARNING"], cwd=ROOT, env=env,
                                   stdout=logs["worker"], stderr=subprocess.STDOUT),
        "beat": subprocess.Popen([sys.executable, "-m", "celery", "-A", "workers", "beat", "-l", "WARNING",
                                  "-s", str(workdir / "beat-schedule")], cwd=ROOT, env=env,
                                 stdout=logs["beat"], stderr=subprocess.STDOUT),
    }
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_http(base + "/inquiry")
        started = time.monotonic()
        warm(base, api_key, lead_ids, args.inquiries)
        warmed = time.monotonic() - started
        with psycopg.connect(db_url) as conn:  # the worker routed what came in
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and conn.execute(
                    "SELECT count(*) FROM lead WHERE contact_name = '内存测试' AND routed_at IS NULL"
            ).fetchone()[0]:
                time.sleep(0.5)
        redis_pid = int(redis.Redis.from_url(env["REDIS_URL"]).info("server")["process_id"])
        rows = [
            (f"gunicorn master + {args.web_workers} workers", tree(procs["web"].pid)),
            (f"Celery worker, main + {args.concurrency} in the pool", tree(procs["worker"].pid)),
            ("Celery beat", tree(procs["beat"].pid)),
            ("Redis", [redis_pid]),
            ("PostgreSQL, every process", by_name("postgres")),
        ]
        print(f"\nstack memory {time.strftime('%Y-%m-%d %H:%M')}: {leads:,} leads in {args.db}; "
              f"warmed in {warmed:.1f} s (staff pages and {args.inquiries} API inquiries, routed)")
        print("PostgreSQL settings of this cluster: " + ", ".join(f"{k}={v}" for k, v in sorted(settings.items())))
        print(f"\n{'process':<40} {'n':>3} {'PSS MiB':>9}")
        total = 0.0
        for label, pids in rows:
            mib = sum(pss_mib(pid) for pid in pids)
            total += mib
            print(f"{label:<40} {len(pids):>3} {mib:>9.1f}")
        print(f"{'total':<40} {'':>3} {total:>9.1f}   of {BUDGET_MIB} MiB: "
              f"{'fits' if total < BUDGET_MIB * 0.8 else 'TOO BIG'} (≤ 80 % leaves the page cache room)")
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        try:  # leave the bench database as it was
            with psycopg.connect(db_url, autocommit=True) as conn:
                conn.execute("DELETE FROM lead WHERE contact_name = '内存测试'")
                conn.execute("DELETE FROM source_site WHERE name = %s", (site,))
        except psycopg.Error as exc:
            print(f"(clean-up left rows behind: {exc})")


if __name__ == "__main__":
    main()
