"""Settings, read from environment variables when a config class is used.

Each class reads the environment in ``__init__`` (not at import time), so tests can set
variables and build a fresh config without reloading modules.

One rule for names: a setting of this app is an attribute named exactly as the environment
variable it is read from (``CRM_SLA_MINUTES`` → ``config["CRM_SLA_MINUTES"]``), read by one
small typed helper below (``_str``, ``_int``…). Keys that Flask or an extension reads keep
that library's name: ``SECRET_KEY``, ``REDIS_URL`` and ``MAIL_*`` are read from variables of
the same name; the three in ``LIBRARY_KEYS`` take a variable of another name; the rest
(``CELERY``, ``RATELIMIT_*``, ``BABEL_*``, cookies…) are fixed or derived from the settings
above them. The README's "Configuration" table lists every variable read here
(tests/unit/test_config.py keeps the two equal).
"""
import os
from datetime import time, timedelta

DEV_SECRET = "dev-only-not-secret"
# The name Redis Sentinels monitor the master under unless CRM_REDIS_MASTER_NAME says otherwise
# (their own default); the one default, for the app, Celery and the limits alike.
DEFAULT_REDIS_MASTER_NAME = "mymaster"

# Library keys read straight from an environment variable of another name.
LIBRARY_KEYS = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
                "CRM_SECURE_COOKIES": "SESSION_COOKIE_SECURE",
                "CRM_RATELIMIT_ENABLED": "RATELIMIT_ENABLED"}

# Every variable a helper has read, in order (env_names()).
_READ: dict[str, None] = {}


def _raw(name: str) -> str | None:
    _READ[name] = None
    return os.environ.get(name)


def _str(name: str, default: str) -> str:
    """The variable as it is (set but empty stays empty)."""
    value = _raw(name)
    return default if value is None else value


def _optional(name: str) -> str | None:
    """None when unset or empty."""
    return _raw(name) or None


def _int(name: str, default: int, *, minimum: int | None = None,
         old_name: str | None = None) -> int:
    """An integer (a malformed one stops the app at start), raised to `minimum` if below it;
    `old_name`: the variable's former name, still read when the new one is unset."""
    value = _raw(name)
    if value is None:
        value = os.environ.get(old_name, str(default)) if old_name else str(default)
    number = int(value)
    return number if minimum is None else max(minimum, number)


def _float(name: str, default: float) -> float:
    value = _raw(name)
    return default if value is None else float(value)


def _bool(name: str, default: bool = False) -> bool:
    """1, true, yes or on (any case) are true; anything else set is false."""
    value = _raw(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str) -> list[str]:
    """Comma-separated, empty items left out."""
    return [item for item in _str(name, default).split(",") if item]


def _clock(name: str, default: str) -> time:
    """A time of day, HH:MM."""
    hours, minutes = _str(name, default).split(":")
    return time(int(hours), int(minutes))


def _weights(name: str) -> dict[str, int]:
    """DEFAULT_SCORE_WEIGHTS, with the factors the variable names overridden
    ("tax=30,investment=20"); unknown names and values that are not digits are ignored."""
    weights = dict(DEFAULT_SCORE_WEIGHTS)
    for part in _str(name, "").split(","):
        factor, _, value = part.partition("=")
        if factor.strip() in weights and value.strip().isdigit():
            weights[factor.strip()] = int(value)
    return weights


POOLERS = ("", "pgbouncer")
PGBOUNCER = "pgbouncer"


def _pooler(name: str) -> str:
    """One of POOLERS; another value stops the app at start (a typo must not silently leave
    server-side prepared statements on behind a pooler)."""
    value = _str(name, "").strip().lower()
    if value not in POOLERS:
        raise ValueError(f"{name} must be one of {', '.join(repr(p) for p in POOLERS)}, not {value!r}")
    return value


