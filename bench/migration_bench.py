"""The contacts migration (c4a7e91d2f30, contacts_expand) up and down at a million leads.

    .venv/bin/python bench/migration_bench.py                   # 1,000,000 leads
    .venv/bin/python bench/migration_bench.py --leads 200000 --before-db crm_bench_before_small

Design docs/design/contacts-and-needs.md §5.5:
1. a database at the revision before (eaf33a3a18e4), seeded by `seed_history` (COPY), as
   bench/reports_bench.py seeds its own; kept between runs;
2. made realistic there, set-based and once: every 7th lead takes the mobile of the lead
   before it (≈ 14 % of leads come from a returning person; the seed draws a new mobile per
   lead) and every 10th lead gets an inquiry_repeat, a third of them for another property
   type or another city;
3. copied with CREATE DATABASE … TEMPLATE … (the copy is what gets migrated: rerunnable);
4. `flask db upgrade c4a7e91d2f30` and `flask db downgrade eaf33a3a18e4` timed, with the
   migration's own step log, and the counts of contacts and companies it made.

Beside them, in the same run and on the same copy: the bare cost of starting the command
(`flask db current`) and of rewriting every lead once (`UPDATE lead SET mobile_note =
mobile_note`, the floor of the migration's costliest statement, which sets three columns of
every lead through the same indexes). --keep leaves the copy migrated to head (and vacuumed)
for `bench/reports_bench.py --db crm_mig`; otherwise it is dropped. Not a test: it prints
figures (bench/README.md keeps a run).
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BEFORE, AFTER = "eaf33a3a18e4", "c4a7e91d2f30"
REPEAT_MESSAGE = "bench: 再次咨询"


def url_of(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


def flask_db(url: str, *args: str) -> tuple[float, str]:
    """Run `flask db …` on url; its seconds and its log (alembic logs to stderr)."""
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "crm:create_app"}
    env.pop("REDIS_URL", None)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "flask", "db", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"flask db {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return seconds, result.stdout + result.stderr


def revision(url: str) -> str | None:
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('alembic_version')").fetchone()
        if exists is None or exists[0] is None:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None


def prepare_before(admin_url: str, name: str, leads: int) -> None:
    """The database at BEFORE with `leads` leads, made realistic once."""
    url = url_of(admin_url, name)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    if revision(url) is None:
        flask_db(url, "upgrade", BEFORE)
    if revision(url) != BEFORE:
        sys.exit(f"{name} is at {revision(url)}, not {BEFORE}: drop it or name another --before-db")
    with psycopg.connect(url) as conn:
        have = conn.execute("SELECT count(*) FROM lead").fetchone()[0]
        repeats = conn.execute("SELECT count(*) FROM inquiry_repeat WHERE message = %s",
                               (REPEAT_MESSAGE,)).fetchone()[0]
    if have < leads:
        if repeats:
            sys.exit(f"{name} was made realistic at {have:,} leads: drop it to seed more")
        seed(url, leads - have)
    if not repeats:
        realistic(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def seed(url: str, n: int) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    from config import Config
    from crm import create_app
    from crm.demo.history import seed_history
    from crm.extensions import db
    app = create_app(Config())
    print(f"seeding {n:,} leads at {BEFORE} …", flush=True)
    started = time.monotonic()
    with app.app_context():
        seed_history(n, progress=lambda line: print(line, flush=True))
        db.session.remove()
        db.engine.dispose()
    print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)


def realistic(url: str) -> None:
    """Returning people and repeats, which seed_history does not make (design §5.5 (2))."""
    started = time.monotonic()
    with psycopg.connect(url) as conn:
        returning = conn.execute("""
            UPDATE lead SET mobile_e164 = p.mobile_e164, mobile_display = p.mobile_display
            FROM lead p WHERE p.id = lead.id - 1 AND lead.id % 7 = 0
              AND p.mobile_e164 IS NOT NULL""").rowcount
        # Every 10th lead asked again three days later (never after now); for every 30th the
        # second inquiry is for another property type (even ids) or another city (odd ones).
        repeats = conn.execute("""
            INSERT INTO inquiry_repeat (original_lead_id, created_at, reference, matched_on,
                channel, contact_name, mobile_e164, company, message, details, page_url,
                referrer, utm_source, utm_medium, utm_campaign)
            SELECT l.id, LEAST(l.created_at + interval '3 days', now()), 'CFR' || l.id, 'mobile',
                   l.channel, l.contact_name, COALESCE(l.mobile_e164, ''), l.company, %s,
                   json_build_object(
                       'deal_type', l.deal_type,
                       'property_type', CASE WHEN l.id %% 30 = 0 AND l.id %% 60 = 0
                           THEN CASE WHEN l.property_type = 'warehouse' THEN 'factory'
                                     ELSE 'warehouse' END
                           ELSE l.property_type END,
                       'region_code', CASE WHEN l.id %% 30 = 0 AND l.id %% 60 <> 0
                           THEN CASE WHEN l.region_code LIKE '3205%%' THEN '3301' ELSE '3205' END
                           ELSE l.region_code END),
                   l.page_url, '', l.utm_source, '', ''
            FROM lead l WHERE l.id %% 10 = 0""", (REPEAT_MESSAGE,)).rowcount
        conn.commit()
    print(f"made realistic in {time.monotonic() - started:.0f} s: {returning:,} leads share the "
          f"mobile of the lead before, {repeats:,} repeats (a third for another type or city)",
          flush=True)


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        def one(sql: str) -> int:
            return conn.execute(sql).fetchone()[0]
        out = {"leads": one("SELECT count(*) FROM lead"),
               "repeats": one("SELECT count(*) FROM inquiry_repeat")}
        if conn.execute("SELECT to_regclass('contact')").fetchone()[0] is not None:
            out |= {"contacts": one("SELECT count(*) FROM contact"),
                    "companies": one("SELECT count(*) FROM company"),
                    "leads linked": one("SELECT count(*) FROM lead WHERE contact_id IS NOT NULL"),
                    "needs with contact_seq > 1": one(
                        "SELECT count(*) FROM lead WHERE contact_seq > 1"),
                    "contacts with 2+ needs": one(
                        "SELECT count(*) FROM (SELECT contact_id FROM lead GROUP BY contact_id"
                        " HAVING count(*) > 1) x"),
                    "repeats linked": one(
                        "SELECT count(*) FROM inquiry_repeat WHERE contact_id IS NOT NULL"),
                    "split repeats (from_repeat_id)": one(
                        "SELECT count(*) FROM lead WHERE from_repeat_id IS NOT NULL")}
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--before-db", default="crm_bench_before")
    parser.add_argument("--copy-db", default="crm_mig")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true",
                        help="leave the copy at head, vacuumed (for reports_bench.py --db)")
    parser.add_argument("--drop-before", action="store_true",
                        help="drop the database at BEFORE afterwards")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    prepare_before(args.admin_url, args.before_db, args.leads)
    copy_url = url_of(args.admin_url, args.copy_db)
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.copy_db}"')
        started = time.monotonic()
        admin.execute(f'CREATE DATABASE "{args.copy_db}" TEMPLATE "{args.before_db}"')
        copied = time.monotonic() - started
        size = admin.execute("SELECT pg_size_pretty(pg_database_size(%s))",
                             (args.copy_db,)).fetchone()[0]
    before = counts(copy_url)
    print(f"\ncopy {args.copy_db} of {args.before_db} ({size}) in {copied:.1f} s; "
          f"{before['leads']:,} leads, {before['repeats']:,} repeats", flush=True)

    bare_command, _ = flask_db(copy_url, "current")
    up, up_log = flask_db(copy_url, "upgrade", AFTER)
    after = counts(copy_url)
    down, down_log = flask_db(copy_url, "downgrade", BEFORE)
    assert revision(copy_url) == BEFORE
    with psycopg.connect(copy_url) as conn:
        started = time.monotonic()
        conn.execute("UPDATE lead SET mobile_note = mobile_note")
        conn.commit()
        bare_rewrite = time.monotonic() - started

    print(f"\nload average before: {load_before:.2f}, now {os.getloadavg()[0]:.2f} "
          f"({os.cpu_count()} cores, shared with other work: it shows up in the figures)")
    print(f"{'step':<52} {'seconds':>8}")
    print(f"{'baseline: flask db current (start the command)':<52} {bare_command:8.1f}")
    print(f"{'baseline: UPDATE every lead once (one column)':<52} {bare_rewrite:8.1f}")
    print(f"{'flask db upgrade ' + AFTER:<52} {up:8.1f}")
    for name, seconds in re.findall(r"contacts_expand: (.+?) in ([\d.]+) s", up_log):
        print(f"{'  ' + name:<52} {float(seconds):8.1f}")
    print(f"{'flask db downgrade ' + BEFORE:<52} {down:8.1f}")
    print("\nafter the upgrade:")
    for name, value in after.items():
        print(f"  {name:<40} {value:>10,}")
    if down_log and "Traceback" in down_log:
        print(down_log[-2000:])

    if args.keep:
        flask_db(copy_url, "upgrade")
        with psycopg.connect(copy_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        print(f"\n{args.copy_db} left at head for bench/reports_bench.py --db {args.copy_db}")
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        if not args.keep:
            admin.execute(f'DROP DATABASE "{args.copy_db}"')
        if args.drop_before:
            admin.execute(f'DROP DATABASE "{args.before_db}"')


if __name__ == "__main__":
    main()
