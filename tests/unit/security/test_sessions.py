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


def _close_browser(client):
    """The session cookie dies with the browser; the remember-me cookie stays."""
    client.delete_cookie("session")


def test_remember_me_keeps_the_first_login_time_and_ends_with_it(client, auth, db):
    """Issue 27: a session brought back by the remember-me cookie keeps the absolute limit of
    the login it continues, and the server refuses the cookie after that, whatever the
    browser kept."""
    UserFactory(email="me@example.com")
    db.session.commit()
    with time_machine.travel(utcnow(), tick=False) as clock:
        _login(client, auth, remember=True)
        cookie = client.get_cookie("remember_token")
        clock.shift(timedelta(days=6))
        _close_browser(client)
        assert client.get("/agent/leads").status_code == 200  # brought back
        clock.shift(timedelta(hours=23))
        _close_browser(client)
        assert client.get("/agent/leads").status_code == 200
        clock.shift(timedelta(hours=2))  # 7 days and 1 hour after the login
        _close_browser(client)
        response = client.get("/agent/leads")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        # The same cookie replayed by hand is refused by the server too.
        _close_browser(client)
        client.set_cookie(cookie.key, cookie.value)
        assert client.get("/agent/leads").status_code == 302


def test_remember_me_ends_with_logout_and_a_password_change(client, auth, db):
    UserFactory(email="me@example.com")
    db.session.commit()
    _login(client, auth, remember=True)
    cookie = client.get_cookie("remember_token")
    client.post("/logout")
    assert client.get_cookie("remember_token") is None
    client.set_cookie(cookie.key, cookie.value)  # kept by someone
    assert client.get("/agent/leads").status_code == 302
    # A password change voids the cookies of other browsers; this one is issued anew.
    _login(client, auth, remember=True)
    elsewhere = client.get_cookie("remember_token")
    response = client.post("/account/password", data={
        "current": "secret-pass", "password": "Kiln-orchard-47-lantern", "confirm":
        "Kiln-orchard-47-lantern"})
    assert response.status_code == 302
    _close_browser(client)
    assert client.get("/agent/leads").status_code == 200
    _close_browser(client)
    client.set_cookie(elsewhere.key, elsewhere.value)
    assert client.get("/agent/leads").status_code == 302


def test_a_forged_or_old_format_remember_cookie_is_refused(client, db):
    user = UserFactory(email="me@example.com")
    db.session.commit()
    from flask_login.utils import encode_cookie
    with client.application.test_request_context():
        old_format = encode_cookie(user.get_id())  # Flask-Login's: no time in it
    client.set_cookie("remember_token", old_format)
    assert client.get("/agent/leads").status_code == 302
