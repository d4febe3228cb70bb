"""Load benchmark: the real stack (gunicorn, PostgreSQL, Redis, Celery) under wrk, beside a bare baseline.

Usage:  .venv/bin/python bench/load_bench.py [--seconds 20] [--web-workers 3] [--paths api,form]
        [--paced 0.5] [--profile DIR] [--pgbouncer]   (--help for the rest; figures: bench/README.md)

One command, bounded in time (about 5 × (3 s warm-up + --seconds), the form sessions, and at most
3 × --grace waiting for routing):

1. Creates the databases crm_load (migrated with `flask db upgrade`, then teams by region,
   routing rules, agents and one source site with an API key) and crm_load_baseline (one
   table), on the local PostgreSQL; Redis db --redis-db with its own queue name and key prefix.
2. Starts our app under gunicorn (gunicorn.conf.py, CRM_ENV=production, JSON logs, Prometheus
   multiprocess folder, limiter on with limits raised so one client address is not refused:
   every limit is still counted in Redis), one Celery worker (`celery -A workers worker`,
   prefork) on its own queue, and bench/baseline_app.py (Flask-SQLAlchemy over psycopg 3,
   one INSERT per request) under the same gunicorn.conf.py with the same worker count.
3. Drives each with wrk and bench/load_bench.lua: every request posts a new inquiry (unique
   valid mobile, unique Chinese company name, varied regions, types, areas, industries).
   API path: POST /api/v1/inquiries with the site's X-Api-Key. Form path: --sessions browser
   sessions are fetched first (GET /inquiry: session cookie, CSRF token, signed fill-time
   token), the bench waits out the form's minimum fill time, then wrk cycles through them.
   Baseline first, then ours, for each path, after a short warm-up run each; then ours' API
   again, paced at --paced × the rate it sustained, to see routing below saturation.
   With --pgbouncer, a second copy of ours (gunicorn and worker alike, CRM_DATABASE_POOLER=
   pgbouncer, its own queue) reaches the same database through a real PgBouncer in transaction
   pooling (Debian's `pgbouncer`, 127.0.0.1:--pgbouncer-port, --pgbouncer-pool server
   connections); the API path then runs a third time, right after ours direct, through it.
4. Prints requests/s, latency p50/p95/p99, errors, ours/baseline, CPU per request (psutil);
   submit → assigned from the database (lead.created_at → lead.assigned_at) for the leads of
   the timed runs; then counts: answers 201/302, their references found in the database
   (lost = answered − found), leads by status, repeats, routed after --grace; peak RSS of
   gunicorn (master + workers) and of the Celery worker (main + pool).
"""
import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from http.client import HTTPConnection
from pathlib import Path

import psutil
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
DB_OURS, DB_BASE = "crm_load", "crm_load_baseline"
LUA = ROOT / "bench" / "load_bench.lua"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
HIGH_LIMIT = "1000000 per minute;10000000 per hour"   # two windows each, as in production
PACED_CONNECTIONS = 4
PACED_LATENCY_GUESS_MS = 20   # what an answer takes when the server is not saturated

# --- what the inquiries are made of ---------------------------------------------------

MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "153", "155", "156", "157", "158", "159", "166", "177", "180", "181",
                   "182", "183", "185", "186", "187", "188", "189", "191", "198", "199"]
CITIES = ["苏州", "无锡", "常州", "湖州", "嘉兴", "合肥", "芜湖", "上海", "杭州", "宁波", "绍兴",
          "南通", "昆山", "金华", "宣城"]
BRAND1 = ["恒", "鑫", "华", "瑞", "宏", "精", "博", "联", "德", "盛", "锦", "诚", "汇", "康", "泰",
          "嘉", "永", "新", "中", "金", "天", "东", "信", "正", "明", "安", "長", "达", "凯", "创"]
BRAND2 = ["达", "源", "科", "丰", "通", "远", "升", "德", "力", "成", "晟", "越", "驰", "宇", "美",
          "捷", "弘", "川", "峰", "禾", "辉", "邦", "豪", "祥", "森", "和", "拓", "威", "智", "腾"]
