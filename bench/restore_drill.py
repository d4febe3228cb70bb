"""Restore drill, one command:  .venv/bin/python bench/restore_drill.py [--leads 20000]

Point-in-time recovery on a private PostgreSQL cluster (initdb in a temp dir, a free port,
127.0.0.1 only; never the shared server), with the settings and commands of docs/deploy.md,
"Backups and point-in-time restore":

  1. WAL archived by `archive_command` (cp into an archive directory); a database migrated
     (`flask db upgrade`) and seeded with --leads leads (`seed_history`, COPY; default a
     million, about 10 minutes) or a copy of --copy-from (pg_dump | pg_restore).
  2. Inquiries posted over HTTP to the JSON API (gunicorn) the whole time; a base backup
     (`pg_basebackup -X stream -c fast`) taken under that load.
  3. A recovery target read from the server's clock mid-stream; inquiries go on after it;
     the WAL switched and archived; the cluster stopped like a crash and its data directory
     deleted.
  4. Restored: the base backup copied back, `restore_command`, `recovery_target_time`,
     `recovery_target_action = 'promote'`, `recovery.signal`; timed until it takes writes.
  5. Checked: every inquiry acknowledged (201 + reference) before the target is there, none
     sent after it is. Prints the figures and PASS or FAIL; exits 1 on FAIL.

Needs the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup); as root the cluster
runs as the `postgres` user. Everything it made is removed at the end, pass or fail.
"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.restore import restore_drill  # noqa: E402


def mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads seeded before the drill")
    parser.add_argument("--copy-from", metavar="URL",
                        help="copy this database instead of seeding (e.g. "
                             "postgresql://postgres@127.0.0.1:5432/crm_bench)")
    parser.add_argument("--before", type=float, default=10,
                        help="seconds of inquiries between the base backup and the target")
    parser.add_argument("--after", type=float, default=5, help="seconds of inquiries after the target")
    parser.add_argument("--backup-first", action="store_true",
                        help="take the base backup before seeding: the restore replays the seeding too")
    parser.add_argument("--rate", type=float, default=5, help="inquiries a second")
    args = parser.parse_args()

    started = time.monotonic()
    r = restore_drill(leads=args.leads, before=args.before, after=args.after, rate=args.rate,
                      copy_from=args.copy_from, backup_first=args.backup_first,
                      progress=lambda line: print(line, flush=True))
    when = "before the seeding" if args.backup_first else "under load"
    print(f"""
leads before the drill     {r.leads:,} (made in {r.seed_seconds:.0f} s)
base backup                {r.backup_seconds:.1f} s, {mb(r.backup_bytes)} (pg_basebackup -X stream, {when})
WAL archive                {r.archive_segments} segments, {mb(r.archive_bytes)}; {mb(r.replay_bytes)} to replay
recovery target            {r.target}
recovery stopped           {r.stopped_at}
restore time               {r.restore_seconds:.1f} s (destroyed → taking writes; of which copy {r.copy_seconds:.1f} s)
inquiries acknowledged     {r.acknowledged} (not 201: {r.not_201})
  before the target        {r.before}, lost {len(r.lost)}
  after the target         {r.after}, present after the restore {len(r.leaked)}
  in flight at the target  {r.straddling} (either side is right)
leads after the restore    {r.leads_restored:,}
total                      {time.monotonic() - started:.0f} s
""")
    for failure in r.failures:
        print(f"FAILED: {failure}")
    print("PASS" if r.passed else "FAIL")
    return 0 if r.passed else 1


if __name__ == "__main__":
    sys.exit(main())
