"""Security headers, sessions that end for real, login throttling."""
import pytest

from config import TestConfig as AppTestConfig
from crm import create_app
from crm.extensions import db as _db
from tests.factories import UserFactory


@pytest.mark.parametrize("url", ["/inquiry", "/login", "/privacy", "/healthz", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers  # not in development


def test_no_inline_script_in_any_page(client, auth):
    UserFactory(email="boss@example.com", role="admin")
    auth.login("boss@example.com")
    for url in ("/inquiry", "/agent/leads", "/reports/", "/manage/routing/rules"):
        html = client.get(url).get_data(as_text=True)
        # Only external scripts (src=) or JSON data blocks are allowed.
        for tag in html.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert "src=" in head or 'type="application/json"' in head, (url, head)


def test_production_sends_hsts_and_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "Zq8vN2xL0pR4tY7wK3mB6cD9fG1hJ5sA-uE")
    config = AppTestConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_logout_invalidates_a_copied_session_cookie(app, client, auth):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    stolen = client.get_cookie("session").value
    assert client.get("/agent/leads").status_code == 200
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/agent/leads").status_code == 302  # the old cookie opens nothing


def test_password_change_ends_other_sessions(app, client, auth, db):
    user = UserFactory(email="me@example.com")
    auth.login("me@example.com")
    user.set_password("a-new-long-password")
    db.session.commit()
    assert client.get("/agent/leads").status_code == 302


def test_session_is_rotated_at_login(client, auth):
    UserFactory(email="me@example.com")
    client.get("/inquiry?lang=en")
    before = client.get_cookie("session")
    auth.login("me@example.com")
    after = client.get_cookie("session")
    assert after is not None and (before is None or before.value != after.value)


def test_login_attempts_are_rate_limited(app):
    limited = create_app(_config_like(app))
    c = limited.test_client()
    with limited.app_context():
        _db.create_all()
    codes = [c.post("/login", data={"email": "x@example.com", "password": "nope"}).status_code
             for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429


def _config_like(app):
    config = AppTestConfig()
    config.SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
    config.RATELIMIT_ENABLED = True
    config.CRM_RATELIMIT_LOGIN = "3 per minute"
    return config


def test_passwords_use_a_modern_kdf(db):
    user = UserFactory()
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:sha256:"))


def test_logged_in_responses_are_private_no_store_and_public_pages_keep_their_caching(
        client, auth, db):
    """Issue 27: staff pages sent no Cache-Control and the staff QR of a live /r/ link was
    `public`; public pages keep their own caching."""
    from crm.leads import recommend
    from tests.unit.visits.support import lead_with_agent, listing
    _team, agent, lead = lead_with_agent()
    rec = recommend.send(lead, agent, [listing(db)])
    anonymous = client.get("/regions/search?q=长兴")
    assert anonymous.headers["Cache-Control"] == "public, max-age=3600"
    auth.login("me@example.com")
    for url in ("/agent/leads", f"/agent/leads/{lead.id}", f"/agent/recommendations/{rec.id}/qr.svg",
                "/regions/search?q=长兴", "/account", "/no-such-page"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "private, no-store", url
    static = client.get("/static/favicon.svg")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
