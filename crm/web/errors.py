"""Error pages: an HTML page for people, a JSON body under /api/ (API clients never get HTML),
and a 503 when the database is away."""
from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError as DBOperationalError


def _api_message(code: int, headers: dict[str, str]) -> str:
    messages = {401: _("A valid X-Api-Key header is required."),
                404: _("This page does not exist."),
                405: _("This address accepts only: %(methods)s.",
                       methods=headers.get("Allow", "")),
                413: _("What you sent is too large."),
                429: _("Too many requests. Please wait a moment and try again."),
                503: _("The service is briefly unavailable. Please try again in a minute.")}
    return messages.get(code, _("Something went wrong on our side. Please try again."))


def _error_response(code: int, headers: dict[str, str] | None = None):
    headers = headers or {}
    if request.path.startswith("/api/"):
        return jsonify({"error": _api_message(code, headers)}), code, headers
    return render_template("error.html", code=code), code, headers


def render_error(error):
    code = getattr(error, "code", 500) or 500
    # Keep what the exception says about itself (Allow on a 405, Retry-After on a 429).
    headers = {k: v for k, v in getattr(error, "get_headers", lambda: [])()
               if k in ("Allow", "Retry-After")}
    return _error_response(code, headers)


# SQLSTATE 53100 (psycopg.errors.DiskFull, an OperationalError): PostgreSQL's disk is full.
# Reads still work; what needs a write gets the same clear 503 as a database that is away.
DISK_FULL = "53100"


def database_unavailable(error):
    if getattr(error.orig, "sqlstate", None) == DISK_FULL:
        current_app.logger.error("database disk full, a write refused (SQLSTATE 53100): %s", error)
    else:
        current_app.logger.error("database unavailable: %s", error)
    return _error_response(503)


def register(app: Flask) -> None:
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)
    app.register_error_handler(DBOperationalError, database_unavailable)
