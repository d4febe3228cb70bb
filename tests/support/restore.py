"""Point-in-time recovery on a private cluster: bench/restore_drill.py and its integration test.

A private PostgreSQL cluster archives its WAL (`archive_command`, as docs/deploy.md says);
a base backup is taken with `pg_basebackup` while inquiries arrive over HTTP (gunicorn, the
JSON API); a recovery target is taken from the server's clock mid-stream; more inquiries
arrive; the cluster is destroyed (an immediate stop, its data directory deleted) and
restored from the base backup and the archive to that target. Then every inquiry
acknowledged (a 201 with its reference) before the target must be there, and none sent
after it.

"Before" and "after" are judged from the client's side, exactly: an inquiry whose answer
arrived before the target was read from the server committed before it; one sent after the
target was read commits after it. One in flight at that moment may land on either side and
is only counted.
"""
from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.support.drills import _environ
from tests.support.stack import Gunicorn, PrivatePostgres, migrate, post_inquiry, wait_until

DATABASE = "crm"


class ArchivingPostgres(PrivatePostgres):
    """A private cluster that archives every WAL segment into `archive` (docs/deploy.md's
    settings), with a place for its base backup beside it."""

    def __init__(self, archive_timeout: int = 60):
        super().__init__()
        self.archive = self.dir / "archive"
        self.backup = self.dir / "base"
        self._run_as("mkdir", str(self.archive))
        # The settings of docs/deploy.md, "Backups and point-in-time restore", word for word
        # but the paths. A restored cluster keeps them (postgresql.conf is in the backup).
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"""
# --- WAL archiving (tests/support/restore.py)
wal_level = replica
archive_mode = on
archive_command = 'test ! -f {self.archive}/%f && cp %p {self.archive}/%f'
archive_timeout = {archive_timeout}
max_wal_senders = 4
""")

    def _run_as(self, *argv: str) -> subprocess.CompletedProcess:
        result = subprocess.run([*self._as, *argv], capture_output=True, text=True, timeout=3600)
        if result.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {result.stderr or result.stdout}")
        return result

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def base_backup(self) -> None:
        """`pg_basebackup` over the replication protocol, its WAL streamed alongside (so the
        backup is consistent on its own), the checkpoint at once (`-c fast`)."""
        self._run_as(str(self.bindir / "pg_basebackup"), "-D", str(self.backup), "-h", "127.0.0.1",
                     "-p", str(self.port), "-U", "postgres", "-X", "stream", "-c", "fast")

    def switch_and_archive(self) -> str:
        """Close the current WAL segment and wait until the archiver has copied it: everything
        written so far is in the archive. Returns the WAL position of the switch."""
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=3) as conn:
            lsn, segment = conn.execute(
                "SELECT s, pg_walfile_name(s) FROM pg_switch_wal() s").fetchone()

            wait_until(lambda: (conn.execute("SELECT last_archived_wal FROM pg_stat_archiver")
                                .fetchone()[0] or "") >= segment, timeout=1800, interval=0.1)
        return str(lsn)

    def wipe(self) -> None:
        """The disaster: stopped like a crash, the data directory gone."""
        self.stop("immediate")
        self._run_as("rm", "-rf", str(self.data))

    def restore(self, target_time: str) -> float:
        """The base backup copied back, `restore_command` reading the archive, recovery to
        `target_time` then promotion (docs/deploy.md's commands); started. Returns the
        seconds the copy took."""
        started = time.monotonic()
        self._run_as("cp", "-a", str(self.backup), str(self.data))
        copied = time.monotonic() - started
        with open(self.data / "postgresql.auto.conf", "a") as conf:
            conf.write(f"""
# --- point-in-time recovery (tests/support/restore.py)
restore_command = 'cp {self.archive}/%f %p'
recovery_target_time = '{target_time}'
recovery_target_action = 'promote'
""")
        self._run_as("touch", str(self.data / "recovery.signal"))
        self.start()
        return copied

    def writable(self) -> bool:
        """Out of recovery and taking writes (a transaction id is assigned)."""
        try:
            with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=1) as conn:
                if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    return False
                conn.execute("SELECT txid_current()")
                return True
        except psycopg.Error:
            return False


def du(path: Path) -> int:
    """Bytes under `path` (as root or as the owner: `du` itself, the files belong to postgres)."""
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, timeout=600).stdout
    return int(out.split()[0]) if out else 0


