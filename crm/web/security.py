"""HTTP security headers for every response, set in this one place.

Every logged-in response is `Cache-Control: private, no-store`; public pages keep their own
caching. Every page refuses to be framed (CSP frame-ancestors 'none' and X-Frame-Options DENY),
except the embed pages, which allow exactly their source site's origins. There are no
inline scripts or styles anywhere, so the CSP can forbid them.
"""
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask import Request as FlaskRequest
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from crm.inputs.origins import normalise_origin

_BASE_POLICY = ("default-src 'self'; img-src 'self' data:; script-src 'self'; "
                "object-src 'none'; base-uri 'self'; form-action 'self'")


def allow_inline_styles() -> None:
    """Chart pages: ECharts sets style attributes. Scripts stay external-only."""
    g.inline_styles = True


def allow_framing_by(origins: list[str]) -> None:
    """Let this response be framed by these origins (and no one else)."""
    safe = []
    for origin in origins:
        try:
            safe.append(normalise_origin(origin))  # stored values are re-checked: a header
        except ValueError:
            continue
    g.frame_ancestors = safe


def frame_ancestors_value() -> str:
    ancestors = g.get("frame_ancestors")
    return "frame-ancestors " + (" ".join(ancestors) if ancestors else "'none'")


def larger_body(setting: str):
    """Mark a view whose requests may be larger than MAX_CONTENT_LENGTH (uploads): up to the
    setting's number of bytes. Known before anything reads the body, the CSRF check included."""
    def decorator(view):
        view.max_body_setting = setting
        return view
    return decorator


class Request(FlaskRequest):
    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        view = current_app.view_functions.get(self.endpoint) if self.url_rule and self.endpoint else None
        setting = getattr(view, "max_body_setting", None)
        # Only for someone logged in (the session cookie, not the body, says so): the CSRF
        # check reads the body before the view's login check, and an anonymous client must
        # not get 150 MB spooled to disk.
        if setting and current_user.is_authenticated:
            return current_app.config[setting]
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def init_security(app: Flask) -> None:
    app.request_class = Request
    proxies = app.config.get("CRM_PROXY_COUNT", 0)
    if proxies:
        # The client's address (rate limits) comes from X-Forwarded-For set by our proxies.
        # Flask's documented way to wrap its WSGI app (mypy sees a method assigned).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    # HSTS only where the site is served over HTTPS: production, or when asked.
    hsts = app.config["CRM_ENV"] == "production" or app.config.get("CRM_HSTS", False)

    @app.after_request
    def set_security_headers(response):
        if g.get("inline_styles"):
            styles = "style-src 'self' 'unsafe-inline'"
        else:  # a stylesheet inlined by crm.web.delivery, allowed by its hash
            styles = " ".join(["style-src 'self'", *g.get("style_hashes", [])])
        response.headers["Content-Security-Policy"] = (
            f"{_BASE_POLICY}; {styles}; {frame_ancestors_value()}")
        if g.get("frame_ancestors"):
            # X-Frame-Options cannot name origins; CSP frame-ancestors governs here.
            response.headers.pop("X-Frame-Options", None)
        else:
            response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if hsts:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if _staff_response():
            # Whatever the view said: a logged-in page (a lead, a live link's QR) is kept by no
            # cache, the browser's included, so a shared PC's back button or a proxy shows none.
            response.headers["Cache-Control"] = "private, no-store"
            response.headers.pop("Expires", None)
        return response


def _staff_response() -> bool:
    # Static files hold nothing personal; current_user is not loaded just to serve them.
    return request.endpoint != "static" and current_user.is_authenticated


def local_target(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: decided by parsing the URL as a
    browser would (tabs and newlines dropped, backslashes as slashes), not by its prefix,
    so /%09/evil.com or /\\evil.com cannot leave the site."""
    if not target:
        return None
    cleaned = "".join(ch for ch in target if ch not in "\t\r\n").replace("\\", "/")
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    return cleaned
