"""Fault drills on the real stack, one command:  .venv/bin/python bench/fault_drills.py

Starts a private PostgreSQL cluster (initdb in a temp dir) and a private Redis on free
ports, so stopping them disturbs nobody, then runs each drill on a fresh database with
gunicorn (2 workers), real `celery worker` processes and `celery beat`, inquiries posted
over HTTP to the JSON API:

  1. Redis stopped 30 s during a burst: every answer 201, every lead saved, all routed
     within a minute of Redis returning (beat's sweeper), rate limits fail open and log it.
  2. A worker SIGKILLed mid-routing (a pool child, then the whole worker): each lead
     assigned exactly once.
  3. PostgreSQL stopped like a crash under load, then started: a clear 503 during the gap,
     never a stack trace; the app reconnects; nothing half-written.
  4. PostgreSQL's disk full (`--only disk`; root: a cluster of its own on a small tmpfs,
     filled with a filler file under load, then freed): a clear 503 while nothing can be
     written, every 201 saved, every lead routed exactly once when space returns.
     `disk-wal`: the same, and the server needs a new WAL segment meanwhile: it PANICs and
     stops; once space is back it is started as its supervisor would (Restart=on-failure).

Prints a table and exits 1 if any drill missed its expectation. About 5½ minutes.
Needs: redis-server and the PostgreSQL server binaries (initdb, pg_ctl); as root the
cluster runs as the `postgres` user. Logs of every process: /tmp/crm-drill-*.log.
"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.drills import (  # noqa: E402
    disk_full_drill,
    postgres_restart_drill,
    redis_outage_drill,
    worker_kill_drill,
)
from tests.support.stack import PrivatePostgres, PrivateRedis  # noqa: E402

DRILLS = ("redis", "kill", "postgres", "disk", "disk-wal")


def table(results) -> str:
    head = ("drill", "submissions", "saved", "routed", "duplicates", "errors", "clean 503",
            "restarts", "seconds", "result")
    rows = [head] + [(r.drill, r.submissions, r.saved, r.routed, r.duplicates, r.errors,
                      r.clean_503, r.restarts, f"{r.seconds:.0f}", "PASS" if r.passed else "FAIL")
                     for r in results]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w)
                               for i, (v, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _disk_drill(redis_url: str, disk_mb: int, full: float, wal: bool = False):
    """The disk-full drill on a cluster of its own, its data directory on a small tmpfs."""
    small = PrivatePostgres(disk_mb=disk_mb)
    try:
        small.start()
        return disk_full_drill(small, redis_url, full=full, wal=wal)
    finally:
        small.destroy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=DRILLS, action="append",
                        help="run only this drill (repeatable)")
    parser.add_argument("--outage", type=float, default=30, help="seconds Redis stays down")
    parser.add_argument("--disk-mb", type=int, default=128,
                        help="size of the disk (tmpfs) of the disk-full drill's cluster")
    parser.add_argument("--full", type=float, default=10,
                        help="seconds (at least) the disk stays full")
    args = parser.parse_args()
    chosen = args.only or list(DRILLS)

    started = time.monotonic()
    pg, redis = PrivatePostgres(), PrivateRedis()
    results = []
    try:
        pg.start()
        redis.start()
        print(f"private PostgreSQL on :{pg.port}, private Redis on :{redis.port}", flush=True)
        runs = {"redis": lambda: redis_outage_drill(pg.admin_url, outage=args.outage),
                "kill": lambda: worker_kill_drill(pg.admin_url, redis.url),
                "postgres": lambda: postgres_restart_drill(pg, redis.url),
                "disk": lambda: _disk_drill(redis.url, args.disk_mb, args.full),
                "disk-wal": lambda: _disk_drill(redis.url, args.disk_mb, args.full, wal=True)}
        for name in DRILLS:
            if name in chosen:
                print(f"drill: {name} …", flush=True)
                results.append(runs[name]())
                print(f"  {'PASS' if results[-1].passed else 'FAIL'} "
                      f"({results[-1].seconds:.0f} s)", flush=True)
    finally:
        redis.stop()
        pg.destroy()

    print()
    print(table(results))
    print()
    for result in results:
        for note in result.notes:
            print(f"{result.drill}: {note}")
        for failure in result.failures:
            print(f"{result.drill}: FAILED: {failure}")
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    return 0 if results and all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