WORDS = ["精密机械", "新能源科技", "电子", "新材料", "生物医药", "智能装备", "汽车零部件", "包装材料",
         "物流", "半导体", "环保科技", "模具", "光电", "化妆品", "食品"]
SUFFIXES = ["有限公司", "科技有限公司", "股份有限公司"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
            "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹"]
GIVEN = ["先生", "女士", "经理", "总", "建国", "伟", "芳", "敏", "静", "磊", "洋", "勇", "艳", "杰",
         "娟", "涛", "明", "超", "秀英", "晓东", "志强", "海燕", "丽华", "国庆", "建华"]
USAGES = ["数控加工中心，需要行车", "锂电池模组组装", "仓储和分拣，需要高台", "注塑成型，有少量废气",
          "研发和小批量试产", "冷链仓库", "医疗器械生产，需要洁净车间", "钢结构件焊接",
          "电子元器件贴片", "办公和展厅", "食品包装生产线", "新能源汽车零部件冲压"]
MESSAGES = ["希望尽快看厂，层高8米以上，配电500千伏安", "要求独门独院，有产证，可以分割吗",
            "最好靠近高速口，三个月内入驻", "需要双回路供电，承重每平方米3吨",
            "请发一下园区的招商政策和亩均税收要求", "可以接受二手厂房，价格面议", "有没有现房，周末可以看"]
UTM_SOURCES = ["baidu", "wechat", "58", "anjuke", "douyin", "partner", "direct"]


def lua_data(path: Path) -> None:
    """Write the word lists as a Lua table, after checking each against the app's own rules."""
    from crm import choices
    from crm.inputs.phone import parse_mobile
    from crm.intake import spam
    from crm.regions import tree as regions_tree

    for prefix in MOBILE_PREFIXES:
        for tail in ("00000000", "12345678", "99999999"):
            parse_mobile(prefix + tail)  # raises if the prefix is not a mainland mobile range
    lists = {
        "prefixes": MOBILE_PREFIXES, "cities": CITIES, "brand1": BRAND1, "brand2": BRAND2,
        "words": WORDS, "suffixes": SUFFIXES, "surnames": SURNAMES, "given": GIVEN,
        "usages": USAGES, "messages": MESSAGES, "utm_sources": UTM_SOURCES,
        "deal_types": list(choices.DEAL_TYPES), "property_types": list(choices.PROPERTY_TYPES),
        "industries": [c for c in choices.INDUSTRIES if c != "other"],
        # Cities and counties of the four provinces the teams' rules cover (parks need a database).
        "regions": [code for code, place in sorted(regions_tree._national().items())
                    if code[:2] in {team[1] for team in TEAMS} and 2 <= place.depth <= 3],
    }
    for name, values in lists.items():
        for value in values:
            assert '"' not in value and "\\" not in value, (name, value)
            assert not spam.content_reasons(value), (name, value)  # nothing here may look like spam
    body = ",\n".join(f"  {name} = {{{', '.join(json.dumps(v, ensure_ascii=False) for v in values)}}}"
                      for name, values in lists.items())
    path.write_text("return {\n" + body + "\n}\n", encoding="utf-8")


def compile_catalogs() -> None:
    """As a deploy does (docs/deploy.md): without compiled catalogs the UI and API answer in English."""
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "compile", "-d",
                    str(ROOT / "crm" / "translations")], check=True)


# --- databases ------------------------------------------------------------------------

def db_url(name: str) -> str:
    return PG.rsplit("/", 1)[0] + "/" + name


def recreate_database(admin, name: str) -> None:
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')


TEAMS = [("上海招商组", "31"), ("浙江招商组", "33"), ("江苏招商组", "32"), ("安徽招商组", "34")]


