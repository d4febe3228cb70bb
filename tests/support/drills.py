"""Fault drills on the real stack: gunicorn, Celery workers and beat, PostgreSQL, Redis.

Each drill builds its own deployment on a fresh database and queue, breaks one part
while inquiries arrive over HTTP, and judges the outcome from the HTTP answers, the
processes' logs and the database (straight through psycopg, not through the app).
bench/fault_drills.py runs them all and prints the table; the integration tests call
the same functions.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field

import psutil

from tests.support.stack import (
    Beat,
    Gunicorn,
    LeadAudit,
    PrivatePostgres,
    PrivateRedis,
    Worker,
    audit_leads,
    create_database,
    drop_database,
    get,
    migrate,
    post_inquiry,
    start_together,
    wait_until,
)

# The only thing a prospect or a partner site may see while the database is away.
UNAVAILABLE_MESSAGES = {"服务暂时不可用，请一分钟后再试。",
                        "The service is briefly unavailable. Please try again in a minute."}
RATE_LIMIT_FAIL_OPEN_LOG = "Rate limit storage unreachable - falling back to in-memory storage"
# What Flask (an unhandled exception) and gunicorn (an error outside Flask) log with a traceback.
UNHANDLED_ERROR_LOGS = ("Exception on /", "Error handling request")


@dataclass
class DrillResult:
    drill: str
    submissions: int = 0
    saved: int = 0
    routed: int = 0
    duplicates: int = 0
    errors: int = 0          # unexpected HTTP answers + unhandled-exception tracebacks in logs
    clean_503: int = 0       # the clear "briefly unavailable" answer (only the database drill)
    restarts: int = 0        # supervised processes that died and were restarted (Restart=always)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def expect(self, ok: bool, message: str) -> bool:
        if not ok:
            self.failures.append(message)
        return ok

    @property
    def passed(self) -> bool:
        return not self.failures


# --- a deployment of its own ----------------------------------------------------------

@contextlib.contextmanager
def _environ(env: dict):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def seed(env: dict, agents: int = 3) -> tuple[str, list[int]]:
    """One default round-robin team of `agents` agents and a source site; returns its API key."""
    from config import Config
    from crm import create_app
    from crm.extensions import db
    from tests.factories import TeamFactory, UserFactory, make_site

    with _environ(env):
        app = create_app(Config())
    with app.app_context():
        team = TeamFactory(name="演练组")
        ids = [UserFactory(team=team).id for _ in range(agents)]
        _site, api_key = make_site("演练站")
        db.session.remove()
        db.engine.dispose()
    return api_key, ids


@dataclass
class Deployment:
    """A migrated throwaway database, a queue name, the environment every process shares."""
    admin_url: str
    redis_url: str
    name: str
    db_url: str = ""
    env: dict = field(default_factory=dict)
    api_key: str = ""
    agent_ids: list[int] = field(default_factory=list)
    processes: list = field(default_factory=list)

    def __enter__(self) -> Deployment:
        self.db_url = create_database(self.admin_url, prefix="crm_drill")
        self.env = {
            "DATABASE_URL": self.db_url, "REDIS_URL": self.redis_url,
            "CRM_CELERY_QUEUE": f"crm-drill-{self.name}-{uuid.uuid4().hex[:6]}",
            # The beat sweeper re-enqueues leads unrouted for this long (production: 60 s).
            "CRM_SWEEP_AFTER_SECONDS": "10",
            # Rate limiting stays on (it is part of what the Redis drill watches), but a
            # partner's burst must not be cut by the per-key limit.
            "CRM_RATELIMIT_PER_API_KEY": "100000 per minute",
        }
        migrate(self.env)
        self.api_key, self.agent_ids = seed(self.env)
        return self

    def up(self, *starters) -> list:
        """Start services together (see start_together); they are stopped on exit."""
        services = start_together(*starters)
        self.processes.extend(services)
        return services

    def audit(self) -> LeadAudit:
        return audit_leads(self.db_url)

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            process.stop()
        drop_database(self.admin_url, self.db_url)


# --- load -----------------------------------------------------------------------------

@dataclass
class Sent:
    index: int
    at: float
    status: int
    body: dict | None
    text: str


class Burst(threading.Thread):
    """Inquiries through the JSON API at a steady rate, round-robin over the web instances,
    each with its own Idempotency-Key (a partner retries with the same key)."""

    def __init__(self, urls: list[str], api_key: str, rate: float, count: int | None = None,
                 tag: str = "drill"):
        super().__init__(daemon=True)
        self.urls, self.api_key, self.rate, self.count, self.tag = urls, api_key, rate, count, tag
        self.sent: list[Sent] = []
        self._halt = threading.Event()

    def key(self, i: int) -> str:
        return f"{self.tag}-{i}"

    def post(self, i: int) -> Sent:
        at = time.monotonic()
        answer = post_inquiry(self.urls[i % len(self.urls)], self.api_key, i, self.key(i))
        sent = Sent(i, at, answer.status, answer.json(), answer.text)
        self.sent.append(sent)
        return sent

    def run(self) -> None:
        start, i = time.monotonic(), 0
        while not self._halt.is_set() and (self.count is None or i < self.count):
            self.post(i)
            i += 1
            self._halt.wait(max(0.0, start + i / self.rate - time.monotonic()))

    def finish(self) -> None:
        self._halt.set()
        self.join(timeout=60)

    def indexes(self) -> set[int]:
        return {s.index for s in self.sent}

    def accepted(self) -> dict[int, str]:
        """Submission → the reference its 201 answer gave."""
        return {s.index: s.body["reference"] for s in self.sent
                if s.status == 201 and isinstance(s.body, dict) and "reference" in s.body}

    def resubmit_failed(self, timeout: float = 30) -> None:
        """Send every submission that never got its 201 again, with its key, until it does."""
        deadline = time.monotonic() + timeout
        while (missing := sorted(self.indexes() - set(self.accepted()))) and time.monotonic() < deadline:
            for i in missing:
                self.post(i)
            time.sleep(0.5)


@dataclass
class FormAnswer:
    status: int
    text: str
    reference: str | None     # on the thank-you page after a 201-like success (302 → 200)

    @property
    def clean_503(self) -> bool:
        return (self.status == 503 and "<h1>503</h1>" in self.text and "Traceback" not in self.text
                and any(m in self.text for m in UNAVAILABLE_MESSAGES))


def post_public_form(base_url: str, i: int) -> FormAnswer:
    """A prospect on the public /inquiry page: load the form (its session cookie, CSRF and
    fill tokens), fill it in, send it, follow the redirect to the thank-you page; mobile
    138 + i. The web's CRM_SPAM_MIN_FILL_SECONDS must be 0 (nobody waits 3 s here)."""
    import http.cookiejar
    import re
    import urllib.error
    import urllib.parse
    import urllib.request

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(url: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with opener.open(url, data=body, timeout=15) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as error:
            return 0, repr(error)

    status, html = call(base_url + "/inquiry")
    if status != 200:
        return FormAnswer(status, html, None)
    hidden = dict(re.findall(r'<input[^>]*?name="(csrf_token|started)"[^>]*?value="([^"]*)"', html))
    status, html = call(base_url + "/inquiry", {
        **hidden, "contact_name": f"访客{i}", "mobile": f"138{i:08d}", "consent": "y",
        "message": f"第{i}号表单询盘"})
    found = re.search(r'<p class="reference" id="reference">([^<]+)</p>', html)
    return FormAnswer(status, html, found.group(1).strip() if found else None)


def is_clean_503(sent: Sent) -> bool:
    return (sent.status == 503 and isinstance(sent.body, dict)
            and sent.body.get("error") in UNAVAILABLE_MESSAGES and "Traceback" not in sent.text)


def unhandled_errors(*logs: str) -> int:
    return sum(log.count(marker) for log in logs for marker in UNHANDLED_ERROR_LOGS)


def _judge_routing(result: DrillResult, burst: Burst, audit: LeadAudit, agent_ids: list[int],
                   forms: list[FormAnswer] = ()) -> None:
    """`forms`: the public form's answers besides the burst; each thank-you page's reference
    must be a lead, and a refused form (503) none."""
    accepted = burst.accepted()
    thanked = {f.reference for f in forms if f.reference}
    result.submissions = len(burst.indexes()) + len(forms)
    result.saved = len((set(accepted.values()) | thanked) & audit.references)
    result.routed = audit.routed
    result.duplicates = audit.duplicates
    result.expect(len(accepted) + len(thanked) == result.submissions
                  - sum(f.clean_503 for f in forms),
                  f"{result.submissions - len(accepted) - len(thanked)} submissions never accepted")
    result.expect(result.saved == len(accepted) + len(thanked),
                  f"{len(accepted) + len(thanked) - result.saved} accepted but have no lead row")
    result.expect(audit.leads == len(accepted) + len(thanked),
                  f"{audit.leads} leads for {len(accepted) + len(thanked)} accepted submissions")
    result.expect(audit.routed == audit.leads, f"{audit.leads - audit.routed} leads never routed")
    result.expect(audit.duplicates == 0 and audit.leads_assigned_twice == 0,
                  f"{audit.leads_assigned_twice} leads assigned more than once")
    result.expect(audit.assignment_activities == audit.routed,
                  f"{audit.assignment_activities} assignment activities for {audit.routed} routed leads")
    result.expect(audit.half_written == 0,
                  f"half-written: {audit.without_stage_row} leads without their stage row, "
                  f"{audit.routed_without_assignment} routed without an assignment activity, "
                  f"{audit.assignment_on_unrouted} assignments on unrouted leads")
    counts = [audit.per_agent.get(a, 0) for a in agent_ids]
    result.expect(max(counts) - min(counts) <= 1, f"round-robin unfair: {counts}")


def _wait_routed(deployment: Deployment, timeout: float) -> float | None:
    """The moment (time.monotonic) every lead was seen routed, or None after `timeout`."""
    try:
        wait_until(lambda: (a := deployment.audit()).leads and a.routed == a.leads,
                   timeout=timeout, interval=0.5)
    except AssertionError:
        return None
    return time.monotonic()


def _child_mid_routing(worker: Worker, db_url: str, timeout: float = 20) -> psutil.Process:
    """A pool child of `worker` inside a routing transaction (its locks held, nothing committed)."""
    import psycopg

    def find():
        with psycopg.connect(db_url) as conn:
            ports = {port for (port,) in conn.execute(
                "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'idle in transaction'")}
        for child in psutil.Process(worker.proc.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if any(c.laddr and c.laddr.port in ports for c in child.net_connections("tcp")):
                    return child
        return None
    return wait_until(find, timeout=timeout, interval=0.05)


# --- drill 1: Redis stopped -----------------------------------------------------------

def redis_outage_drill(admin_url: str, outage: float = 30, rate: float = 3) -> DrillResult:
    """Redis (broker and rate-limit store) stopped for `outage` seconds during a burst,
    at a moment when the worker is in the middle of routing a lead (its message unacked)."""
    result = DrillResult(f"Redis stopped {outage:g} s")
    started = time.monotonic()
    private = PrivateRedis()
    private.start()
    try:
        with Deployment(admin_url, private.url, "redis") as deployment:
            env = deployment.env
            # Worker and beat supervised as systemd does (Restart=always): see the note below.
            # Beat's first sweep is due 60 s after it starts, about 25 s after Redis is back.
            web, worker, beat = deployment.up(
                lambda: Gunicorn(env),
                # A short pause inside routing, so that Redis can be stopped mid-routing.
                lambda: Worker({**env, "CRM_FAULT_ROUTE_PAUSE_SECONDS": "0.1"}, "w1",
                               concurrency=2, supervise=True),
                lambda: Beat(env, supervise=True))
            burst = Burst([web.url], deployment.api_key, rate, tag="redis")
            burst.start()
            time.sleep(5)
            _child_mid_routing(worker, deployment.db_url)
            private.stop()
            down_at = time.monotonic()
            time.sleep(outage)
            private.start()
            up_at = time.monotonic()
            time.sleep(5)
            burst.finish()
            during = [s for s in burst.sent if down_at <= s.at < up_at]
            done = _wait_routed(deployment, timeout=75)
            routed_after = done - up_at if done is not None else None
            audit = deployment.audit()
            _judge_routing(result, burst, audit, deployment.agent_ids)
            unexpected = [s for s in burst.sent if s.status != 201]
            result.errors = len(unexpected) + unhandled_errors(web.output())
            result.expect(not unexpected, f"{len(unexpected)} answers were not 201: "
                          f"{sorted({s.status for s in unexpected})}")
            result.expect(len(during) >= outage * rate * 0.5,
                          f"only {len(during)} submissions fell in the outage")
            result.expect(routed_after is not None and routed_after <= 60,
                          f"not all routed within 60 s of Redis returning ({routed_after})")
            result.expect(RATE_LIMIT_FAIL_OPEN_LOG in web.output(),
                          "the web log does not say the rate limits failed open")
            result.expect("could not enqueue workers.tasks.route_lead" in web.output(),
                          "no enqueue failed: Redis was not really down for the web")
            # Routed by the sweeper, or sooner: the first routing task after Redis returned
            # takes the backlog along (a batch), when submissions go on.
            swept = "workers.tasks.sweep_unrouted" in beat.output()
            result.restarts = worker.restarts + beat.restarts
            crashes = worker.output().count("Unrecoverable error")
            # workers/broker_close.py: a worker no longer dies when Redis goes away mid-task.
            result.expect(crashes == 0 and worker.restarts == 0,
                          f"the worker died {crashes}× when Redis went away ('Unrecoverable error'); "
                          f"its supervisor restarted it {worker.restarts}×")
            result.notes.append(f"{len(during)} submitted while Redis was down; all routed "
                                f"{routed_after:.0f} s after it returned"
                                + (" (the sweeper ran)" if swept else
                                   " (by the routing tasks of new submissions, which take the "
                                   "backlog along, before the sweeper's turn)")
                                if routed_after is not None else "routing did not finish")
    finally:
        private.stop()
    result.seconds = time.monotonic() - started
    return result


# --- drill 2: a worker killed while routing ---------------------------------------------

def worker_kill_drill(admin_url: str, redis_url: str, count: int = 30, rate: float = 3) -> DrillResult:
    """SIGKILL a worker's pool child, then the whole worker, each in the middle of routing."""
    result = DrillResult("worker SIGKILLed")
    started = time.monotonic()
    with Deployment(admin_url, redis_url, "kill") as deployment:
        env = deployment.env
        web, doomed, steady, _beat = deployment.up(
            lambda: Gunicorn(env),
            lambda: Worker({**env, "CRM_FAULT_ROUTE_PAUSE_SECONDS": "1.5"}, "doomed", concurrency=2),
            lambda: Worker(env, "steady"), lambda: Beat(env))
        burst = Burst([web.url], deployment.api_key, rate, count=count, tag="kill")
        burst.start()
        # One pool child killed mid-routing: the parent notices, the task is rejected and requeued.
        _child_mid_routing(doomed, deployment.db_url).send_signal(signal.SIGKILL)
        wait_until(lambda: "exited with 'signal 9 (SIGKILL)'" in doomed.output(), timeout=20)
        # Then the whole worker, parent and children, again mid-routing: its messages stay
        # unacked in Redis (back after the visibility timeout); the beat sweeper re-enqueues.
        _child_mid_routing(doomed, deployment.db_url)
        doomed.kill(signal.SIGKILL)
        doomed.proc.wait()
        killed_at = time.monotonic()
        burst.join(timeout=60)
        done = _wait_routed(deployment, timeout=90)
        audit = deployment.audit()
        _judge_routing(result, burst, audit, deployment.agent_ids)
        unexpected = [s for s in burst.sent if s.status != 201]
        result.errors = len(unexpected) + unhandled_errors(web.output())
        result.expect(not unexpected, f"{len(unexpected)} answers were not 201")
        log = doomed.output()
        routed_by_doomed = log.count("routed to")
        result.expect("routed to" in steady.output(), "the surviving worker routed nothing")
        lost = "WorkerLostError" in log
        result.notes.append("pool child killed mid-routing ("
                            + ("WorkerLostError, task requeued" if lost else
                               "Celery reported no WorkerLostError: its unacked message waits for "
                               "the visibility timeout, the sweeper routes the batch")
                            + "), then the whole "
                            f"worker; it had routed {routed_by_doomed}; all routed "
                            + (f"{done - killed_at:.0f} s after the kill" if done is not None
                               else "— never"))
    result.seconds = time.monotonic() - started
    return result


# --- drill 3: PostgreSQL restarted ------------------------------------------------------

def postgres_restart_drill(pg: PrivatePostgres, redis_url: str, gap: float = 5, rate: float = 4,
                           before: float = 5, after: float = 8) -> DrillResult:
    """The database stopped like a crash (immediate) for `gap` seconds under load, then started.

    `pg` is a private cluster: stopping it disturbs nobody else.
    """
    result = DrillResult(f"PostgreSQL down {gap:g} s")
    started = time.monotonic()
    with Deployment(pg.admin_url, redis_url, "pg") as deployment:
        env = deployment.env
        web, worker, _beat = deployment.up(lambda: Gunicorn(env),
                                           lambda: Worker(env, "w1", concurrency=2),
                                           lambda: Beat(env))
        burst = Burst([web.url], deployment.api_key, rate, tag="pg")
        burst.start()
        time.sleep(before)
        pg.stop("immediate")
        down_at = time.monotonic()
        page = get(web.url + "/listings/1")       # an HTML page that needs the database
        ready = get(web.url + "/readyz")          # the load balancer's check
        time.sleep(max(0.0, gap - (time.monotonic() - down_at)))
        pg.start()
        up_at = time.monotonic()
        time.sleep(after)
        burst.finish()
        burst.resubmit_failed(timeout=30)
        # Then a clean restart while the site is idle: every pooled connection is now dead.
        # pool_pre_ping notices before use, so the very first requests succeed (without it,
        # the first request of each web process fails).
        pg.stop("fast")
        pg.start()
        first_index = max(burst.indexes()) + 1
        after_idle = [burst.post(first_index + n) for n in range(6)]
        _wait_routed(deployment, timeout=60)
        audit = deployment.audit()
        _judge_routing(result, burst, audit, deployment.agent_ids)

        clean = [s for s in burst.sent if is_clean_503(s)]
        unexpected = [s for s in burst.sent if s.status != 201 and not is_clean_503(s)]
        result.clean_503 = len(clean)
        result.errors = len(unexpected) + unhandled_errors(web.output(), worker.output())
        result.expect(not unexpected, f"{len(unexpected)} answers neither 201 nor the clear 503: "
                      f"{[(s.status, s.text[:80]) for s in unexpected[:3]]}")
        result.expect(bool(clean), "no request met the gap (no 503 answer)")
        result.expect(unhandled_errors(web.output(), worker.output()) == 0,
                      "an unhandled exception (stack trace) in the web or worker log")
        result.expect(page.status == 503 and "<h1>503</h1>" in page.text
                      and "Traceback" not in page.text,
                      f"the HTML page during the gap: {page.status}")
        result.expect(ready.status == 503 and (ready.json() or {}).get("status") == "unavailable",
                      f"/readyz during the gap: {ready.status}")
        after_up = [s for s in burst.sent if s.at >= up_at + 3]
        result.expect(bool(after_up) and all(s.status == 201 for s in after_up),
                      "requests 3 s after the restart still failed: the app did not reconnect")
        result.expect(all(s.status == 201 for s in after_idle),
                      f"after an idle restart: {[s.status for s in after_idle]} (no reconnect?)")
        result.notes.append(f"{len(clean)} clear 503 answers during the gap, each retried with its "
                            f"Idempotency-Key: {audit.leads} leads for {result.submissions} submissions")
    result.seconds = time.monotonic() - started
    return result


# --- drill 4: PostgreSQL's disk full ----------------------------------------------------

# What PostgreSQL logs when it cannot extend a table or write WAL for lack of space.
DISK_FULL_LOGS = ("No space left on device", "could not extend file")


def _stop_on_wal(pg: PrivatePostgres, tries: int = 30) -> bool:
    """On the full disk, make the server start a new WAL segment (a write, then a segment
    switch), as a busy server does every 16 MB: it cannot create the file and PANICs, its
    crash recovery fails alike, the postmaster exits. True once it is gone."""
    import psycopg

    for _ in range(tries):
        with contextlib.suppress(psycopg.Error):
            with psycopg.connect(pg.admin_url, autocommit=True, connect_timeout=3) as conn:
                conn.execute("UPDATE crm_drill_wal SET n = n + 1")
                conn.execute("SELECT pg_switch_wal()")
        with contextlib.suppress(AssertionError):
            return wait_until(lambda: not pg.running(), timeout=2, interval=0.2)
    return False


def disk_full_drill(pg: PrivatePostgres, redis_url: str, rate: float = 4, before: float = 4,
                    full: float = 10, after: float = 8, wal: bool = False) -> DrillResult:
    """PostgreSQL's disk filled (a filler file on its small tmpfs) under load for at least
    `full` seconds, then freed: a clear 503 while nothing can be written, never a stack
    trace; every inquiry answered 201 saved, every lead routed exactly once once space
    returns.

    `pg` is a private cluster made with PrivatePostgres(disk_mb=…): its data directory,
    tables and WAL alike, is on a disk of its own. If PostgreSQL stops (a PANIC on a WAL
    write), it is started again as its supervisor (systemd, Restart=on-failure) would.
    wal=True: while full, the server also needs a new WAL segment, so it PANICs and stops.
    """
    import psycopg

    result = DrillResult("PostgreSQL disk full" + (" + WAL" if wal else ""))
    started = time.monotonic()
    with Deployment(pg.admin_url, redis_url, "disk") as deployment:
        env = deployment.env
        web, worker, _beat = deployment.up(
            # Every prospect here comes from 127.0.0.1: no per-IP limit, no 3 s fill time.
            lambda: Gunicorn({**env, "CRM_SPAM_MIN_FILL_SECONDS": "0",
                              "CRM_RATELIMIT_PER_IP": "100000 per minute"}),
            lambda: Worker(env, "w1", concurrency=2), lambda: Beat(env))
        burst = Burst([web.url], deployment.api_key, rate, tag="disk")
        forms: list[FormAnswer] = []
        with psycopg.connect(pg.admin_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS crm_drill_wal (n int)")
            conn.execute("INSERT INTO crm_drill_wal VALUES (0)")
        burst.start()
        time.sleep(before)
        filled = pg.fill()
        full_at = time.monotonic()
        # Full until the writes have really failed a few times (and at least `full` s).
        try:
            wait_until(lambda: sum(s.status == 503 for s in burst.sent
                                   if s.at >= full_at) >= 3, timeout=60, interval=0.2)
        except AssertionError:
            pass
        wal_stop = _stop_on_wal(pg) if wal else False
        while time.monotonic() - full_at < full:   # prospects on the public form meanwhile
            forms.append(post_public_form(web.url, len(forms)))
            time.sleep(1)
        full_forms = list(forms)
        page = get(web.url + "/")                 # the public home page (reads) while full
        ready = get(web.url + "/readyz")          # the load balancer's check
        pg.free()
        freed_at = time.monotonic()
        stopped = not pg.running()
        if stopped:                               # as systemd's Restart=on-failure would
            pg.start()
            result.restarts += 1
        wait_until(pg.ready, timeout=60, interval=0.2)
        ready_again = time.monotonic() - freed_at
        time.sleep(max(0.0, 3 - (time.monotonic() - freed_at)))
        # Each refused prospect tries again, as the page asks.
        retried = [post_public_form(web.url, n) for n, f in enumerate(full_forms) if f.clean_503]
        forms = [f for f in full_forms if not f.clean_503] + retried
        time.sleep(max(0.0, after - (time.monotonic() - freed_at)))
        burst.finish()
        burst.resubmit_failed(timeout=30)
        done = _wait_routed(deployment, timeout=90)
        audit = deployment.audit()
        _judge_routing(result, burst, audit, deployment.agent_ids, forms)

        odd_forms = [f for f in full_forms + retried if f.reference is None and not f.clean_503]
        result.expect(not odd_forms, f"the public form answered {[f.status for f in odd_forms]} "
                      "(neither the thank-you page nor the clear 503 page)")
        result.expect(all(f.reference for f in retried),
                      f"the form sent again after the space returned: {[f.status for f in retried]}")
        during = [s for s in burst.sent if full_at <= s.at < freed_at]
        clean = [s for s in burst.sent if is_clean_503(s)]
        unexpected = [s for s in burst.sent if s.status != 201 and not is_clean_503(s)]
        result.clean_503 = len(clean) + sum(f.clean_503 for f in full_forms)
        log = pg.log()
        result.errors = len(unexpected) + unhandled_errors(web.output(), worker.output())
        result.expect(not unexpected, f"{len(unexpected)} answers neither 201 nor the clear 503: "
                      f"{[(s.status, s.text[:80]) for s in unexpected[:3]]}")
        result.expect(bool(clean), "no request met the full disk (no 503 answer)")
        result.expect(any(marker in log for marker in DISK_FULL_LOGS),
                      "PostgreSQL never said its disk was full: the filler did not fill it")
        result.expect("database disk full" in web.output(),
                      "the web log does not name the full disk (SQLSTATE 53100)")
        result.expect(unhandled_errors(web.output(), worker.output()) == 0,
                      "an unhandled exception (stack trace) in the web or worker log")
        result.expect(page.status in (200, 503) and "Traceback" not in page.text,
                      f"the home page while full: {page.status}")
        after_free = [s for s in burst.sent if s.at >= freed_at + 3]
        result.expect(bool(after_free) and all(s.status == 201 for s in after_free),
                      "requests 3 s after the space returned still failed")
        panicked = "PANIC" in log
        if wal:
            result.expect(wal_stop, "PostgreSQL did not stop on the full WAL disk")
        result.notes.append(
            f"filler {filled / 2**20:.0f} MB; {len(during)} submitted while full: "
            f"{sum(s.status == 201 for s in during)} × 201, {sum(is_clean_503(s) for s in during)} "
            f"× clear 503; the public form {len(full_forms)}×: "
            f"{sum(bool(f.reference) for f in full_forms)} thank-you pages, "
            f"{sum(f.clean_503 for f in full_forms)} clear 503 pages (sent again after: "
            f"{sum(bool(f.reference) for f in retried)} thank-you pages); "
            f"the home page {page.status}, /readyz {ready.status} "
            f"({(ready.json() or {}).get('checks', {}).get('database')}) while full")
        result.notes.append(
            ("PostgreSQL PANICked (a WAL write) and " + ("stopped: started again as a supervisor "
                                                         "would" if stopped else "recovered by itself")
             if panicked else "PostgreSQL kept running (statements failed, the server did not)")
            + f"; answering {ready_again:.1f} s after the space returned; all routed "
            + (f"{done - freed_at:.0f} s after" if done is not None else "— never"))
    result.seconds = time.monotonic() - started
    return result
