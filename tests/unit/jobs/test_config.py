import pytest
from flask import Flask

from config import Config
from crm import create_app


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Config())


def test_defaults_are_sqlite_in_the_instance_folder_and_eager_celery(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    # The instance folder Flask would find (the checkout's own instance/) is a temporary one
    # here: create_app makes the folder, and a test never writes into the checkout.
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    app = create_app(Config())
    assert app.instance_path == str(instance) and instance.is_dir()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'changfang.sqlite3'}"
    assert app.extensions["celery"].conf.task_always_eager is True


def test_with_both_set_uses_postgres_and_a_real_broker(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.internal/crm")
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db.internal/crm"
    celery = config.CELERY
    assert celery["broker_url"] == "redis://cache.internal:6379/0"
    assert not celery.get("task_always_eager")
    assert celery["task_acks_late"] and celery["task_reject_on_worker_lost"]
    assert celery["broker_transport_options"]["visibility_timeout"] <= 600


def test_unknown_pages_and_errors_render_the_friendly_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
