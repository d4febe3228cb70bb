"""Issue 14: sessions end after idling and after a maximum age; the remember-me cookie is
Secure/SameSite in production and lasts no longer than a session; an unknown email costs
the same password hashing as a known one."""
from datetime import timedelta

import time_machine

from config import Config
from crm.models.types import utcnow
from tests.factories import UserFactory


def _login(client, auth, remember=False):
    data = {"email": "me@example.com", "password": "secret-pass"}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def test_an_idle_session_ends(client, auth, db):
    UserFactory(email="me@example.com")
    db.session.commit()
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        _login(client, auth)
        assert client.get("/agent/leads").status_code == 200
        clock.shift(timedelta(hours=7))
        assert client.get("/agent/leads").status_code == 200   # 7 h apart: still open
        clock.shift(timedelta(hours=8, minutes=1))
        response = client.get("/agent/leads")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert client.get("/agent/leads").status_code == 302    # and it stays ended


def test_a_busy_session_still_ends_at_its_maximum_age(client, auth, db):
    UserFactory(email="me@example.com")
    db.session.commit()
    with time_machine.travel(utcnow(), tick=False) as clock:
        _login(client, auth, remember=True)
        for _ in range(7 * 24 // 4):
            clock.shift(timedelta(hours=4))
            client.get("/agent/leads")
        clock.shift(timedelta(hours=5))
        response = client.get("/agent/leads")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_remember_cookie_flags_in_production(monkeypatch):
    monkeypatch.setenv("CRM_ENV", "production")
    config = Config()
    assert config.REMEMBER_COOKIE_SECURE and config.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert config.REMEMBER_COOKIE_DURATION == timedelta(days=7)


def test_login_hashes_a_password_for_an_unknown_email_too(client, db, monkeypatch):
    import crm.web.auth.views as views
    calls = []
    real = views.check_password_hash
    monkeypatch.setattr(views, "check_password_hash", lambda *a: calls.append(a) or real(*a))
    client.post("/login", data={"email": "nobody@example.com", "password": "whatever-pass"})
    assert len(calls) == 1
