import logging

from crm.models.types import utcnow
from tests.factories import LeadFactory


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client):
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready" and body["checks"]["database"] == "ok"


def test_readyz_says_unavailable_when_redis_is_down(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["checks"]["redis"].startswith("error")


def test_metrics_count_submissions_rejections_and_state(client, db):
    LeadFactory(assigned_at=utcnow(), routed_at=utcnow())
    client.post("/inquiry", data={"contact_name": "x", "mobile": "400 0123 021", "consent": "y"})
    client.post("/inquiry", data={"contact_name": "刘", "mobile": "13391219793", "consent": "y"})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'crm_inquiries_rejected_total{field="mobile"}' in text
    assert 'crm_inquiries_submitted_total{channel="web",outcome="new"}' in text
    assert "crm_leads_unrouted" in text
    assert 'crm_routing_latency_seconds_bucket{le="+Inf"}' in text


def test_request_id_is_echoed_and_logged(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.post("/inquiry", headers={"X-Request-Id": "req-123"},
                           data={"contact_name": "刘", "mobile": "13391219793", "consent": "y"})
    assert response.headers["X-Request-Id"] == "req-123"
    assert any(getattr(r, "request_id", None) == "req-123" for r in caplog.records)


def test_link_tokens_are_masked_in_gunicorns_access_log_and_the_apps_logs(app):
    """Issue 27: gunicorn's access log wrote /r/<token> and /calendar/<token>.ics."""
    import logging
    import runpy
    from datetime import timedelta
    from pathlib import Path
    from types import SimpleNamespace

    from gunicorn.config import Config as GunicornConfig
    from gunicorn.glogging import SafeAtoms
    settings = runpy.run_path(str(Path(__file__).parents[3] / "gunicorn.conf.py"))
    cfg = GunicornConfig()
    cfg.set("accesslog", None)
    logger = settings["logger_class"](cfg)
    for path, masked in (("/r/AbC_-9xYz", "/r/***"), ("/r/AbC_-9xYz/visit", "/r/***/visit"),
                         ("/calendar/Zx-9_aQ.ics", "/calendar/***.ics")):
        environ = {"REQUEST_METHOD": "GET", "RAW_URI": path + "?x=1", "PATH_INFO": path,
                   "QUERY_STRING": "x=1", "SERVER_PROTOCOL": "HTTP/1.1",
                   "HTTP_REFERER": f"https://crm.example.cn{path}", "REMOTE_ADDR": "10.0.0.1"}
        response = SimpleNamespace(status="200 OK", sent=10, headers=[])
        line = cfg.access_log_format % SafeAtoms(logger.atoms(
            response, SimpleNamespace(headers=[]), environ, timedelta(seconds=1)))
        assert masked in line and "AbC_" not in line and "Zx-9" not in line, line
    # The app's own lines (werkzeug's request lines, Flask's "Exception on /r/…").
    handler = next(h for h in logging.getLogger().handlers
                   if any(type(f).__name__ == "MaskTokens" for f in h.filters))
    record = logging.makeLogRecord({"name": "werkzeug", "msg": '"%s %s HTTP/1.1" %s',
                                    "args": ("GET", "/r/AbC_-9xYz", 200), "request_id": "-"})
    assert handler.filter(record) and "AbC_" not in handler.format(record)


def test_a_full_database_disk_gives_the_clear_503_and_the_log_names_the_disk(app, caplog):
    """SQLSTATE 53100 (psycopg's DiskFull, an OperationalError, wrapped by SQLAlchemy) is
    answered like a database that is away; the log says which it is, for the operator."""
    import psycopg.errors
    from sqlalchemy.exc import OperationalError

    from crm.web import errors
    from tests.support.drills import UNAVAILABLE_MESSAGES

    full = OperationalError("INSERT INTO lead …", {}, psycopg.errors.DiskFull(
        'could not extend file "base/16384/17120": No space left on device'))
    with app.test_request_context("/api/v1/inquiries", method="POST"):
        body, code, _headers = errors.database_unavailable(full)
    assert code == 503 and body.get_json()["error"] in UNAVAILABLE_MESSAGES
    with app.test_request_context("/inquiry", method="POST"):
        page, code, _headers = errors.database_unavailable(full)
    assert code == 503 and "<h1>503</h1>" in page
    assert any(m in page for m in UNAVAILABLE_MESSAGES)
    assert "database disk full, a write refused (SQLSTATE 53100)" in caplog.text
