"""The real parts of the stack as processes, for the integration tests and bench/fault_drills.py.

One place for everything that starts something: a throwaway database on a PostgreSQL
server, a private PostgreSQL cluster or Redis (so a drill may stop them without
disturbing anybody else), gunicorn serving the app, Celery workers and beat. Every
process listens on 127.0.0.1 only, logs to a file of its own and is stopped by the
caller (each class has stop(); the private servers also remove their files).
"""
from __future__ import annotations

import errno
import glob
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
from psycopg.conninfo import conninfo_to_dict

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- databases ------------------------------------------------------------------------

def create_database(admin_url: str, prefix: str = "crm_test") -> str:
    """A new empty database on the server of `admin_url`; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def drop_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "flask", "--app", "crm:create_app", *args],
                          cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)


def migrate(env: dict) -> None:
    """`flask db upgrade`: the schema comes from the migrations, exactly as in production."""
    result = run_flask(env, "db", "upgrade")
    if result.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{result.stderr}")


def _pg_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def require_pg_server_binaries() -> Path:
    """The directory of initdb, pg_ctl and pg_basebackup, for a test that builds clusters of
    its own; the test is skipped without them (failed, with CRM_REQUIRE_SERVICES=1)."""
    import pytest

    bindir = _pg_bindir()
    if bindir is None or not (bindir / "pg_basebackup").exists():
        message = "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed"
        if os.environ.get("CRM_REQUIRE_SERVICES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return bindir


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temp dir, a free port), so a drill may
    stop and restart it. As root, the server runs as the `postgres` user (initdb refuses root).

    disk_mb: the data directory (tables and WAL alike) on a tmpfs of that size, mounted
    here (root only), so a drill can fill the disk (fill()) and free it (free()); the
    server's log stays outside, on the real disk, so it can say what happened.
    """

    def __init__(self, disk_mb: int | None = None):
        self.bindir = _pg_bindir()
        if self.bindir is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        if disk_mb is not None and os.geteuid() != 0:
            raise RuntimeError("a small disk of its own (tmpfs) needs root to mount")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="crm-private-pg-"))
        self.disk: Path | None = None
        self.data = self.dir / "data"
        self.log_path = self.dir / "server.log"
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        if disk_mb is not None:
            self.disk = self.dir / "disk"
            self.disk.mkdir()
            user = pwd.getpwnam("postgres")
            subprocess.run(["mount", "-t", "tmpfs", "-o",
                            f"size={disk_mb}m,mode=0700,uid={user.pw_uid},gid={user.pw_gid}",
                            "tmpfs", str(self.disk)], check=True, capture_output=True, timeout=30)
            self.data = self.disk / "data"
        try:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        except BaseException:
            self.destroy()
            raise

    @property
    def filler(self) -> Path:
        assert self.disk is not None, "fill() needs a PrivatePostgres(disk_mb=…)"
        return self.disk / "filler"

    def disk_free(self) -> int:
        """Bytes still free on the cluster's own disk."""
        assert self.disk is not None
        return shutil.disk_usage(self.disk).free

    def fill(self) -> int:
        """Write a filler file until the disk is full (ENOSPC); returns its size in bytes."""
        chunk, written = b"\0" * (1 << 20), 0
        with open(self.filler, "ab", buffering=0) as out:
            for size in (1 << 20, 1 << 12):   # whole megabytes, then the last pages
                block = chunk[:size]
                while True:
                    try:
                        written += out.write(block)
                    except OSError as exc:
                        if exc.errno != errno.ENOSPC:
                            raise
                        break
        return written

    def free(self) -> None:
        """Delete the filler: the space comes back."""
        self.filler.unlink(missing_ok=True)

    def running(self) -> bool:
        """The postmaster is alive (it may still be recovering)."""
        return self._status() == 0

    def _status(self) -> int:
        return subprocess.run([*self._as, str(self.bindir / "pg_ctl"), "-D", str(self.data),
                               "status"], capture_output=True, timeout=30).returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([*self._as, str(self.bindir / tool), *args], capture_output=True,
                                text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stderr or result.stdout}")
        return result

    def start(self) -> None:
        # fsync off: a scratch cluster; a drill never crashes the machine, only the server.
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   f"-c fsync=off -c max_connections=60")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options,
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """mode "fast": a clean shutdown (sessions ended); "immediate": like a crash."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def ready(self) -> bool:
        try:
            with psycopg.connect(self.admin_url, connect_timeout=1) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            return False

    def destroy(self) -> None:
        try:
            if self.data.is_dir() and (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            if self.disk is not None:
                subprocess.run(["umount", str(self.disk)], capture_output=True, timeout=60)
            shutil.rmtree(self.dir, ignore_errors=True)


PGBOUNCER_PORT = int(os.environ.get("CRM_TEST_PGBOUNCER_PORT", "6432"))


class PgBouncer:
    """PgBouncer (Debian's `pgbouncer`) in transaction pooling in front of a PostgreSQL server,
    its config, auth file and log in a temp dir, listening on 127.0.0.1:`port` only.

    `pool_size` server connections per database and user, fewer than the clients a test
    opens (its session, a request's, a worker's), so transactions really take turns on
    shared server connections. `single` names a database alias with one server connection
    (`pool_size=1`, on the server's `postgres` database): there, two clients are certain to
    share it. As root it runs as the `postgres` user (pgbouncer refuses root).
    """

    SINGLE = "crm_bouncer_single"

    def __init__(self, server_url: str, port: int = PGBOUNCER_PORT, pool_size: int = 2):
        self.binary = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
        if self.binary is None:
            raise RuntimeError("pgbouncer is not installed (Debian package `pgbouncer`)")
        server = conninfo_to_dict(server_url)
        self.server_host, self.server_port = server.get("host", "127.0.0.1"), server.get("port", 5432)
        self.user = server.get("user", "postgres")
        self.port, self.pool_size = port, pool_size
        self.dir = Path(tempfile.mkdtemp(prefix="crm-pgbouncer-"))
        self.log_path = self.dir / "pgbouncer.log"
        self.proc: subprocess.Popen | None = None

    def url(self, direct_url: str) -> str:
        """`direct_url` (a database on the server behind) as reached through the bouncer."""
        name = direct_url.rsplit("/", 1)[1]
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    @property
    def single_url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.SINGLE}"

    def start(self) -> None:
        server = f"host={self.server_host} port={self.server_port}"
        (self.dir / "userlist.txt").write_text(f'"{self.user}" ""\n')
        (self.dir / "pgbouncer.ini").write_text(f"""\
[databases]
{self.SINGLE} = {server} dbname=postgres pool_size=1
* = {server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/userlist.txt
admin_users = {self.user}
pool_mode = transaction
default_pool_size = {self.pool_size}
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
logfile = {self.log_path}
pidfile = {self.dir}/pgbouncer.pid
""")
        as_user = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            for child in self.dir.iterdir():
                shutil.chown(child, "postgres")
            as_user = ["-u", "postgres"]
        self.proc = subprocess.Popen([self.binary, *as_user, str(self.dir / "pgbouncer.ini")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
                self.stop()
                raise RuntimeError(f"pgbouncer did not start on 127.0.0.1:{self.port}:\n{log[-2000:]}")
            time.sleep(0.05)

    def version(self) -> str:
        out = subprocess.run([self.binary, "-V"], capture_output=True, text=True, timeout=10).stdout
        return out.split("\n", 1)[0].removeprefix("PgBouncer ").strip()

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return "listening on" in self.log_path.read_text(errors="replace")
        except OSError:
            return False

    def show(self, what: str) -> list[dict]:
        """A `SHOW …` of the admin console (simple query protocol only, so a client-side
        cursor in autocommit)."""
        with psycopg.connect(f"postgresql://{self.user}@127.0.0.1:{self.port}/pgbouncer",
                             autocommit=True, cursor_factory=psycopg.ClientCursor,
                             connect_timeout=3) as admin:
            cur = admin.execute(f"SHOW {what}")
            names = [c.name for c in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A Redis of our own, so stopping it disturbs nobody else."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.ping, timeout=10)

    def ping(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _sentinel_argv(config: Path) -> list[str]:
    """Debian's `redis-sentinel` (package redis-sentinel), or the same binary in Sentinel mode."""
    found = shutil.which("redis-sentinel")
    return [found, str(config)] if found else ["redis-server", str(config), "--sentinel"]


class SentinelRedis:
    """A replicated Redis of our own under three Sentinels (quorum 2), on fixed ports: a master,
    one replica, and Sentinels that declare the master down after `down_after_ms` without an
    answer and promote the replica. Files and logs in a temp dir; stop() ends every process.

    `url` is the app's REDIS_URL for it, `master_name` its CRM_REDIS_MASTER_NAME."""

    def __init__(self, master_port: int = 6390, replica_port: int = 6391,
                 sentinel_ports: tuple[int, ...] = (26390, 26391, 26392),
                 master_name: str = "crm-sentinel-drill", down_after_ms: int = 1000,
                 failover_timeout_ms: int = 5000):
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed")
        self.master_port, self.replica_port = master_port, replica_port
        self.sentinel_ports, self.master_name = sentinel_ports, master_name
        self.down_after_ms, self.failover_timeout_ms = down_after_ms, failover_timeout_ms
        self.dir = Path(tempfile.mkdtemp(prefix="crm-sentinel-"))
        self.url = ";".join(f"sentinel://127.0.0.1:{port}/0" for port in sentinel_ports)
        self.procs: dict[str, subprocess.Popen] = {}

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.dir / f"{name}.log", "w")
        self.procs[name] = subprocess.Popen(argv, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def _server(self, name: str, port: int, *extra: str) -> None:
        data = self.dir / name
        data.mkdir()
        self._spawn(name, ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                           "--dir", str(data), "--save", "", "--appendonly", "no", *extra])

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_connect_timeout=0.5, socket_timeout=0.5)

    def start(self) -> None:
        """Start everything; on any failure stop what was started and raise RuntimeError."""
        try:
            self._start()
        except BaseException as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n{self.logs()}") from exc

    def _start(self) -> None:
        for port in (self.master_port, self.replica_port, *self.sentinel_ports):
            with socket.socket() as probe:  # another run's leftovers would be taken for ours
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    raise RuntimeError(f"port {port} is already taken")
        self._server("master", self.master_port)
        wait_until(lambda: _answers(self.node(self.master_port)), timeout=10)
        self._server("replica", self.replica_port, "--replicaof", "127.0.0.1", str(self.master_port))
        # In sync before the Sentinels start: their first INFO of the master then lists the
        # replica (the next one would come 10 s later).
        wait_until(lambda: self.node(self.master_port).info("replication").get("slave0", {})
                   .get("state") == "online", timeout=20)
        for port in self.sentinel_ports:
            config = self.dir / f"sentinel-{port}.conf"  # Sentinel rewrites it: a file of its own
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.dir}\n"
                f"sentinel monitor {self.master_name} 127.0.0.1 {self.master_port} 2\n"
                f"sentinel down-after-milliseconds {self.master_name} {self.down_after_ms}\n"
                f"sentinel failover-timeout {self.master_name} {self.failover_timeout_ms}\n"
                f"sentinel parallel-syncs {self.master_name} 1\n")
            self._spawn(f"sentinel-{port}", _sentinel_argv(config))
        # A failover needs a majority of Sentinels that know one another and the replica.
        wait_until(lambda: all(self._sees_everyone(port) for port in self.sentinel_ports), timeout=30,
                   interval=0.2)

    def _sees_everyone(self, port: int) -> bool:
        try:
            # The raw reply (redis-py's sentinel_* helpers change shape between versions).
            reply = self.node(port).execute_command("SENTINEL", "MASTER", self.master_name)
        except redis.RedisError:
            return False
        state = reply if isinstance(reply, dict) else dict(zip(reply[::2], reply[1::2], strict=True))
        return (state.get(b"num-other-sentinels") == str(len(self.sentinel_ports) - 1).encode()
                and state.get(b"num-slaves") == b"1")

    def master_port_reported(self) -> int | None:
        """The master's port as a majority of the Sentinels report it (None: no majority)."""
        ports = []
        for port in self.sentinel_ports:
            try:
                ports.append(int(self.node(port).execute_command(
                    "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.master_name)[1]))
            except (redis.RedisError, TypeError, IndexError):
                pass
        best = max(set(ports), key=ports.count, default=None)
        return best if best is not None and ports.count(best) * 2 > len(self.sentinel_ports) else None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def kill_master(self) -> None:
        """SIGKILL: no shutdown, no goodbye to the replica or the clients."""
        self.procs["master"].kill()
        self.procs["master"].wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.dir.glob("*.log")))

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        self.procs.clear()


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


# --- processes of the app -------------------------------------------------------------

class Service:
    """A child process in its own session, its output in a log file.

    supervise=True restarts it whenever it exits on its own, as systemd's `Restart=always`
    (deploy/systemd/) does in production; `restarts` counts how often that was needed.
    """

    def __init__(self, env: dict, name: str, argv: list[str], log_dir: str | None = None,
                 supervise: bool = False):
        log_dir = Path(log_dir or tempfile.gettempdir())
        self.name = name
        self.log_path = log_dir / f"{env.get('CRM_CELERY_QUEUE', 'crm')}-{name}.log"
        self.log = open(self.log_path, "w")
        self._argv, self._env = argv, {**os.environ, **env}
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._spawn()
        if supervise:
            threading.Thread(target=self._supervise, daemon=True).start()

    def _spawn(self) -> None:
        self.proc = subprocess.Popen(self._argv, cwd=ROOT, env=self._env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def _supervise(self) -> None:
        while not self._stopping.wait(0.2):
            with self._lock:
                if self._stopping.is_set() or self.proc.poll() is None:
                    continue
                self.log.write(f"\n--- supervisor: {self.name} exited with {self.proc.returncode}; "
                               f"restarting it ---\n")
                self.log.flush()
                self.restarts += 1
                self._spawn()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, ready, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start:\n{self.output()[-4000:]}")
            time.sleep(0.2)

    def kill(self, sig=signal.SIGKILL) -> None:
        """Signal the whole process group (a Celery worker and its pool children)."""
        os.killpg(self.proc.pid, sig)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.kill(signal.SIGKILL)
                    self.proc.wait()
            if not self.log.closed:
                self.log.close()


class Worker(Service):
    """A real `celery -A workers worker` process on the run's queue, named `name@host`."""

    def __init__(self, env: dict, name: str, concurrency: int = 1, pool: str = "prefork",
                 log_dir: str | None = None, supervise: bool = False):
        # A drill's worker pauses mid-routing (tests/support/drill_app.py); others are the real one.
        app = "tests.support.drill_app" if env.get("CRM_FAULT_ROUTE_PAUSE_SECONDS") else "workers"
        super().__init__(env, name, [
            PYTHON, "-m", "celery", "-A", app, "worker", "-Q", env["CRM_CELERY_QUEUE"],
            "-n", f"{name}@%h", "--pool", pool, "--concurrency", str(concurrency),
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],
            log_dir, supervise)
        self.wait_for(lambda: "ready." in self.output())

    def task_events(self) -> list[tuple[str, str, str]]:
        """(time, task id, event) for each task line Celery logged at INFO."""
        return [m.groups() for m in _TASK_EVENT.finditer(self.output())]

    def finished(self, task_id: str) -> bool:
        """The worker logged this task's end (success or failure): its work is done."""
        return task_id in _ended(self)

    def idle(self) -> bool:
        return not _unfinished(self)


# Celery's own log lines at INFO: "[<time>: INFO/…] … Task <name>[<id>] received" and
# "… succeeded in 0.1s: …" / "raised …" / "retry: Retry in 1s" (a new delivery follows). A
# delivery lost with a killed pool child is logged without its id, then received again.
_TASK_EVENT = re.compile(r"^\[([\d-]+ [\d:,]+):[^\]]*\].*? Task [\w.]+\[([0-9a-f-]{36})\] "
                         r"(received|succeeded|failed|raised|retry)", re.M)
_ENDS = ("succeeded", "failed", "raised")


def _last_events(*workers: Worker) -> dict[str, str]:
    """Each task's latest event over all the workers (a retry may run on another one)."""
    last: dict[str, str] = {}
    events = [e for worker in workers for e in worker.task_events()]
    for _at, task_id, what in sorted(events, key=lambda e: (e[0], e[2] in _ENDS)):
        last[task_id] = what
    return last


def _ended(*workers: Worker) -> set[str]:
    return {task_id for task_id, what in _last_events(*workers).items() if what in _ENDS}


def _unfinished(*workers: Worker) -> set[str]:
    return set(_last_events(*workers)) - _ended(*workers)


def settled(env: dict, *workers: Worker) -> bool:
    """Nothing left to happen: the run's queue is empty and every task the workers took has
    ended (its latest delivery, on whichever worker, succeeded or failed).

    What the tests wait on before asserting that something did *not* happen (a second
    assignment, a duplicate): unlike a sleep, it cannot pass while work is still in flight.
    """
    from config import DEFAULT_REDIS_MASTER_NAME
    from crm import redis_client  # a sentinel:// URL too (the Sentinel drill)

    store = redis_client.shared(env["REDIS_URL"],
                                env.get("CRM_REDIS_MASTER_NAME", DEFAULT_REDIS_MASTER_NAME), 2.0)
    queue_length = store.llen(env["CRM_CELERY_QUEUE"])
    return queue_length == 0 and not _unfinished(*workers)


class Beat(Service):
    """`celery -A workers beat`: the real scheduler, its schedule file in a temp dir."""

    def __init__(self, env: dict, log_dir: str | None = None, supervise: bool = False):
        self.schedule_dir = tempfile.mkdtemp(prefix="crm-beat-")
        super().__init__(env, "beat", [
            PYTHON, "-m", "celery", "-A", "workers", "beat", "-l", "INFO",
            "-s", os.path.join(self.schedule_dir, "schedule")], log_dir, supervise)
        self.wait_for(lambda: "beat: Starting" in self.output())

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.schedule_dir, ignore_errors=True)


class Gunicorn(Service):
    """The app under gunicorn with the project's gunicorn.conf.py, on a free port.

    Each instance gets its own control socket (gunicorn's default, ~/.gunicorn/gunicorn.ctl,
    is one per user: a second instance on the machine would take it over)."""

    def __init__(self, env: dict, name: str = "web", workers: int = 2, log_dir: str | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.run_dir = tempfile.mkdtemp(prefix="crm-gunicorn-")
        super().__init__({**env, "CRM_BIND": f"127.0.0.1:{self.port}",
                          "CRM_WEB_WORKERS": str(workers)}, name,
                         [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                          "--control-socket", os.path.join(self.run_dir, "gunicorn.ctl"),
                          "crm:create_app()"], log_dir)
        self.wait_for(lambda: get(self.url + "/healthz").status == 200)

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)


def start_together(*starters) -> list:
    """Start several services at once (each waits for its own readiness); if one fails,
    stop the others and raise. `starters` are callables such as
    `lambda: Worker(env, "w1")`."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(starters)) as pool:
        futures = [pool.submit(start) for start in starters]
    failed = [f.exception() for f in futures if f.exception() is not None]
    started = [f.result() for f in futures if f.exception() is None]
    if failed:
        for service in started:
            service.stop()
        raise failed[0]
    return started


# --- HTTP -----------------------------------------------------------------------------

@dataclass
class Answer:
    status: int          # 0: no HTTP answer at all (connection refused, reset, timeout)
    text: str
    headers: dict

    def json(self):
        try:
            return json.loads(self.text)
        except ValueError:
            return None


def request(method: str, url: str, body: dict | None = None, headers: dict | None = None,
            timeout: float = 15) -> Answer:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Answer(response.status, response.read().decode(errors="replace"),
                          dict(response.headers))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode(errors="replace"), dict(error.headers))
    except (urllib.error.URLError, OSError) as error:
        return Answer(0, repr(error), {})


def get(url: str, **kwargs) -> Answer:
    return request("GET", url, **kwargs)


def post_inquiry(base_url: str, api_key: str, i: int, idempotency_key: str | None = None) -> Answer:
    """One inquiry through the JSON API, as a partner site sends it; mobile 139 + i."""
    headers = {"X-Api-Key": api_key}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return request("POST", base_url + "/api/v1/inquiries", headers=headers, body={
        "contact_name": f"客户{i}", "mobile": f"139{i:08d}", "consent": True,
        "message": f"第{i}号询盘"})


# --- what the database says -----------------------------------------------------------

@dataclass
class LeadAudit:
    leads: int
    routed: int
    assignment_activities: int
    duplicates: int                  # assignment activities beyond the first of their lead
    leads_assigned_twice: int        # leads with more than one assignment activity
    without_stage_row: int           # a lead whose "created" stage row is missing
    routed_without_assignment: int   # routed_at set but no assignment activity
    assignment_on_unrouted: int      # an assignment activity on a lead never routed
    references: set
    per_agent: dict

    @property
    def half_written(self) -> int:
        return self.without_stage_row + self.routed_without_assignment + self.assignment_on_unrouted


def audit_leads(db_url: str) -> LeadAudit:
    """Counts straight from PostgreSQL (not through the app), for the drills' verdicts."""
    with psycopg.connect(db_url, connect_timeout=5) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        per_lead = "SELECT lead_id, count(*) AS n FROM activity WHERE kind = 'assignment' GROUP BY lead_id"
        return LeadAudit(
            leads=one("SELECT count(*) FROM lead"),
            routed=one("SELECT count(*) FROM lead WHERE routed_at IS NOT NULL"),
            assignment_activities=one("SELECT count(*) FROM activity WHERE kind = 'assignment'"),
            duplicates=one(f"SELECT coalesce(sum(n - 1), 0) FROM ({per_lead}) a"),
            leads_assigned_twice=one(f"SELECT count(*) FROM ({per_lead}) a WHERE n > 1"),
            without_stage_row=one("SELECT count(*) FROM lead l WHERE NOT EXISTS "
                                  "(SELECT 1 FROM lead_stage s WHERE s.lead_id = l.id)"),
            routed_without_assignment=one(
                "SELECT count(*) FROM lead l WHERE l.routed_at IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM activity a WHERE a.lead_id = l.id AND a.kind = 'assignment')"),
            assignment_on_unrouted=one(
                "SELECT count(*) FROM activity a JOIN lead l ON l.id = a.lead_id "
                "WHERE a.kind = 'assignment' AND l.routed_at IS NULL"),
            references={r for (r,) in conn.execute("SELECT reference FROM lead")},
            per_agent=dict(conn.execute(
                "SELECT assigned_to_id, count(*) FROM lead WHERE assigned_to_id IS NOT NULL "
                "GROUP BY assigned_to_id").fetchall()),
        )
