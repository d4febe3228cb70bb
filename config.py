"""Settings, read from environment variables when a config class is used.

Each class reads the environment in ``__init__`` (not at import time), so tests
can set variables and build a fresh config without reloading modules.
"""
import os
from datetime import time

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
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
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
        # Office hours that SLA deadlines count (working minutes on China's working days).
        self.WORKDAY_START = _clock(os.environ.get("CRM_WORKDAY_START", "09:00"))
        self.WORKDAY_END = _clock(os.environ.get("CRM_WORKDAY_END", "18:00"))
        # Big projects go to a senior as well (DOMAIN.md: tiers start at 3亿元 investment).
        self.ESCALATE_INVESTMENT_WAN = os.environ.get("CRM_ESCALATE_INVESTMENT_WAN", "30000")
        self.ESCALATE_TAX_WAN = os.environ.get("CRM_ESCALATE_TAX_WAN", "1000")
        # Links in notifications point here.
        self.BASE_URL = os.environ.get("CRM_BASE_URL", "http://127.0.0.1:5000")
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS")
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_SENDER = os.environ.get("MAIL_SENDER", "crm@localhost")
        # Fault drills only: seconds routing waits while holding its locks (see bench/).
        self.FAULT_ROUTE_PAUSE_SECONDS = float(os.environ.get("CRM_FAULT_ROUTE_PAUSE_SECONDS", "0"))
        self.WTF_CSRF_TIME_LIMIT = None  # a prospect may take their time over the form
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("CRM_SECURE_COOKIES", self.ENV_NAME == "production")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.MAX_CONTENT_LENGTH = 256 * 1024
        self.LEADS_PER_PAGE = 50
        # Workspace: scoring weights (points out of 100), the park's leading industry tracks,
        # how long closed leads keep personal data (PIPL Art. 19), import upload size.
        self.CRM_SCORE_WEIGHTS = _weights(os.environ.get("CRM_SCORE_WEIGHTS", ""))
        self.CRM_LEADING_TRACKS = [t for t in os.environ.get(
            "CRM_LEADING_TRACKS", "nev,equipment,materials,ic,biomedicine").split(",") if t]
        self.CRM_RETENTION_DAYS = int(os.environ.get("CRM_RETENTION_DAYS", "730"))
        self.CRM_IMPORT_MAX_BYTES = int(os.environ.get("CRM_IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
        self.CRM_IMPORT_MAX_ROWS = int(os.environ.get("CRM_IMPORT_MAX_ROWS", "5000"))
        self.CRM_QUEUE_POLL_SECONDS = int(os.environ.get("CRM_QUEUE_POLL_SECONDS", "20"))


class TestConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.WTF_CSRF_ENABLED = False
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"
        self.REDIS_URL = None
        self.CELERY = celery_settings(None, "crm-test")


def celery_settings(redis_url: str | None, queue: str) -> dict:
    """Celery settings; see workers/README.md for why each reliability knob is set."""
    common = {
        "task_default_queue": queue,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "timezone": "Asia/Shanghai",
        "enable_utc": True,
        "broker_connection_retry_on_startup": True,
        "task_ignore_result": True,
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
                         "industry_fit": 15, "repeat": 5}


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
