"""Request ids carried from the web request into the Celery tasks it causes, and log formats."""
import contextvars
import json
import logging
import re
import uuid

from flask import Flask, g, request

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    # Every record, whichever handler it reaches, knows the request it belongs to.
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    return record


# The secret of a link in a URL: a recommendation page /r/<token>(/visit), a calendar feed
# /calendar/<token>.ics. Whoever reads a log must not be able to open them.
_TOKEN_IN_URL = re.compile(r"(/r/|/calendar/)[^/?#\s\"'&]+?(?=\.ics|[/?#\s\"'&]|$)")


def mask_tokens(text: str) -> str:
    return _TOKEN_IN_URL.sub(r"\1***", text)


class MaskTokens(logging.Filter):
    """Masks link tokens in every line a handler writes (werkzeug's request lines, Flask's
    "Exception on /r/…", anything else that names a path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "msg": record.getMessage(),
                 "request_id": getattr(record, "request_id", "-")}
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(json_lines: bool) -> None:
    root = logging.getLogger()
    if logging.getLogRecordFactory() is _record_with_request_id:
        return  # already configured (several apps in one process, as in tests)
    logging.setLogRecordFactory(_record_with_request_id)
    handler = logging.StreamHandler()
    handler.addFilter(MaskTokens())
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def init_request_ids(app: Flask) -> None:
    @app.before_request
    def _assign():
        # Trust a load balancer's id when it sends one; make one otherwise.
        rid = (request.headers.get("X-Request-Id") or uuid.uuid4().hex)[:64]
        g.request_id = rid
        g._request_id_token = request_id_var.set(rid)

    @app.after_request
    def _echo(response):
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response

    @app.teardown_request
    def _reset(_exc):
        token = g.pop("_request_id_token", None)
        if token is not None:
            request_id_var.reset(token)


def current_request_id() -> str | None:
    rid = request_id_var.get()
    return None if rid == "-" else rid
