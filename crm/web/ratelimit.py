"""Rate limits on the intake endpoints, per client and per mobile number; login limits.

Intake (POSTs to the form, the embed and the API; the API's reads): IntakeLimiter counts every window of a
request (per address or per API key, and per mobile) in one Redis round trip, with
Flask-Limiter's keys, fixed windows, order, 429 and headers. Login: Flask-Limiter.

Every attempt counts per client (a flood is a flood, valid or not). Per mobile only
inquiries that were accepted count: the mobile's windows are counted with the rest (one
round trip) and given back when the answer is not a 201 or a redirect to the thank-you
page, so a prospect who corrects a typo three times is not locked out.

One limiter of each per app (not module globals): each keeps settings and "storage is
dead" state on the instance, which must not leak between apps (tests, workers).

Storage is Redis when REDIS_URL is set (one server or its Sentinels), memory otherwise. If Redis goes down the limits
fail open to per-process memory counters and log "Rate limit storage unreachable"
(Flask-Limiter: RATELIMIT_IN_MEMORY_FALLBACK_ENABLED, RATELIMIT_SWALLOW_ERRORS).
"""
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from werkzeug.exceptions import TooManyRequests

from crm import redis_client
from crm.inputs.fields import clean
from crm.inputs.phone import PhoneError, parse_mobile
from crm.inputs.wechat import MOBILE_SHAPED, is_wechat_id

log = logging.getLogger(__name__)


def loggable_key(key: str) -> str:
    """A limit's key as it may appear in a log: a mobile only as a keyed hash (the same
    number gives the same tag, so a flood can be followed, but the number is not there)."""
    secret = current_app.config["SECRET_KEY"].encode()

    def tag(match: re.Match) -> str:
        digest = hmac.new(secret, match.group(0).encode(), hashlib.sha256).hexdigest()[:12]
        return f"{match.group(1)}:#{digest}"
    return re.sub(r"(mobile|wechat):(\+?\d+|[-_A-Za-z0-9]+)", tag, str(key))


def mobile_key() -> str:
    """The submitted mobile, normalised, so 133-9121-9793 and +86 13391219793 share a bucket;
    without a mobile, the WeChat ID of a WeChat-only prospect (the same limit per person)."""
    if "ratelimit_mobile" not in g:
        g.ratelimit_mobile = ""
        try:
            # The API reads its body as JSON whatever the Content-Type says, so the limit
            # must too: five posts for one mobile labelled text/plain count like any other.
            if request.is_json or request.blueprint == "api":
                try:
                    body = json.loads(request.get_data(cache=True))
                except (ValueError, RecursionError):
                    body = None
                body = body if isinstance(body, dict) else {}
                raw, wechat = body.get("mobile"), body.get("wechat")
            else:
                raw, wechat = request.form.get("mobile"), request.form.get("wechat_id")
            wechat = clean(wechat) if isinstance(wechat, str) else ""  # as the form reads it
            if isinstance(raw, str) and raw.strip():
                g.ratelimit_mobile = "mobile:" + parse_mobile(raw).e164
            elif MOBILE_SHAPED.fullmatch(wechat):  # the form takes it as the mobile
                g.ratelimit_mobile = "mobile:" + parse_mobile(wechat).e164
            elif is_wechat_id(wechat):
                g.ratelimit_mobile = "wechat:" + wechat
        except PhoneError:
            pass  # the form says what is wrong with it; nothing to count
        except Exception:  # e.g. 413 on an oversized body: the view answers that
            log.debug("no mobile to rate-limit by", exc_info=True)
    return g.ratelimit_mobile


def api_client_key() -> str:
    key = request.headers.get("X-Api-Key", "")
    if key:
        return "apikey:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return "ip:" + (get_remote_address() or "")


def _setting(name: str) -> Callable[[], str]:
    """A limit read from the config at each request (a test may change it on the app)."""
    return lambda: current_app.config[name]


