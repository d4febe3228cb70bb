"""Settings, read from environment variables when a config class is used.

Each class reads the environment in ``__init__`` (not at import time), so tests
can set variables and build a fresh config without reloading modules.
"""
import os
from datetime import time, timedelta

DEV_SECRET = "dev-only-not-secret"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    def __init__(self) -> None:
        self.ENV_NAME = os.environ.get("CRM_ENV", "development")
        self.SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
        # None → a SQLite file in the instance folder (filled in by create_app).
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(os.environ.get("DATABASE_URL"))
        # hide_parameters: a database error (logged, or in a traceback) never carries the
        # statement's values, which are often a prospect's name and mobile.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        queue = os.environ.get("CRM_CELERY_QUEUE", "crm")
        self.CELERY = celery_settings(self.REDIS_URL, queue)
        self.BABEL_DEFAULT_LOCALE = "zh_CN"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.LANGUAGES = ["zh_CN", "en"]
        self.CRM_TIMEZONE = "Asia/Shanghai"
        # The privacy notice a prospect agrees to; bump when its text changes (PIPL Art. 17).
        self.PRIVACY_POLICY_VERSION = os.environ.get("CRM_PRIVACY_POLICY_VERSION", "2026-11")
        self.SLA_FIRST_CONTACT_MINUTES = int(os.environ.get("CRM_SLA_MINUTES", "30"))
        # Leads still unrouted after this many seconds are re-enqueued by the sweeper.
        self.SWEEP_AFTER_SECONDS = int(os.environ.get("CRM_SWEEP_AFTER_SECONDS", "60"))
        # A routing task also routes up to this many - 1 other waiting leads (a burst's backlog).
        self.CRM_ROUTING_BATCH = max(1, int(os.environ.get("CRM_ROUTING_BATCH", "50")))
        # A routing task waits this long before it picks its batch, so that the inquiries of a
        # burst arriving meanwhile go in one batch (one task, one reading of rules and agents)
        # instead of a task each: a fifth of a second of latency (the target is a second) for
        # half the worker's CPU per lead under load (bench/README.md). A full batch takes the
        # next at once, so the linger never caps how fast a backlog drains.
        self.CRM_ROUTING_LINGER_SECONDS = float(os.environ.get("CRM_ROUTING_LINGER_SECONDS",
                                                               "0.2"))
        # On PostgreSQL a report's slowest statement runs on a connection of its own beside
        # the others (crm.reporting.overlap): a report request then holds two connections.
        self.CRM_REPORT_OVERLAP = _bool("CRM_REPORT_OVERLAP", True)
        # Office hours that SLA deadlines count (working minutes on China's working days).
        self.WORKDAY_START = _clock(os.environ.get("CRM_WORKDAY_START", "09:00"))
        self.WORKDAY_END = _clock(os.environ.get("CRM_WORKDAY_END", "18:00"))
        # Big projects go to a senior as well (DOMAIN.md: tiers start at 3亿元 investment).
        self.ESCALATE_INVESTMENT_WAN = os.environ.get("CRM_ESCALATE_INVESTMENT_WAN", "30000")
        self.ESCALATE_TAX_WAN = os.environ.get("CRM_ESCALATE_TAX_WAN", "1000")
        # Notifications go to public https addresses only; local http is for tests' servers.
        self.CRM_WEBHOOK_ALLOW_LOCAL = _bool("CRM_WEBHOOK_ALLOW_LOCAL", False)
        # Links in notifications point here.
        self.BASE_URL = os.environ.get("CRM_BASE_URL", "http://127.0.0.1:5000")
        self.WTF_CSRF_TIME_LIMIT = None  # a prospect may take their time over the form
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("CRM_SECURE_COOKIES", self.ENV_NAME == "production")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        # Remember-me is crm/web/auth/remember.py's own signed cookie; Flask-Login's is never
        # set, and this name nobody uses keeps Flask-Login from reading ours.
        self.REMEMBER_COOKIE_NAME = "flask_login_remember_unused"
        # A session ends after this long without a request, and this long after login
        # whatever happens (remember-me included: its cookie lasts no longer).
        self.CRM_SESSION_IDLE_MINUTES = int(os.environ.get("CRM_SESSION_IDLE_MINUTES", "480"))
        self.CRM_SESSION_MAX_HOURS = int(os.environ.get("CRM_SESSION_MAX_HOURS", "168"))
        self.REMEMBER_COOKIE_DURATION = timedelta(hours=self.CRM_SESSION_MAX_HOURS)
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=self.CRM_SESSION_MAX_HOURS)
        self.MAX_CONTENT_LENGTH = 256 * 1024
        self.LEADS_PER_PAGE = 50
        # Behind nginx/a load balancer: how many proxies set X-Forwarded-For (0: none).
        self.CRM_PROXY_COUNT = int(os.environ.get("CRM_PROXY_COUNT", "0"))

        # Intake: duplicates, spam, the JSON API.
        # An inquiry from the same prospect within this many days is a repeat of their lead
        # (crm.intake.repeats); the one window for intake, import, scoring and the lead page.
        self.CRM_REPEAT_WINDOW_DAYS = int(os.environ.get(
            "CRM_REPEAT_WINDOW_DAYS", os.environ.get("CRM_DUPLICATE_WINDOW_DAYS", "90")))
        # A person needs a few seconds to fill in even the short form; a bot does not.
        self.CRM_SPAM_MIN_FILL_SECONDS = int(os.environ.get("CRM_SPAM_MIN_FILL_SECONDS", "3"))
        # How long a web process trusts an API key it has looked up (a rotated key or a
        # deactivated site is refused by the other processes within this time).
        self.CRM_API_KEY_CACHE_SECONDS = int(os.environ.get("CRM_API_KEY_CACHE_SECONDS", "30"))
        self.CRM_API_MAX_BODY_BYTES = int(os.environ.get("CRM_API_MAX_BODY_BYTES", str(32 * 1024)))
        self.CRM_RATELIMIT_PER_IP = os.environ.get(
            "CRM_RATELIMIT_PER_IP", "5 per minute;30 per hour")
        self.CRM_RATELIMIT_PER_MOBILE = os.environ.get(
            "CRM_RATELIMIT_PER_MOBILE", "3 per 10 minutes;10 per day")
        # A partner server posts for many prospects, so the API is limited per key, not per IP.
        self.CRM_RATELIMIT_LOGIN = os.environ.get("CRM_RATELIMIT_LOGIN", "10 per minute;50 per hour")
        # The region picker asks once per keystroke pause: generous, but not a scraping API.
        self.CRM_RATELIMIT_REGION_SEARCH = os.environ.get("CRM_RATELIMIT_REGION_SEARCH",
                                                          "120 per minute;3000 per hour")
        # "Tell the owner" from the reference card, per user.
        self.CRM_RATELIMIT_TELL_OWNER = os.environ.get("CRM_RATELIMIT_TELL_OWNER",
                                                       "10 per minute;60 per day")
        # The agent's paste reader, per user: POST /api/v1/parse has the intake limits.
        self.CRM_RATELIMIT_PASTE = os.environ.get("CRM_RATELIMIT_PASTE",
                                                  "30 per minute;1000 per day")
        self.CRM_HSTS = _bool("CRM_HSTS")
        self.CRM_RATELIMIT_PER_API_KEY = os.environ.get(
            "CRM_RATELIMIT_PER_API_KEY", "60 per minute;2000 per day")
        # Flask-Limiter: Redis when there is one; fail open (in-memory) when it is down.
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_KEY_PREFIX = queue
        self.RATELIMIT_ENABLED = _bool("CRM_RATELIMIT_ENABLED", True)

        # Auto-reply mail to a prospect who gave an email; off while MAIL_SERVER is unset.
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
        self.MAIL_SENDER = os.environ.get("MAIL_SENDER", "noreply@localhost")
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_USE_STARTTLS = _bool("MAIL_USE_STARTTLS", False)
        # Report exports: above these sizes a Celery task writes the file (instance/exports,
        # or CRM_EXPORT_DIR: shared storage when web and workers run on several machines).
        self.EXPORT_SYNC_MAX_LEADS = int(os.environ.get("CRM_EXPORT_SYNC_MAX_LEADS", "200000"))
        self.EXPORT_SYNC_MAX_ROWS = int(os.environ.get("CRM_EXPORT_SYNC_MAX_ROWS", "5000"))
        self.EXPORT_DIR = os.environ.get("CRM_EXPORT_DIR") or None
        # Workspace: scoring weights (points out of 100), the park's leading industry tracks,
        # how long closed leads keep personal data (PIPL Art. 19), import upload size.
        self.CRM_SCORE_WEIGHTS = _weights(os.environ.get("CRM_SCORE_WEIGHTS", ""))
        self.CRM_LEADING_TRACKS = [t for t in os.environ.get(
            "CRM_LEADING_TRACKS", "nev,equipment,materials,ic,biomedicine").split(",") if t]
        self.CRM_RETENTION_DAYS = int(os.environ.get("CRM_RETENTION_DAYS", "730"))
        # API Idempotency-Key answers are kept this long, then purged by beat.
        self.CRM_IDEMPOTENCY_DAYS = int(os.environ.get("CRM_IDEMPOTENCY_DAYS", "7"))
        self.CRM_IMPORT_MAX_BYTES = int(os.environ.get("CRM_IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
        self.CRM_IMPORT_MAX_ROWS = int(os.environ.get("CRM_IMPORT_MAX_ROWS", "5000"))
        self.CRM_QUEUE_POLL_SECONDS = int(os.environ.get("CRM_QUEUE_POLL_SECONDS", "20"))
        # Listing photos (crm/listings/images.py): where the files live (None: instance/media;
        # several web machines share it, see docs/deploy.md), the most one upload may weigh and
        # hold in pixels (a decompression bomb is refused), how many one listing may have and
        # one request may carry, and how long an upload may wait before the sweeper retries it.
        self.CRM_MEDIA_DIR = os.environ.get("CRM_MEDIA_DIR") or None
        self.CRM_IMAGE_MAX_BYTES = int(os.environ.get("CRM_IMAGE_MAX_BYTES", str(15 * 1024 * 1024)))
        # 24 MP: a phone's full-size photo; decoding one takes about 100 MB of a worker
        # (bench/photo_memory.py), twice that would not fit beside the others.
        self.CRM_IMAGE_MAX_PIXELS = int(os.environ.get("CRM_IMAGE_MAX_PIXELS", "24000000"))
        self.CRM_IMAGE_MAX_PER_LISTING = int(os.environ.get("CRM_IMAGE_MAX_PER_LISTING", "30"))
        self.CRM_IMAGE_MAX_PER_UPLOAD = int(os.environ.get("CRM_IMAGE_MAX_PER_UPLOAD", "10"))
        # The body of one upload request (the global MAX_CONTENT_LENGTH is for forms).
        self.CRM_IMAGE_UPLOAD_MAX_BYTES = int(os.environ.get(
            "CRM_IMAGE_UPLOAD_MAX_BYTES",
            str(self.CRM_IMAGE_MAX_BYTES * self.CRM_IMAGE_MAX_PER_UPLOAD + 1024 * 1024)))
        self.CRM_IMAGE_SWEEP_AFTER_SECONDS = int(os.environ.get("CRM_IMAGE_SWEEP_AFTER_SECONDS",
                                                                "120"))
        # nginx serves the files itself when set (X-Accel-Redirect to this internal prefix).
        self.CRM_MEDIA_ACCEL_PREFIX = os.environ.get("CRM_MEDIA_ACCEL_PREFIX") or None
        # Recommendation pages (/r/<token>): how long a link lives, and how long one browser's
        # opens count once.
        self.CRM_RECOMMENDATION_DAYS = int(os.environ.get("CRM_RECOMMENDATION_DAYS", "30"))
        self.CRM_RECOMMENDATION_OPEN_WINDOW_MINUTES = int(os.environ.get(
            "CRM_RECOMMENDATION_OPEN_WINDOW_MINUTES", "30"))
        # Reminders to the agents going on a site visit, this long before it; and before a
        # follow-up with a time of day.
        self.CRM_VISIT_REMINDER_MINUTES = int(os.environ.get("CRM_VISIT_REMINDER_MINUTES", "60"))
        self.CRM_FOLLOW_UP_REMINDER_MINUTES = int(os.environ.get(
            "CRM_FOLLOW_UP_REMINDER_MINUTES", "15"))


class TestConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.WTF_CSRF_ENABLED = False
        self.CRM_WEBHOOK_ALLOW_LOCAL = True  # the tests' webhook servers listen on 127.0.0.1
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"
        self.REDIS_URL = None
        self.CELERY = celery_settings(None, "crm-test")
        # In-process tasks route only their own lead: unit tests set up unrouted leads on
        # purpose. Batches are tested directly (test_routing_batch.py) and on real workers.
        self.CRM_ROUTING_BATCH = 1
        self.RATELIMIT_STORAGE_URI = "memory://"
        # Tests that are about limits or fill time turn them on themselves.
        self.RATELIMIT_ENABLED = False
        self.CRM_SPAM_MIN_FILL_SECONDS = 0
        self.MAIL_SERVER = None


def celery_settings(redis_url: str | None, queue: str) -> dict:
    """Celery settings; see workers/README.md for why each reliability knob is set."""
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
    return {
        **common,
        "broker_url": redis_url,
        # A redelivered task (worker killed) comes back after this many seconds, not the
        # default hour. No task uses an ETA/countdown longer than this.
        "broker_transport_options": {"visibility_timeout": 300},
        # Fail fast when Redis is down: the lead is already committed and the sweeper
        # routes it later, so the prospect must not wait on broker retries.
        "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0,
                                      "interval_step": 0.2, "interval_max": 0.2},
        "broker_connection_timeout": 2,
    }


# Points each factor can give; they add up to 100. CRM_SCORE_WEIGHTS overrides some,
# e.g. "tax=30,investment=20".
DEFAULT_SCORE_WEIGHTS = {"tax": 25, "investment": 20, "tax_per_mu": 15, "completeness": 20,
                         "industry_fit": 15, "repeat": 5, "engagement": 15}


def _weights(text: str) -> dict[str, int]:
    weights = dict(DEFAULT_SCORE_WEIGHTS)
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() in weights and value.strip().isdigit():
            weights[name.strip()] = int(value)
    return weights


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _normalise_db_url(url: str | None) -> str | None:
    if not url:
        return None
    # Accept the common postgres:// and postgresql:// forms; we drive psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
