"""Enqueueing after a commit never fails the caller, and says why it could not."""
import logging

import config
from crm import create_app
from crm.jobs import enqueue


def test_broker_down_is_one_log_line_without_a_traceback(caplog):
    settings = config.TestConfig()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.CELERY = config.celery_settings(settings.REDIS_URL, "crm-test-dispatch")
    app = create_app(settings)
    caplog.set_level(logging.WARNING, logger="crm.jobs")
    with app.app_context():
        assert enqueue("workers.tasks.route_lead", 7) is False
    [record] = [r for r in caplog.records if r.name == "crm.jobs"]
    assert "could not enqueue workers.tasks.route_lead(7,), broker unavailable" in record.getMessage()
    assert "the sweeper will pick it up" in record.getMessage()
    assert record.exc_info is None  # an outage must not flood the log with tracebacks


def test_other_enqueue_errors_keep_their_traceback(app, caplog, monkeypatch):
    celery = app.extensions["celery"]
    monkeypatch.setattr(celery.tasks["workers.tasks.route_lead"], "apply_async",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    caplog.set_level(logging.WARNING, logger="crm.jobs")
    assert enqueue("workers.tasks.route_lead", 7) is False
    [record] = [r for r in caplog.records if r.name == "crm.jobs"]
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])