def init_limiter(app: Flask) -> Limiter:
    limiter = Limiter(key_func=get_remote_address)
    limiter.init_app(app)
    # Password guessing: per address and per account, on this app's login view only.
    login_view: Callable[..., Any] = app.view_functions["auth.login"]
    login_view = limiter.limit(_setting("CRM_RATELIMIT_LOGIN"),
                               methods=["POST"], scope="login-ip")(login_view)
    login_view = limiter.limit(_setting("CRM_RATELIMIT_LOGIN"), methods=["POST"],
                               scope="login-account", key_func=login_account_key)(login_view)
    app.view_functions["auth.login"] = login_view
    # Guessing the current password from a session left open, and notifying owners in bulk
    # from the reference card: per user, as login is limited.
    # The paste reader too: it reads up to 5,000 characters per post, as the API's parse does.
    for endpoint, setting in (("auth.change_password", "CRM_RATELIMIT_LOGIN"),
                              ("agent.tell_owner", "CRM_RATELIMIT_TELL_OWNER"),
                              ("agent.paste_message", "CRM_RATELIMIT_PASTE")):
        view: Callable[..., Any] = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(
            _setting(setting), methods=["POST"], scope=endpoint, key_func=user_key)(view)
    # The region picker's search is public (the inquiry form and its embed): per address.
    search: Callable[..., Any] = app.view_functions["regions.region_search"]
    app.view_functions["regions.region_search"] = limiter.limit(
        _setting("CRM_RATELIMIT_REGION_SEARCH"), scope="region-search")(search)
    app.extensions["crm_limiter"] = limiter
    intake = IntakeLimiter(app)
    app.before_request(intake.check)
    app.after_request(intake.add_headers)
    app.extensions["crm_intake_limiter"] = intake
    return limiter


# --- the intake limits: every counter of a request in one Redis round trip ---------------

# Fixed windows, as Flask-Limiter's default strategy (limits' incr_expire.lua): add one,
# start the window's expiry on the first hit. In order, stopping after the first counter
# that goes over, as Flask-Limiter does; returns count and seconds left per counter hit.
_HIT_ALL = """
local out = {}
for i, key in ipairs(KEYS) do
    local count = redis.call('INCRBY', key, 1)
    if count == 1 then
        redis.call('EXPIRE', key, ARGV[2 * i])
    end
    out[#out + 1] = count
    out[#out + 1] = redis.call('TTL', key)
    if count > tonumber(ARGV[2 * i - 1]) then
        break
    end
end
return out
"""

# One less in each window that still exists (DECR on an expired key would make a -1
# without a TTL, which never expires).
_REFUND_ALL = """
for _, key in ipairs(KEYS) do
    if redis.call('EXISTS', key) == 1 then
        redis.call('DECR', key)
    end
end
return 0
"""

INTAKE_BLUEPRINTS = ("public", "api", "share")  # share: visit requests from /r/<token>
API_READS = ("api.contact_needs",)


@dataclass
class Window:
    item: RateLimitItem
    key: str
    kept_on_refusal: bool = True   # False: given back unless the inquiry was accepted


@dataclass
class Counted:
    item: RateLimitItem
    key: str
    count: int
    reset_at: float
    in_redis: bool = False

    @property
    def breached(self) -> bool:
        return self.count > self.item.amount