def seed_ours(env: dict):
    """Teams by region with a routing rule each, agents always on duty, one source site."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "crm:create_app", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    os.environ.update(env)
    from config import Config
    from crm import create_app
    from crm.extensions import db
    from crm.intake import sites
    from crm.models import RoutingRule, Team, User

    app = create_app(Config())
    with app.app_context():
        default = Team(name="长三角综合组", is_default=True)
        db.session.add(default)
        teams = [default]
        for position, (name, region) in enumerate(TEAMS):
            team = Team(name=name)
            teams.append(team)
            db.session.add(team)
            db.session.add(RoutingRule(position=10 * (position + 1), name=f"{name}: {region}",
                                       region_code=region, team=team, strategy="round_robin"))
        for t, team in enumerate(teams):
            manager = User(email=f"manager{t}@load.example.cn", name=f"经理{t}", role="manager",
                           team=team, password_hash="!")
            db.session.add(manager)
            for a in range(4):
                db.session.add(User(email=f"agent{t}-{a}@load.example.cn", name=f"顾问{t}-{a}",
                                    role="agent", team=team, password_hash="!"))
        db.session.commit()
        _site, api_key = sites.create_site("压测合作站", ["https://www.changfang.example.cn"])
    return app, api_key


def seed_baseline(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE baseline_inquiry (id bigserial PRIMARY KEY, "
                     "created_at timestamptz NOT NULL DEFAULT now(), mobile text NOT NULL, "
                     "body text NOT NULL)")


# --- processes ------------------------------------------------------------------------

class Stack:
    """The processes this run started (and only those), stopped by pid at the end."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict, nice: int = 0) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "w")
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True,
                                preexec_fn=(lambda: os.nice(nice)) if nice else None)
        self.procs[name] = proc
        return proc

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def gunicorn_argv(app_spec: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), *extra, app_spec]


def wait_http(port: int, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"nothing answers on port {port}")


class RssSampler(threading.Thread):
    """Peak resident memory of process groups (a root and its children), sampled every 0.2 s,
    and the CPU seconds each group has used (workers that exit keep their last count)."""

    def __init__(self, roots: dict[str, int]):
        super().__init__(daemon=True)
        self.roots = roots
        self.peak_total = {name: 0 for name in roots}
        self.peak_one = {name: 0 for name in roots}
        self.peak_pss = {name: 0 for name in roots}   # shared pages counted once (smaps)
        self.processes = {name: 0 for name in roots}
        self.cpu_seen: dict[str, dict[int, float]] = {name: {} for name in roots}
        self.lock = threading.Lock()
        self.halt = threading.Event()

    def cpu(self, name: str) -> float:
        """CPU seconds (user + system) used so far by the group, read now."""
        self._sample_cpu(name)
        with self.lock:
            return sum(self.cpu_seen[name].values())

    def _sample_cpu(self, name: str) -> None:
        try:
            root = psutil.Process(self.roots[name])
            group = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        for proc in group:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            with self.lock:
                self.cpu_seen[name][proc.pid] = times.user + times.system

    def run(self) -> None:
        tick = 0
        while not self.halt.wait(0.2):
            tick += 1
            for name, pid in self.roots.items():
                try:
                    root = psutil.Process(pid)
                    group = [root, *root.children(recursive=True)]
                    sizes, pss = [], []
                    for proc in group:
                        try:
                            sizes.append(proc.memory_info().rss)
                            if tick % 5 == 0:  # reading smaps costs CPU: once a second
                                pss.append(proc.memory_full_info().pss)
                        except psutil.Error:
                            pass
                except psutil.Error:
                    continue
                self.peak_pss[name] = max(self.peak_pss[name], sum(pss))
                self._sample_cpu(name)
                self.peak_total[name] = max(self.peak_total[name], sum(sizes))
                self.peak_one[name] = max(self.peak_one[name], max(sizes, default=0))
                self.processes[name] = max(self.processes[name], len(sizes))


# --- form sessions ----------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_STARTED = re.compile(r'name="started" type="hidden" value="([^"]+)"')