@dataclass
class Ack:
    index: int
    reference: str | None   # from the 201 answer; None: no 201
    sent: float             # time.monotonic() when the request left
    answered: float         # ... and when its answer arrived
    status: int


class Stream(threading.Thread):
    """Inquiries one after another through the JSON API, each with its own Idempotency-Key,
    at most `rate` a second, every answer recorded with the moment it arrived."""

    def __init__(self, url: str, api_key: str, rate: float):
        super().__init__(daemon=True)
        self.url, self.api_key, self.rate = url, api_key, rate
        self.acks: list[Ack] = []
        self._halt = threading.Event()

    def run(self) -> None:
        start, i = time.monotonic(), 0
        while not self._halt.is_set():
            sent = time.monotonic()
            answer = post_inquiry(self.url, self.api_key, 500_000 + i, f"restore-{i}")
            body = answer.json()
            reference = body.get("reference") if answer.status == 201 and isinstance(body, dict) else None
            self.acks.append(Ack(i, reference, sent, time.monotonic(), answer.status))
            i += 1
            self._halt.wait(max(0.0, start + i / self.rate - time.monotonic()))

    def finish(self) -> None:
        self._halt.set()
        self.join(timeout=60)


@dataclass
class RestoreResult:
    leads: int = 0                   # seeded before the drill
    seed_seconds: float = 0.0
    backup_seconds: float = 0.0
    backup_bytes: int = 0
    archive_bytes: int = 0
    archive_segments: int = 0
    replay_bytes: int = 0            # WAL from the backup's start to the end of the archive
    restore_seconds: float = 0.0     # destroyed → accepting writes
    copy_seconds: float = 0.0        # of which: the base backup copied back
    target: str = ""
    acknowledged: int = 0            # 201 answers in all
    before: int = 0                  # acknowledged before the target
    after: int = 0                   # sent after the target
    straddling: int = 0              # in flight when the target was read: either side is right
    not_201: int = 0
    lost: list[str] = field(default_factory=list)     # acknowledged before, missing after restore
    leaked: list[str] = field(default_factory=list)   # sent after, present after restore
    leads_restored: int = 0
    stopped_at: str = ""             # the server log's line where recovery stopped
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def seed_leads(url: str, leads: int) -> str:
    """`leads` leads with their history (teams and agents too) by `seed_history` (COPY), as
    bench/reports_bench.py does, and a source site; returns the site's API key."""
    from config import Config
    from crm import create_app
    from crm.demo.history import seed_history
    from crm.extensions import db
    from crm.intake.sites import create_site

    with _environ({"DATABASE_URL": url}):
        app = create_app(Config())
    with app.app_context():
        if leads:
            seed_history(leads)
        _site, api_key = create_site("恢复演练站", ["https://restore.example.cn"])
        db.session.remove()
        db.engine.dispose()
    return api_key


def copy_database(source_url: str, url: str, work: Path) -> None:
    """A copy of another database (e.g. crm_bench, a million leads): pg_dump -Fc, pg_restore -j 2."""
    dump = work / "source.dump"
    subprocess.run(["pg_dump", "-Fc", "-Z", "1", "-f", str(dump), source_url], check=True, timeout=7200)
    subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "-j", "2", "-d", url, str(dump)],
                   check=True, timeout=7200)
    dump.unlink()


