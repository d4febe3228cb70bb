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