class IntakeLimiter:
    """Per-address / per-API-key and per-mobile limits on every POST to the intake blueprints.

    Flask-Limiter asks Redis once per window (two windows per setting) and twice more for
    the response headers; this counts all of a request's windows and reads their expiry in
    one Lua call. Same keys, windows, order, 429 and X-RateLimit-*/Retry-After headers as
    Flask-Limiter's shared limits had; if Redis fails, per-process memory counters take over
    (logged "Rate limit storage unreachable") and Redis is tried again after 1, 2, 4… 60 s.
    """

    def __init__(self, app: Flask):
        config = app.config
        self.enabled = config.get("RATELIMIT_ENABLED", True)
        self.headers = config.get("RATELIMIT_HEADERS_ENABLED", False)
        self.prefix = config.get("RATELIMIT_KEY_PREFIX", "")
        # Flask-Limiter's store when it is Redis (one server or REDIS_URL's Sentinels).
        self.redis = redis_client.limits_client(config)
        if self.redis is not None:
            self.hit_all = self.redis.register_script(_HIT_ALL)
            self.refund_all = self.redis.register_script(_REFUND_ALL)
        self.memory = MemoryStorage()
        self.failures = 0
        self.retry_redis_at = 0.0

    def windows(self) -> list[Window]:
        """Every window this request counts against, in Flask-Limiter's order."""
        config = current_app.config
        if request.blueprint == "api":
            pairs = [(config["CRM_RATELIMIT_PER_API_KEY"], api_client_key(), "intake-api")]
        else:
            pairs = [(config["CRM_RATELIMIT_PER_IP"], get_remote_address() or "", "intake-ip")]
        mobile = mobile_key()
        if mobile:
            pairs.append((config["CRM_RATELIMIT_PER_MOBILE"], mobile, "intake-mobile"))
        found = [Window(item, item.key_for(*([self.prefix] if self.prefix else []), who, scope),
                        scope != "intake-mobile")
                 for text, who, scope in pairs if who for item in _parse(text)]
        return sorted(found, key=lambda window: window.item.GRANULARITY.seconds)

    def check(self) -> None:
        # The API's reads count in the key's windows too (a key listing needs in a loop).
        counted_method = request.method == "POST" or request.endpoint in API_READS
        if (not self.enabled or not counted_method or request.endpoint is None
                or request.blueprint not in INTAKE_BLUEPRINTS):
            return
        windows = self.windows()
        if not windows:
            return
        counted = self._count(windows)
        breached = next((c for c in counted if c.breached), None)
        g.intake_limit = breached or counted[0]
        returnable = {w.key for w in windows if not w.kept_on_refusal}
        g.intake_refund = [c for c in counted if c.key in returnable]
        if breached is not None:
            log.info("ratelimit %s (%s) exceeded at endpoint: %s", breached.item,
                     loggable_key(breached.key), request.endpoint)
            raise TooManyRequests(retry_after=max(1, int(breached.reset_at - time.time()) + 1))

    def add_headers(self, response):
        refund = g.pop("intake_refund", None)
        if refund and not _accepted(response):
            self._refund(refund)
        counted = g.pop("intake_limit", None)
        if counted is not None and self.headers:
            reset_at = int(counted.reset_at + 1)
            response.headers.add("X-RateLimit-Limit", str(counted.item.amount))
            response.headers.add("X-RateLimit-Remaining", str(max(0, counted.item.amount - counted.count)))
            response.headers.add("X-RateLimit-Reset", str(reset_at))
            response.headers.set("Retry-After", str(int(reset_at - time.time())))
        return response

    def _refund(self, counted: list[Counted]) -> None:
        """Give back what a refused inquiry counted in the mobile's windows, in the store it
        was counted in; a window that expired meanwhile is left alone."""
        in_redis = [c for c in counted if c.in_redis]
        if in_redis:
            try:
                self.refund_all(keys=[f"LIMITS:{c.key}" for c in in_redis])
            except Exception as exc:  # a refund is a courtesy; never fail the answer
                log.warning("Rate limit refund failed (%s)", exc)
        for c in counted:
            if not c.in_redis and self.memory.get(c.key) > 0:
                self.memory.incr(c.key, c.item.get_expiry(), amount=-1)

    def _count(self, windows: list[Window]) -> list[Counted]:
        if self.redis is not None and time.time() >= self.retry_redis_at:
            try:
                counted = self._count_in_redis(windows)
                if self.failures:
                    log.info("Rate limit storage recovered")
                self.failures = 0
                return counted
            except Exception as exc:  # fail open: a limit must never refuse a lead
                # One line, as Flask-Limiter logs it: an outage must not print a traceback a request.
                log.warning("Rate limit storage unreachable - falling back to in-memory storage (%s)",
                            exc)
                self.retry_redis_at = time.time() + min(60, 2 ** self.failures)
                self.failures += 1
        return self._count_in_memory(windows)

    def _count_in_redis(self, windows: list[Window]) -> list[Counted]:
        args = []
        for w in windows:
            args += [w.item.amount, w.item.get_expiry()]
        # limits' RedisStorage puts "LIMITS:" before each key: the same counters as before.
        values = self.hit_all(keys=[f"LIMITS:{w.key}" for w in windows], args=args)
        now = time.time()
        return [Counted(w.item, w.key, int(values[2 * i]), now + max(int(values[2 * i + 1]), 0),
                        in_redis=True)
                for i, w in enumerate(windows[:len(values) // 2])]

    def _count_in_memory(self, windows: list[Window]) -> list[Counted]:
        counted = []
        for w in windows:
            count = self.memory.incr(w.key, w.item.get_expiry())
            counted.append(Counted(w.item, w.key, count, self.memory.get_expiry(w.key)))
            if counted[-1].breached:
                break
        return counted


def _accepted(response) -> bool:
    """An inquiry taken in: the API's 201, or the form's redirect to its thank-you page."""
    return response.status_code == 201 or (
        response.status_code == 302 and "/thanks" in response.headers.get("Location", ""))


@lru_cache(maxsize=64)
def _parse(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text))


def user_key() -> str:
    from flask_login import current_user
    return f"user:{current_user.get_id() if current_user.is_authenticated else get_remote_address()}"


def login_account_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()[:254]