def fetch_sessions(port: int, n: int, path: Path) -> float:
    """GET /inquiry n times as a browser would; keep each session's cookie and hidden tokens."""
    lines = []
    for _ in range(n):
        conn = HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/inquiry", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        response = conn.getresponse()
        html = response.read().decode()
        cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
        conn.close()
        csrf, started = _CSRF.search(html), _STARTED.search(html)
        if response.status != 200 or not cookies or not csrf or not started:
            raise RuntimeError(f"GET /inquiry gave {response.status} without a session or tokens")
        lines.append("\t".join(["; ".join(cookies), csrf.group(1), started.group(1)]))
    path.write_text("\n".join(lines) + "\n")
    return time.monotonic()


# --- wrk ------------------------------------------------------------------------------

def run_wrk(port: int, mode: str, seconds: float, offset: int, args, data: Path, out: Path,
            sessions: Path | None, api_key: str, connections: int | None = None,
            pause_ms: int = 0) -> dict:
    connections = connections or args.connections
    threads = min(args.threads, connections)
    argv = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
            "-s", str(LUA), f"http://127.0.0.1:{port}", "--", mode, str(data), str(out),
            str(offset), str(threads), str(sessions or "-"), api_key, str(pause_ms)]
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    result = json.loads(out.read_text())
    result["receipts"] = Path(f"{out}.receipts").read_text().split()
    result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
    return result


def accepted(result: dict, mode: str) -> int:
    return result["statuses"].get(201 if mode == "api" else 302, 0)


def socket_errors(result: dict) -> int:
    e = result["errors"]
    return e["connect"] + e["read"] + e["write"] + e["timeout"]


def bad_statuses(result: dict) -> int:
    return sum(n for status, n in result["statuses"].items() if status >= 400)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def load_line(label: str) -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {label}: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


