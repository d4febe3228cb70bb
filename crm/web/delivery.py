"""How pages and static files travel to a phone on a slow network (issue 33).

Compression: Flask-Compress, for text only (HTML, CSS, JS, SVG, JSON); photos are JPEG
already. Brotli where the browser offers it (HTTPS), gzip otherwise.

Static files: url_for('static', ...) adds `?v=<content hash>`, and a request that carries the
file's current hash is answered `public, max-age=31536000, immutable`, so a warm view asks
for nothing. No build step and no manifest to keep in step (Flask-Static-Digest needs
`flask digest compile` before every run and after every CSS edit, on a fresh clone too):
the hash is read from the file itself, again whenever its mtime changes. A request without
the hash, or with an old one, keeps Flask's default (revalidate).

The stylesheet inline for visitors (`inline_stylesheet()`): a prospect opens one to three
pages from a WeChat chat, and a linked stylesheet blocks the first paint for a round trip
(150 ms on slow 4G) that an inline copy does not. Visitors get `public.css` only, the rules
their pages use (about 10 KB, 3 KB compressed: less for a slowed phone to parse than all of
app.css); staff, who open hundreds of pages, keep the cached files, `public.css` then
`app.css` (the staff-only rules). The CSP allows exactly the inline text by its hash.
"""
import base64
import hashlib
import os

from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_compress import Compress
from markupsafe import Markup

STATIC_MAX_AGE = 31536000  # a year: the URL changes whenever the content does

_TEXT_TYPES = ["text/html", "text/css", "text/plain", "text/calendar", "text/csv",
               "text/javascript", "application/javascript", "application/json",
               "image/svg+xml"]


# Files that are the same whoever asks: the session is read on every request (the login and
# timeout checks), which makes Flask add `Vary: Cookie` and re-sign the cookie, and then no
# cache (the phone's included) reuses a photo across page views. Unless the request changed
# the session (a remember-me login), these answers carry no cookie and no `Vary: Cookie`.
COOKIE_FREE_ENDPOINTS = frozenset({"static", "listings.media", "listings.qr"})


class SessionInterface(SecureCookieSessionInterface):
    def save_session(self, app, session, response) -> None:
        if request.endpoint in COOKIE_FREE_ENDPOINTS and not session.modified:
            return
        super().save_session(app, session, response)


class StaticVersions:
    """The content hash of each static file, re-read when the file's mtime or size changes."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._known: dict[str, tuple[tuple[float, int], str, bytes]] = {}

    def _read(self, filename: str) -> tuple[tuple[float, int], str, bytes] | None:
        path = os.path.join(self.folder, filename)
        try:
            stat = os.stat(path)
        except OSError:
            return None
        stamp = (stat.st_mtime, stat.st_size)
        known = self._known.get(filename)
        if known and known[0] == stamp:
            return known
        with open(path, "rb") as handle:
            content = handle.read()
        known = (stamp, hashlib.sha256(content).hexdigest()[:12], content)
        self._known[filename] = known
        return known

    def of(self, filename: str) -> str | None:
        known = self._read(filename)
        return known[1] if known else None

    def content(self, filename: str) -> bytes | None:
        known = self._read(filename)
        return known[2] if known else None


def csp_hash(text: str) -> str:
    """The CSP source that allows exactly this inline text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def inline_stylesheet(filename: str) -> Markup:
    """A static stylesheet inline, allowed by its hash in this response's CSP (read by
    crm.web.security). Only for text without relative URLs (public.css has none)."""
    content = current_app.extensions["static_versions"].content(filename)
    if content is None:
        return Markup("")
    # The file is ours; a "</style" in it would end the element early (CSS reads "<\/" as "</").
    text = content.decode().replace("</", "<\\/")
    g.style_hashes = [*g.get("style_hashes", []), csp_hash(text)]
    return Markup("<style>") + Markup(text) + Markup("</style>")


def init_delivery(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.config.setdefault("COMPRESS_MIMETYPES", _TEXT_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)  # ~ gzip 6's CPU for a smaller body
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Registered first, so it runs after the hook below (after_request runs in reverse order).
    Compress(app)
    assert app.static_folder is not None
    versions = StaticVersions(app.static_folder)
    app.extensions["static_versions"] = versions
    app.jinja_env.globals["inline_stylesheet"] = inline_stylesheet

    @app.url_defaults
    def static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = versions.of(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def static_caching(response):
        if request.endpoint != "static" or response.status_code != 200:
            return response
        filename = (request.view_args or {}).get("filename", "")
        if request.args.get("v") and request.args["v"] == versions.of(filename):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = STATIC_MAX_AGE
            response.cache_control.immutable = True
        if response.mimetype in _TEXT_TYPES:
            # send_file streams the file, and Flask-Compress would then skip gzip (it streams
            # only zstd/br/deflate); these files are small, so read them and compress whole.
            response.direct_passthrough = False
            response.set_data(response.get_data())
        return response