def restore_drill(leads: int = 300, before: float = 4, after: float = 3, rate: float = 5,
                  copy_from: str | None = None, backup_first: bool = False,
                  progress=lambda _line: None) -> RestoreResult:
    """The whole drill on its own private cluster; `leads` seeded first (or `copy_from`'s).

    backup_first: the base backup taken of the empty migrated database, before the seeding,
    so the restore replays all of it from the archive (the worst case: a long-ago backup)."""
    result = RestoreResult()

    def take_backup() -> None:
        started = time.monotonic()
        pg.base_backup()
        result.backup_seconds = time.monotonic() - started
        result.backup_bytes = du(pg.backup)

    pg = ArchivingPostgres()
    web = None
    stream = None
    try:
        pg.start()
        progress(f"private PostgreSQL on :{pg.port}, WAL archived to {pg.archive}")
        with psycopg.connect(pg.admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        url = pg.url()
        env = {"DATABASE_URL": url, "CRM_CELERY_QUEUE": "crm-restore-drill",
               "CRM_RATELIMIT_PER_API_KEY": "100000 per minute"}
        if not copy_from:
            migrate(env)
        if backup_first:
            progress("base backup (pg_basebackup) of the empty database …")
            take_backup()
        started = time.monotonic()
        if copy_from:
            progress(f"copying {copy_from} …")
            copy_database(copy_from, url, pg.dir)
            migrate(env)
            api_key = seed_leads(url, 0)
        else:
            progress(f"seeding {leads:,} leads …")
            api_key = seed_leads(url, leads)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE lead")
            result.leads = conn.execute("SELECT count(*) FROM lead").fetchone()[0]
        result.seed_seconds = time.monotonic() - started
        progress(f"{result.leads:,} leads in {result.seed_seconds:.0f} s")

        # No REDIS_URL: routing runs in the request (tasks in-process). An acknowledgement is
        # the 201 with a reference, given after the lead's transaction committed.
        web = Gunicorn(env, workers=2)
        stream = Stream(web.url, api_key, rate)
        stream.start()
        wait_until(lambda: any(a.reference for a in stream.acks), timeout=30)

        if not backup_first:
            progress("base backup (pg_basebackup) while inquiries arrive …")
            take_backup()

        time.sleep(before)   # inquiries after the backup: only the archive has them
        with psycopg.connect(pg.admin_url, autocommit=True, connect_timeout=3) as conn:
            result.target = conn.execute(
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD HH24:MI:SS.US') || '+00'").fetchone()[0]
        target_read = time.monotonic()
        progress(f"recovery target {result.target}; inquiries go on …")
        time.sleep(after)
        wait_until(lambda: any(a.sent > target_read and a.reference for a in stream.acks), timeout=30)
        stream.finish()
        web.stop()
        web = None
        end = pg.switch_and_archive()
        start = (pg.backup / "backup_label").read_text().split("START WAL LOCATION: ", 1)[1].split()[0]
        with psycopg.connect(pg.admin_url, autocommit=True, connect_timeout=3) as conn:
            result.replay_bytes = int(conn.execute("SELECT pg_wal_lsn_diff(%s, %s)",
                                                   (end, start)).fetchone()[0])
        result.archive_segments = sum(1 for f in pg.archive.iterdir() if len(f.name) == 24)
        result.archive_bytes = du(pg.archive)

        progress("destroying the cluster …")
        pg.wipe()
        destroyed = time.monotonic()
        progress("restoring …")
        result.copy_seconds = pg.restore(result.target)
        wait_until(pg.writable, timeout=3600, interval=0.05)
        result.restore_seconds = time.monotonic() - destroyed

        stops = [line for line in pg.log_path.read_text(errors="replace").splitlines()
                 if "recovery stopping" in line]
        result.stopped_at = stops[-1].split("LOG:", 1)[-1].strip() if stops else ""
        _judge(result, stream.acks, target_read, url)
    finally:
        if stream is not None and stream.is_alive():
            stream.finish()
        if web is not None:
            web.stop()
        pg.destroy()
    return result


def _judge(result: RestoreResult, acks: list[Ack], target_read: float, url: str) -> None:
    acknowledged = [a for a in acks if a.reference]
    before = [a.reference for a in acknowledged if a.answered < target_read]
    after = [a.reference for a in acknowledged if a.sent > target_read]
    result.acknowledged = len(acknowledged)
    result.before, result.after = len(before), len(after)
    result.straddling = len(acknowledged) - len(before) - len(after)
    result.not_201 = sum(1 for a in acks if a.status != 201)
    with psycopg.connect(url, connect_timeout=5) as conn:
        present = {r for (r,) in conn.execute(
            "SELECT reference FROM lead WHERE reference = ANY(%s)", (before + after,))}
        result.leads_restored = conn.execute("SELECT count(*) FROM lead").fetchone()[0]
    result.lost = sorted(set(before) - present)
    result.leaked = sorted(set(after) & present)
    if not before:
        result.failures.append("no inquiry was acknowledged before the target")
    if not after:
        result.failures.append("no inquiry was acknowledged after the target")
    if result.lost:
        result.failures.append(f"{len(result.lost)} acknowledged before the target are missing: "
                               f"{result.lost[:5]}")
    if result.leaked:
        result.failures.append(f"{len(result.leaked)} sent after the target are there: recovery "
                               f"did not stop at the target ({result.leaked[:5]})")
    if not result.stopped_at:
        result.failures.append("the server log does not say where recovery stopped")
    if result.not_201:
        result.failures.append(f"{result.not_201} answers were not 201")