# --- the run --------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="timed run per path and server")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() + 1,
                        help="gunicorn sync workers, both apps (gunicorn.conf.py: cores + 1)")
    parser.add_argument("--preload", action="store_true",
                        help="ours with CRM_WEB_PRELOAD=1 (workers forked from a loaded master)")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--celery-pool", default="prefork", help="prefork, solo or threads")
    parser.add_argument("--worker-nice", type=int, default=0,
                        help="niceness of the Celery worker (negative: ahead of the web workers)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--sessions", type=int, default=200, help="form sessions fetched first")
    parser.add_argument("--grace", type=float, default=30, help="seconds to wait for routing")
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--port", type=int, default=18100, help="ours; the baseline gets port + 1")
    parser.add_argument("--paths", default="api,form")
    parser.add_argument("--paced", type=float, default=0.5, metavar="FRACTION",
                        help="then the API at this fraction of ours' measured rate (0: skip)")
    parser.add_argument("--keep", action="store_true", help="keep databases and logs")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the web workers during our timed "
                        "runs (slows them: figures of such a run are not comparable)")
    parser.add_argument("--pgbouncer", action="store_true",
                        help="the API also through PgBouncer (transaction pooling), beside direct")
    parser.add_argument("--pgbouncer-port", type=int, default=6432)
    parser.add_argument("--pgbouncer-pool", type=int, default=0,
                        help="server connections (default_pool_size); 0: web workers + Celery "
                             "concurrency, one per process, so the figure is the hop's cost")
    args = parser.parse_args()
    paths = args.paths.split(",")

    compile_catalogs()
    run_id = uuid.uuid4().hex[:8]
    queue = f"load-bench-{run_id}"
    redis_url = f"{REDIS_BASE}/{args.redis_db}"
    workdir = Path(tempfile.mkdtemp(prefix="crm-load-"))
    (workdir / "prom").mkdir()
    data = workdir / "data.lua"
    lua_data(data)
    admin = psycopg.connect(PG, autocommit=True)
    recreate_database(admin, DB_OURS)
    recreate_database(admin, DB_BASE)
    seed_baseline(db_url(DB_BASE))
    ours_env = {**os.environ, "DATABASE_URL": db_url(DB_OURS), "REDIS_URL": redis_url,
                "CRM_CELERY_QUEUE": queue, "CRM_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                "CRM_SECURE_COOKIES": "0", "CRM_LOG_FORMAT": "json",
                "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prom"),
                "CRM_RATELIMIT_PER_IP": HIGH_LIMIT, "CRM_RATELIMIT_PER_MOBILE": HIGH_LIMIT,
                "CRM_RATELIMIT_PER_API_KEY": HIGH_LIMIT, "CRM_RATELIMIT_ENABLED": "1",
                "CRM_BIND": f"127.0.0.1:{args.port}", "CRM_WEB_WORKERS": str(args.web_workers),
                "CRM_WEB_PRELOAD": "1" if args.preload else "0"}
    for name in ("MAIL_SERVER", "CRM_FAULT_ROUTE_PAUSE_SECONDS"):
        ours_env.pop(name, None)
    base_env = {**os.environ, "DATABASE_URL": db_url(DB_BASE),
                "CRM_BIND": f"127.0.0.1:{args.port + 1}", "CRM_WEB_WORKERS": str(args.web_workers)}
    app, api_key = seed_ours(ours_env)

    stack = Stack(workdir)
    sampler = None
    bouncer = None
    try:
        roots: dict[str, int] = {}
        if args.pgbouncer:
            from tests.support.stack import PgBouncer
            bouncer = PgBouncer(PG, port=args.pgbouncer_port,
                                pool_size=args.pgbouncer_pool or args.web_workers + args.celery_concurrency)
            bouncer.start()
            assert bouncer.proc is not None
            pgb_env = {**ours_env, "DATABASE_URL": bouncer.url(db_url(DB_OURS)),
                       "CRM_DATABASE_POOLER": "pgbouncer", "CRM_CELERY_QUEUE": f"{queue}-pgb",
                       "CRM_BIND": f"127.0.0.1:{args.port + 2}"}
            web_pgb = stack.start("web-pgb", gunicorn_argv("crm:create_app()", "--control-socket",
                                                           str(workdir / "pgb.ctl")), pgb_env)
            worker_pgb = stack.start("worker-pgb", [
                sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q", f"{queue}-pgb",
                "-n", f"{queue}-pgb@%h", "--pool", args.celery_pool,
                "--concurrency", str(args.celery_concurrency), "-l", "INFO"], pgb_env,
                nice=args.worker_nice)
            roots = {"web-pgb": web_pgb.pid, "worker-pgb": worker_pgb.pid,
                     "pgbouncer": bouncer.proc.pid}
        web = stack.start("web", gunicorn_argv("crm:create_app()"), ours_env)
        base = stack.start("baseline", gunicorn_argv("baseline_app:create_app()", "--pythonpath",
                                                     str(ROOT / "bench")), base_env)
        worker = stack.start("worker", [sys.executable, "-m", "celery", "-A", "workers", "worker",
                                        "-Q", queue, "-n", f"{queue}@%h", "--pool", args.celery_pool,
                                        "--concurrency", str(args.celery_concurrency), "-l", "INFO"],
                             ours_env, nice=args.worker_nice)
        wait_http(args.port, "/inquiry")
        wait_http(args.port + 1, "/health")
        if bouncer is not None:
            wait_http(args.port + 2, "/inquiry")
        time.sleep(3)  # the worker connects to the broker
        sampler = RssSampler({"web": web.pid, "baseline": base.pid, "worker": worker.pid, **roots})
        sampler.start()

        print(f"\nload bench {time.strftime('%Y-%m-%d %H:%M')}: gunicorn sync × {args.web_workers} "
              f"(both apps{', ours preloaded' if args.preload else ''}), "
              f"Celery {args.celery_pool} × {args.celery_concurrency} (nice {args.worker_nice}), wrk -t{args.threads} "
              f"-c{args.connections}, {args.warmup:g} s warm-up + {args.seconds:g} s per run")
        if bouncer is not None:
            print(f"ours-pgb: the same app through PgBouncer {bouncer.version()} (transaction pooling, "
                  f"{bouncer.pool_size} server connections) on 127.0.0.1:{bouncer.port}")
        print(load_line("before"))
        results: dict[tuple[str, str], dict] = {}
        windows: dict[str, tuple[float, float]] = {}
        accepted_ours = {mode: 0 for mode in paths}
        receipts = {mode: [] for mode in paths}
        offset = {"ours": 0, "baseline": 5_000_000, "ours-pgb": 10_000_000}
        for mode in paths:
            sessions = None
            if mode == "form":
                sessions = workdir / "sessions.tsv"
                fetched = fetch_sessions(args.port, args.sessions, sessions)
                # Every token must be older than the form's minimum fill time, as for a person.
                fill = float(ours_env.get("CRM_SPAM_MIN_FILL_SECONDS", "3"))
                time.sleep(max(0.0, fetched + fill + 0.5 - time.monotonic()))
            servers = [("baseline", args.port + 1), ("ours", args.port)]
            if bouncer is not None and mode == "api":
                servers.append(("ours-pgb", args.port + 2))
            for server, port in servers:
                out = workdir / f"{mode}-{server}.json"
                warm = run_wrk(port, mode, args.warmup, offset[server], args, data, out, sessions, api_key)
                offset[server] += 1_000_000
                spy = profile(args, {"web": web.pid, "worker": worker.pid}, mode) \
                    if server == "ours" else None
                cpu0 = {name: sampler.cpu(name) for name in sampler.roots}
                t0 = time.time()
                result = run_wrk(port, mode, args.seconds, offset[server], args, data, out, sessions,
                                 api_key)
                t1 = time.time()
                result["cpu"] = {name: sampler.cpu(name) - cpu0[name] for name in sampler.roots}
                if spy is not None:
                    spy.wait()
                offset[server] += 1_000_000
                results[(mode, server)] = result
                if server == "ours-pgb":
                    windows["api-pgb"] = (t0, t1)
                    accepted_ours[mode] += accepted(warm, mode) + accepted(result, mode)
                    receipts[mode] += warm["receipts"] + result["receipts"]
                    result["warm_bad"] = bad_statuses(warm) + socket_errors(warm)
                if server == "ours":
                    windows[mode] = (t0, t1)
                    accepted_ours[mode] += accepted(warm, mode) + accepted(result, mode)
                    receipts[mode] += warm["receipts"] + result["receipts"]
                    result["warm_bad"] = bad_statuses(warm) + socket_errors(warm)
            drained = wait_routed(db_url(DB_OURS), args.grace)
            if mode == "api" and args.paced:
                # The same API, ours only, at a steady fraction of what it just sustained: how
                # fast routing is when the queue is not filling up.
                sustained = results[("api", "ours")]
                target = args.paced * sustained["requests"] / (sustained["duration_us"] / 1e6)
                pause = max(1, int(PACED_CONNECTIONS * 1000 / target - PACED_LATENCY_GUESS_MS))
                out = workdir / "api-paced.json"
                t0 = time.time()
                paced = run_wrk(args.port, "api", args.seconds, offset["ours"], args, data, out, None,
                                api_key, connections=PACED_CONNECTIONS, pause_ms=pause)
                t1 = time.time()
                offset["ours"] += 1_000_000
                paced["target"] = target
                results[("api", "paced")] = paced
                windows["api-paced"] = (t0, t1)
                accepted_ours["api"] += accepted(paced, "api")
                receipts["api"] += paced["receipts"]
                drained = max(drained, wait_routed(db_url(DB_OURS), args.grace))
        print(load_line("after"))
        sampler.halt.set()
        report(args, paths, results, windows, accepted_ours, receipts, app, sampler, drained)
    finally:
        if sampler is not None:
            sampler.halt.set()
        stack.stop()
        if bouncer is not None:
            bouncer.stop()
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"*{queue}*", count=1000):  # and {queue}-pgb's
            client.delete(key)
        if not args.keep:
            admin.execute(f'DROP DATABASE IF EXISTS "{DB_OURS}" WITH (FORCE)')
            admin.execute(f'DROP DATABASE IF EXISTS "{DB_BASE}" WITH (FORCE)')
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept: databases {DB_OURS}, {DB_BASE}; logs in {workdir}")


