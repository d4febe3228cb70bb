"""Rate limits on the intake endpoints (Flask-Limiter), per client and per mobile number.

One Limiter per app (not a module global): Flask-Limiter keeps settings and "storage
is dead" state on the instance, which must not leak between apps (tests, workers).

Storage is Redis when REDIS_URL is set, memory otherwise. If Redis goes down the
limiter fails open: RATELIMIT_IN_MEMORY_FALLBACK_ENABLED switches to per-process
memory counters (Flask-Limiter logs "Rate limit storage unreachable") and
RATELIMIT_SWALLOW_ERRORS keeps any other storage error from failing the request.
"""
import hashlib
import logging

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from crm.inputs.phone import PhoneError, parse_mobile

log = logging.getLogger(__name__)


def mobile_key() -> str:
    """The submitted mobile, normalised, so 133-9121-9793 and +86 13391219793 share a bucket."""
    if "ratelimit_mobile" not in g:
        g.ratelimit_mobile = ""
        try:
            if request.is_json:
                body = request.get_json(silent=True)
                raw = body.get("mobile") if isinstance(body, dict) else None
            else:
                raw = request.form.get("mobile")
            if isinstance(raw, str) and raw:
                g.ratelimit_mobile = "mobile:" + parse_mobile(raw).e164
        except PhoneError:
            pass  # the form says what is wrong with it; nothing to count
        except Exception:  # noqa: BLE001 - e.g. 413 on an oversized body: the view answers that
            log.debug("no mobile to rate-limit by", exc_info=True)
    return g.ratelimit_mobile


def api_client_key() -> str:
    key = request.headers.get("X-Api-Key", "")
    if key:
        return "apikey:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return "ip:" + (get_remote_address() or "")


def init_limiter(app: Flask) -> Limiter:
    from crm.api.views import bp as api_bp
    from crm.public.views import bp as public_bp

    limiter = Limiter(key_func=get_remote_address)
    limiter.shared_limit(lambda: current_app.config["CRM_RATELIMIT_PER_IP"],
                         scope="intake-ip", methods=["POST"])(public_bp)
    limiter.shared_limit(lambda: current_app.config["CRM_RATELIMIT_PER_API_KEY"],
                         scope="intake-api", key_func=api_client_key, methods=["POST"])(api_bp)
    for bp in (public_bp, api_bp):
        limiter.shared_limit(lambda: current_app.config["CRM_RATELIMIT_PER_MOBILE"],
                             scope="intake-mobile", key_func=mobile_key, methods=["POST"],
                             exempt_when=lambda: not mobile_key())(bp)
    limiter.init_app(app)
    # Password guessing: per address and per account, on this app's login view only.
    login_view = app.view_functions["auth.login"]
    login_view = limiter.limit(lambda: current_app.config["CRM_RATELIMIT_LOGIN"],
                               methods=["POST"], scope="login-ip")(login_view)
    login_view = limiter.limit(lambda: current_app.config["CRM_RATELIMIT_LOGIN"], methods=["POST"],
                               scope="login-account", key_func=login_account_key)(login_view)
    app.view_functions["auth.login"] = login_view
    app.extensions["crm_limiter"] = limiter
    return limiter


def login_account_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()[:254]