def engine_options(pooler: str) -> dict:
    """SQLAlchemy's engine options for PostgreSQL (SQLite gets its own in create_app).

    hide_parameters: a database error (logged, or in a traceback) never carries the
    statement's values, which are often a prospect's name and mobile.

    Behind PgBouncer in transaction pooling each transaction may run on another server
    connection, and server connections are shared with other clients. psycopg prepares a
    statement on the server after `prepare_threshold` (5) uses on one connection and then
    only binds it by name: on another server connection that name is missing ("prepared
    statement "_pg3_0" does not exist") or is another client's ("already exists").
    prepare_threshold=None turns preparing off on the connection (psycopg's docs,
    "Prepared statements"); PgBouncer 1.18 (Debian 12) cannot track prepared statements
    (max_prepared_statements came with 1.21). tests/integration/test_pgbouncer.py shows both.
    """
    options: dict = {"pool_pre_ping": True, "hide_parameters": True}
    if pooler == PGBOUNCER:
        options["connect_args"] = {"prepare_threshold": None}
    return options


def env_names() -> list[str]:
    """Every environment variable Config reads."""
    Config()
    return list(_READ)


class Config:
    def __init__(self) -> None:
        # --- Deployment: where the app, its database and its broker are ---------------------
        self.CRM_ENV = _str("CRM_ENV", "development")  # "production": the secret check, HSTS
        self.SECRET_KEY = _str("SECRET_KEY", DEV_SECRET)
        # None → a SQLite file in the instance folder (filled in by create_app).
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(_optional("DATABASE_URL"))
        # What stands between the app and PostgreSQL: "" (nothing: the app's own pool talks to
        # the server) or "pgbouncer" (PgBouncer in transaction pooling, docs/deploy.md).
        self.CRM_DATABASE_POOLER = _pooler("CRM_DATABASE_POOLER")
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.CRM_DATABASE_POOLER)
        # One Redis (redis://…) or the Sentinels of a replicated one (sentinel://…;sentinel://…,
        # crm/redis_client.py) for the broker, the rate limits and the app's own keys.
        self.REDIS_URL = _optional("REDIS_URL")
        # The name the Sentinels monitor the Redis master under (only with sentinel:// URLs).
        self.CRM_REDIS_MASTER_NAME = _str("CRM_REDIS_MASTER_NAME", DEFAULT_REDIS_MASTER_NAME)
        # Several deployments on one Redis keep apart by it (the Celery queue, the limits' keys).
        self.CRM_CELERY_QUEUE = _str("CRM_CELERY_QUEUE", "crm")
        self.CELERY = celery_settings(self.REDIS_URL, self.CRM_CELERY_QUEUE, self.CRM_REDIS_MASTER_NAME)
        # Links in notifications point here.
        self.CRM_BASE_URL = _str("CRM_BASE_URL", "http://127.0.0.1:5000")
        # Behind nginx/a load balancer: how many proxies set X-Forwarded-For (0: none).
        self.CRM_PROXY_COUNT = _int("CRM_PROXY_COUNT", 0)

        # --- Language and time ----------------------------------------------------------------
        self.BABEL_DEFAULT_LOCALE = "zh_CN"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.LANGUAGES = ["zh_CN", "en"]
        self.CRM_TIMEZONE = "Asia/Shanghai"

        # --- Sessions, cookies, request size ------------------------------------------------
        self.WTF_CSRF_TIME_LIMIT = None  # a prospect may take their time over the form
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("CRM_SECURE_COOKIES", self.CRM_ENV == "production")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        # Remember-me is crm/web/auth/remember.py's own signed cookie; Flask-Login's is never
        # set, and this name nobody uses keeps Flask-Login from reading ours.
        self.REMEMBER_COOKIE_NAME = "flask_login_remember_unused"
        # A session ends after this long without a request, and this long after login
        # whatever happens (remember-me included: its cookie lasts no longer).
        self.CRM_SESSION_IDLE_MINUTES = _int("CRM_SESSION_IDLE_MINUTES", 480)
        self.CRM_SESSION_MAX_HOURS = _int("CRM_SESSION_MAX_HOURS", 168)
        self.REMEMBER_COOKIE_DURATION = timedelta(hours=self.CRM_SESSION_MAX_HOURS)
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=self.CRM_SESSION_MAX_HOURS)
        # Strict-Transport-Security also outside production (always on in production).
        self.CRM_HSTS = _bool("CRM_HSTS")
        self.MAX_CONTENT_LENGTH = 256 * 1024

        # --- Rate limits (Flask-Limiter syntax) -------------------------------------------------
        # The public form, per client address and per mobile number.
        self.CRM_RATELIMIT_PER_IP = _str("CRM_RATELIMIT_PER_IP", "5 per minute;30 per hour")
        self.CRM_RATELIMIT_PER_MOBILE = _str("CRM_RATELIMIT_PER_MOBILE",
                                             "3 per 10 minutes;10 per day")
        # A partner server posts for many prospects, so the API is limited per key, not per IP.
        self.CRM_RATELIMIT_PER_API_KEY = _str("CRM_RATELIMIT_PER_API_KEY",
                                              "60 per minute;2000 per day")
        # Login attempts (POST /login), counted twice: per client address and per account
        # tried; the password change is limited by it too, per user.
        self.CRM_RATELIMIT_LOGIN = _str("CRM_RATELIMIT_LOGIN", "10 per minute;50 per hour")
        # The region picker asks once per keystroke pause: generous, but not a scraping API.
        self.CRM_RATELIMIT_REGION_SEARCH = _str("CRM_RATELIMIT_REGION_SEARCH",
                                                "120 per minute;3000 per hour")
        # "Tell the owner" from the reference card, per user.
        self.CRM_RATELIMIT_TELL_OWNER = _str("CRM_RATELIMIT_TELL_OWNER", "10 per minute;60 per day")
        # The agent's paste reader, per user: POST /api/v1/parse has the intake limits.
        self.CRM_RATELIMIT_PASTE = _str("CRM_RATELIMIT_PASTE", "30 per minute;1000 per day")
        # Flask-Limiter: Redis when there is one; fail open (in-memory) when it is down.
        self.RATELIMIT_ENABLED = _bool("CRM_RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI, self.RATELIMIT_STORAGE_OPTIONS = _limits_storage(
            self.REDIS_URL, self.CRM_REDIS_MASTER_NAME, {"socket_connect_timeout": 1, "socket_timeout": 1})
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_KEY_PREFIX = self.CRM_CELERY_QUEUE

        # --- Intake: consent, repeats, spam, the JSON API, spreadsheet imports ------------------
        # The privacy notice a prospect agrees to; bump when its text changes (PIPL Art. 17).
        self.CRM_PRIVACY_POLICY_VERSION = _str("CRM_PRIVACY_POLICY_VERSION", "2026-11")
        # An inquiry from the same prospect within this many days is a repeat of their lead
        # (crm.intake.repeats); the one window for intake, import, scoring and the lead page.
        self.CRM_REPEAT_WINDOW_DAYS = _int("CRM_REPEAT_WINDOW_DAYS", 90,
                                           old_name="CRM_DUPLICATE_WINDOW_DAYS")
        # A person needs a few seconds to fill in even the short form; a bot does not.
        self.CRM_SPAM_MIN_FILL_SECONDS = _int("CRM_SPAM_MIN_FILL_SECONDS", 3)
        # How long a web process trusts an API key it has looked up (a rotated key or a
        # deactivated site is refused by the other processes within this time).
        self.CRM_API_KEY_CACHE_SECONDS = _int("CRM_API_KEY_CACHE_SECONDS", 30)
        self.CRM_API_MAX_BODY_BYTES = _int("CRM_API_MAX_BODY_BYTES", 32 * 1024)
        # API Idempotency-Key answers are kept this long, then purged by beat.
        self.CRM_IDEMPOTENCY_DAYS = _int("CRM_IDEMPOTENCY_DAYS", 7)
        self.CRM_IMPORT_MAX_BYTES = _int("CRM_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
        self.CRM_IMPORT_MAX_ROWS = _int("CRM_IMPORT_MAX_ROWS", 5000)

        # --- Routing, working time, SLA ---------------------------------------------------------
        # First-contact promise, in working minutes, where no routing rule sets one.
        self.CRM_SLA_MINUTES = _int("CRM_SLA_MINUTES", 30)
        # Leads still unrouted after this many seconds are re-enqueued by the sweeper.
        self.CRM_SWEEP_AFTER_SECONDS = _int("CRM_SWEEP_AFTER_SECONDS", 60)
        # A routing task also routes up to this many - 1 other waiting leads (a burst's backlog).
        self.CRM_ROUTING_BATCH = _int("CRM_ROUTING_BATCH", 50, minimum=1)
        # A routing task waits this long before it picks its batch, so that the inquiries of a
        # burst arriving meanwhile go in one batch (one task, one reading of rules and agents)
        # instead of a task each: a fifth of a second of latency (the target is a second) for
        # half the worker's CPU per lead under load (bench/README.md). A full batch takes the
        # next at once, so the linger never caps how fast a backlog drains.
        self.CRM_ROUTING_LINGER_SECONDS = _float("CRM_ROUTING_LINGER_SECONDS", 0.2)
        # Office hours that SLA deadlines count (working minutes on China's working days)
        # for a team without hours of its own.
        self.CRM_WORKDAY_START = _clock("CRM_WORKDAY_START", "09:00")
        self.CRM_WORKDAY_END = _clock("CRM_WORKDAY_END", "18:00")
        # Big projects go to a senior as well (DOMAIN.md: tiers start at 3亿元 investment);
        # 万元, as text (read as Decimal).
        self.CRM_ESCALATE_INVESTMENT_WAN = _str("CRM_ESCALATE_INVESTMENT_WAN", "30000")
        self.CRM_ESCALATE_TAX_WAN = _str("CRM_ESCALATE_TAX_WAN", "1000")

        # --- Notifications and mail ---------------------------------------------------------
        # Notifications go to public https addresses only; local http is for tests' servers.
        self.CRM_WEBHOOK_ALLOW_LOCAL = _bool("CRM_WEBHOOK_ALLOW_LOCAL", False)
        # Every mail (auto-reply to a prospect who gave an email, notifications); none while
        # MAIL_SERVER is unset.
        self.MAIL_SERVER = _optional("MAIL_SERVER")
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_SENDER = _str("MAIL_SENDER", "noreply@localhost")
        self.MAIL_USERNAME = _optional("MAIL_USERNAME")
        self.MAIL_PASSWORD = _optional("MAIL_PASSWORD")
        self.MAIL_USE_STARTTLS = _bool("MAIL_USE_STARTTLS", False)
        # Reminders to the agents going on a site visit, this long before it; and before a
        # follow-up with a time of day.
        self.CRM_VISIT_REMINDER_MINUTES = _int("CRM_VISIT_REMINDER_MINUTES", 60)
        self.CRM_FOLLOW_UP_REMINDER_MINUTES = _int("CRM_FOLLOW_UP_REMINDER_MINUTES", 15)

        # --- Leads: the queue, the score, retention -------------------------------------------
        self.LEADS_PER_PAGE = 50
        self.CRM_QUEUE_POLL_SECONDS = _int("CRM_QUEUE_POLL_SECONDS", 20)
        # Points each score factor can give at most (DEFAULT_SCORE_WEIGHTS), and the park's
        # leading industry tracks (industry_fit).
        self.CRM_SCORE_WEIGHTS = _weights("CRM_SCORE_WEIGHTS")
        self.CRM_LEADING_TRACKS = _list("CRM_LEADING_TRACKS",
                                        "nev,equipment,materials,ic,biomedicine")
        # How long closed leads keep personal data (PIPL Art. 19).
        self.CRM_RETENTION_DAYS = _int("CRM_RETENTION_DAYS", 730)

        # --- Reports and exports --------------------------------------------------------------
        # On PostgreSQL a report's slowest statement runs on a connection of its own beside
        # the others (crm.reporting.overlap): a report request then holds two connections.
        # Off by default behind PgBouncer: the request's transaction keeps its server connection
        # while it waits for the side one, so as many reports at once as the pool has server
        # connections would each hold one and wait for a second that never comes free.
        self.CRM_REPORT_OVERLAP = _bool("CRM_REPORT_OVERLAP", self.CRM_DATABASE_POOLER != PGBOUNCER)
        # Above these sizes a Celery task writes the file (instance/exports, or
        # CRM_EXPORT_DIR: shared storage when web and workers run on several machines).
        self.CRM_EXPORT_SYNC_MAX_LEADS = _int("CRM_EXPORT_SYNC_MAX_LEADS", 200000)
        self.CRM_EXPORT_SYNC_MAX_ROWS = _int("CRM_EXPORT_SYNC_MAX_ROWS", 5000)
        self.CRM_EXPORT_DIR = _optional("CRM_EXPORT_DIR")
        # A streaming replica for reports, exports and searches (crm/reads.py); None: they
        # read the primary. Ignored when the primary is SQLite.
        self.CRM_REPORTS_DATABASE_URL = _normalise_db_url(_optional("CRM_REPORTS_DATABASE_URL"))
        # A replica further behind than this (or unreachable) is passed over for the primary.
        self.CRM_REPORTS_MAX_LAG_SECONDS = _int("CRM_REPORTS_MAX_LAG_SECONDS", 30, minimum=0)

        # --- Listing photos (crm/listings/images.py) -------------------------------------------
        # Where the files live (None: instance/media; several web machines share it, see
        # docs/deploy.md), the most one upload may weigh and hold in pixels (a decompression
        # bomb is refused), how many one listing may have and one request may carry, and how
        # long an upload may wait before the sweeper retries it.
        self.CRM_MEDIA_DIR = _optional("CRM_MEDIA_DIR")
        self.CRM_IMAGE_MAX_BYTES = _int("CRM_IMAGE_MAX_BYTES", 15 * 1024 * 1024)
        # 24 MP: a phone's full-size photo; decoding one takes about 100 MB of a worker
        # (bench/photo_memory.py), twice that would not fit beside the others.
        self.CRM_IMAGE_MAX_PIXELS = _int("CRM_IMAGE_MAX_PIXELS", 24000000)
        self.CRM_IMAGE_MAX_PER_LISTING = _int("CRM_IMAGE_MAX_PER_LISTING", 30)
        self.CRM_IMAGE_MAX_PER_UPLOAD = _int("CRM_IMAGE_MAX_PER_UPLOAD", 10)
        # The body of one upload request (the global MAX_CONTENT_LENGTH is for forms).
        self.CRM_IMAGE_UPLOAD_MAX_BYTES = _int(
            "CRM_IMAGE_UPLOAD_MAX_BYTES",
            self.CRM_IMAGE_MAX_BYTES * self.CRM_IMAGE_MAX_PER_UPLOAD + 1024 * 1024)
        self.CRM_IMAGE_SWEEP_AFTER_SECONDS = _int("CRM_IMAGE_SWEEP_AFTER_SECONDS", 120)
        # nginx serves the files itself when set (X-Accel-Redirect to this internal prefix).
        self.CRM_MEDIA_ACCEL_PREFIX = _optional("CRM_MEDIA_ACCEL_PREFIX")

        # --- Recommendation pages (/r/<token>) ------------------------------------------------
        # How long a link lives, and how long one browser's opens count once.
        self.CRM_RECOMMENDATION_DAYS = _int("CRM_RECOMMENDATION_DAYS", 30)
        self.CRM_RECOMMENDATION_OPEN_WINDOW_MINUTES = _int("CRM_RECOMMENDATION_OPEN_WINDOW_MINUTES",
                                                           30)


class TestConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.WTF_CSRF_ENABLED = False
        self.CRM_WEBHOOK_ALLOW_LOCAL = True  # the tests' webhook servers listen on 127.0.0.1
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"
        self.REDIS_URL = None
        self.CRM_CELERY_QUEUE = "crm-test"
        self.CELERY = celery_settings(None, self.CRM_CELERY_QUEUE)
        # In-process tasks route only their own lead: unit tests set up unrouted leads on
        # purpose. Batches are tested directly (test_routing_batch.py) and on real workers.
        self.CRM_ROUTING_BATCH = 1
        self.RATELIMIT_STORAGE_URI = "memory://"
        # Tests that are about limits or fill time turn them on themselves.
        self.RATELIMIT_ENABLED = False
        self.CRM_SPAM_MIN_FILL_SECONDS = 0
        self.MAIL_SERVER = None


def _limits_storage(redis_url: str | None, master_name: str, options: dict) -> tuple[str, dict]:
    if redis_url is None:
        return "memory://", options
    from crm.redis_client import limits_storage  # here: crm imports this module first
    return limits_storage(redis_url, master_name, options)


def celery_settings(redis_url: str | None, queue: str, master_name: str | None = None) -> dict:
    """Celery settings; see workers/README.md for why each reliability knob is set.
    `master_name`: CRM_REDIS_MASTER_NAME (None: its default)."""
    common = {
        "task_default_queue": queue,
        # The worker's task modules, by name: crm/ never imports workers/ (crm.jobs).
        "include": ["workers.tasks"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "timezone": "Asia/Shanghai",
        "enable_utc": True,
        "broker_connection_retry_on_startup": True,
        "task_ignore_result": True,
        # The web request's id (X-Request-Id) is on every log line of the tasks it caused.
        "worker_log_format": "[%(asctime)s: %(levelname)s/%(processName)s] [%(request_id)s] %(message)s",
        "worker_task_log_format": "[%(asctime)s: %(levelname)s/%(processName)s] [%(request_id)s] "
                                  "%(task_name)s[%(task_id)s]: %(message)s",
    }
    if redis_url is None:
        # No broker configured: run tasks in-process, right after the request commits.
        return {**common, "broker_url": "memory://localhost/", "task_always_eager": True,
                "task_eager_propagates": False}
    from crm.redis_client import celery_transport_options  # here: crm imports this module first
    # With Sentinels: which master they watch (kombu's SentinelChannel, Celery's SentinelBackend).
    sentinel = celery_transport_options(redis_url, master_name or DEFAULT_REDIS_MASTER_NAME)
    return {
        **common,
        "broker_url": redis_url,
        # A redelivered task (worker killed) comes back after this many seconds, not the
        # default hour. No task uses an ETA/countdown longer than this.
        "broker_transport_options": {"visibility_timeout": 300, **sentinel},
        # No task stores a result (task_ignore_result); one that is given a result_backend
        # of REDIS_URL reaches it through the same Sentinels.
        "result_backend_transport_options": sentinel,
        # Fail fast when Redis is down: the lead is already committed and the sweeper
        # routes it later, so the prospect must not wait on broker retries.
        "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0,
                                      "interval_step": 0.2, "interval_max": 0.2},
        "broker_connection_timeout": 2,
        # A worker keeps trying to reach Redis however long it is away (the default gives up
        # after 100 attempts, about 45 minutes at the 30 s interval it settles at).
        "broker_connection_max_retries": None,
    }


# The most points each score factor can give; CRM_SCORE_WEIGHTS overrides some, e.g.
# "tax=30,investment=20". They add up to 115, not 100: a score is the points a lead got over
# the weights of the factors that apply to it (tax_per_mu only for land, engagement only once
# listings were sent), scaled to 0-100 (crm/leads/scoring.py).
DEFAULT_SCORE_WEIGHTS = {"tax": 25, "investment": 20, "tax_per_mu": 15, "completeness": 20,
                         "industry_fit": 15, "repeat": 5, "engagement": 15}


def _normalise_db_url(url: str | None) -> str | None:
    if not url:
        return None
    # Accept the common postgres:// and postgresql:// forms; we drive psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