class Spies:
    """py-spy on the web workers and on the Celery worker's processes during one run."""

    def __init__(self, procs: list[subprocess.Popen]):
        self.procs = procs

    def wait(self) -> None:
        for proc in self.procs:
            proc.wait()


def profile(args, pids: dict[str, int], mode: str) -> Spies | None:
    """Sampled stacks, all processes of each group (bench/profile_summary.py reads them)."""
    if not args.profile:
        return None
    Path(args.profile).mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return Spies([subprocess.Popen(
        [spy, "record", "-p", str(pid), "-s", "--nonblocking", "--nolineno", "-r", "100", "-f", "raw",
         "-d", str(int(args.seconds)), "-o", str(Path(args.profile) / f"{mode}-{name}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name, pid in pids.items()])


def wait_routed(url: str, grace: float) -> float:
    """Wait (at most `grace` s) until no new lead waits for routing; returns the seconds waited."""
    start = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() - start < grace:
            waiting = conn.execute("SELECT count(*) FROM lead WHERE status = 'new' "
                                   "AND routed_at IS NULL").fetchone()[0]
            if waiting == 0:
                break
            time.sleep(0.25)
    return time.monotonic() - start


def references(mode: str, receipts: list[str], app) -> list[str]:
    """The lead references the clients were given: in the API's answer, or in the form's session."""
    if mode == "api":
        return receipts
    serializer = app.session_interface.get_signing_serializer(app)
    return [serializer.loads(cookie)["last_reference"] for cookie in receipts]


def report(args, paths, results, windows, accepted_ours, receipts, app, sampler, drained) -> None:
    print(f"\n{'path':6} {'server':9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'≥400':>6} {'socket':>6}  statuses")
    for mode in paths:
        for server in [s for s in ("baseline", "ours", "ours-pgb") if (mode, s) in results]:
            r = results[(mode, server)]
            rate = r["requests"] / (r["duration_us"] / 1e6)
            r["rate"] = rate
            lat = r["latency_us"]
            statuses = " ".join(f"{k}:{v}" for k, v in sorted(r["statuses"].items()))
            print(f"{mode:6} {server:9} {rate:8.1f} {lat['p50'] / 1000:8.1f} {lat['p95'] / 1000:8.1f} "
                  f"{lat['p99'] / 1000:8.1f} {lat['max'] / 1000:8.1f} {bad_statuses(r):6d} "
                  f"{socket_errors(r):6d}  {statuses}")
        for server, groups in (("baseline", ("baseline",)), ("ours", ("web", "worker")),
                               ("ours-pgb", ("web-pgb", "worker-pgb", "pgbouncer"))):
            if (mode, server) not in results:
                continue
            r = results[(mode, server)]
            used = " + ".join(f"{name} {r['cpu'][name] * 1000 / max(r['requests'], 1):.1f}"
                              for name in groups)
            print(f"{'':6} {server:9} CPU ms per request: {used}  "
                  f"(all: {sum(r['cpu'][n] for n in groups) / (r['duration_us'] / 1e6):.2f} cores)")
        if (mode, "paced") in results:
            r = results[(mode, "paced")]
            r["rate"] = r["requests"] / (r["duration_us"] / 1e6)
            lat = r["latency_us"]
            statuses = " ".join(f"{k}:{v}" for k, v in sorted(r["statuses"].items()))
            print(f"{mode:6} {'ours':9} {r['rate']:8.1f} {lat['p50'] / 1000:8.1f} {lat['p95'] / 1000:8.1f} "
                  f"{lat['p99'] / 1000:8.1f} {lat['max'] / 1000:8.1f} {bad_statuses(r):6d} "
                  f"{socket_errors(r):6d}  {statuses}  (paced: asked {r['target']:.0f}/s)")
        ratio = results[(mode, "ours")]["rate"] / results[(mode, "baseline")]["rate"]
        target = "  (target ≥ 25%: " + ("ok" if ratio >= 0.25 else "MISSED") + ")"
        print(f"{mode:6} ours/baseline throughput: {ratio:.0%}{target}")
        if (mode, "ours-pgb") in results:
            through = results[(mode, "ours-pgb")]["rate"]
            print(f"{mode:6} through PgBouncer: {through / results[(mode, 'baseline')]['rate']:.0%} of the "
                  f"baseline, {through / results[(mode, 'ours')]['rate']:.0%} of ours direct")

    with psycopg.connect(db_url(DB_OURS), autocommit=True) as conn:
        print("\nsubmit → assigned under load (lead.created_at → assigned_at, leads of the timed runs)")
        print(f"{'path':16} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for mode in [m for m in (*paths, "api-pgb", "api-paced") if m in windows]:
            t0, t1 = windows[mode]
            channel = "web" if mode == "form" else "api"
            rows = conn.execute(
                "SELECT extract(epoch FROM assigned_at - created_at) * 1000 FROM lead "
                "WHERE channel = %s AND created_at BETWEEN to_timestamp(%s) AND to_timestamp(%s) "
                "AND assigned_at IS NOT NULL", (channel, t0, t1)).fetchall()
            values = [float(v) for (v,) in rows]
            p95 = pct(values, 95)
            label = {"api-paced": "api (paced)", "api-pgb": "api (PgBouncer)"}.get(
                mode, f"{mode} (saturated)")
            print(f"{label:16} {len(values):6d} {pct(values, 50):8.1f} {p95:8.1f} {pct(values, 99):8.1f} "
                  f"{max(values, default=float('nan')):8.1f}  (target p95 < 1000: "
                  f"{'ok' if p95 < 1000 else 'MISSED'})")

        print(f"\ncounts after the run (routing waited {drained:.1f} s of at most {args.grace:g} s; "
              f"'answered' = 201/302 received, 'in db' = their references found)")
        print(f"{'path':6} {'answered':>9} {'in db':>7} {'lost':>5} {'leads':>7} {'new':>6} "
              f"{'repeats':>8} {'spam':>5} {'routed':>7} {'assigned':>9} {'unrouted':>9}")
        for mode in paths:
            channel = "api" if mode == "api" else "web"
            leads, new, spam, routed, assigned = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE status = 'new'), "
                "count(*) FILTER (WHERE status = 'spam'), count(routed_at), count(assigned_at) "
                "FROM lead WHERE channel = %s", (channel,)).fetchone()
            repeats = conn.execute("SELECT count(*) FROM inquiry_repeat WHERE channel = %s",
                                   (channel,)).fetchone()[0]
            unrouted = conn.execute("SELECT count(*) FROM lead WHERE channel = %s AND status = 'new' "
                                    "AND routed_at IS NULL", (channel,)).fetchone()[0]
            refs = references(mode, receipts[mode], app)
            # A repeat inquiry is answered with its own reference, kept on its repeat row.
            found = conn.execute("SELECT (SELECT count(*) FROM lead WHERE reference = ANY(%s)) "
                                 "+ (SELECT count(*) FROM inquiry_repeat WHERE reference = ANY(%s))",
                                 (refs, refs)).fetchone()[0]
            answered = accepted_ours[mode]
            print(f"{mode:6} {answered:9d} {found:7d} {answered - found:5d} {leads:7d} {new:6d} "
                  f"{repeats:8d} {spam:5d} {routed:7d} {assigned:9d} {unrouted:9d}")
        print("(leads − answered: saved while wrk stopped, their answers never read; one per "
              "connection and run at most)")

    mib = 1024 * 1024
    print("\npeak RSS (psutil every 0.2 s) and PSS (shared pages counted once, every 1 s)")
    for name, label in (("web", "ours: gunicorn master + workers"),
                        ("baseline", "baseline: gunicorn master + workers"),
                        ("worker", "Celery worker: main + pool"),
                        ("web-pgb", "ours via PgBouncer: gunicorn"),
                        ("worker-pgb", "ours via PgBouncer: Celery worker"),
                        ("pgbouncer", "PgBouncer")):
        if name not in sampler.roots:
            continue
        print(f"  {label:38} {sampler.peak_total[name] / mib:7.1f} MiB in {sampler.processes[name]} "
              f"processes (largest one {sampler.peak_one[name] / mib:.1f} MiB); "
              f"PSS {sampler.peak_pss[name] / mib:.1f} MiB")


if __name__ == "__main__":
    main()
