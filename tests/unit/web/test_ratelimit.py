"""Flask-Limiter on the intake endpoints: per IP, per mobile, per API key; fails open."""
import logging

import pytest
import time_machine
from sqlalchemy import func, select

import config as config_module
from crm import create_app
from crm.extensions import db as _db
from crm.models import Lead
from crm.models.types import utcnow
from tests.conftest import FreshContextClient
from tests.factories import make_site


def limited_app(tmp_path, **settings):
    config = config_module.TestConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    config.RATELIMIT_ENABLED = True
    for name, value in settings.items():
        setattr(config, name, value)
    app = create_app(config)
    app.test_client_class = FreshContextClient
    return app


@pytest.fixture
def make_app(tmp_path):
    apps = []

    def _make(**settings):
        app = limited_app(tmp_path, **settings)
        ctx = app.app_context()
        ctx.push()
        _db.create_all()
        apps.append(ctx)
        return app

    yield _make
    for ctx in apps:
        _db.session.remove()
        _db.drop_all()
        ctx.pop()


def form(mobile):
    return {"contact_name": "刘先生", "mobile": mobile, "consent": "y"}


def count():
    return _db.session.scalar(select(func.count()).select_from(Lead))


def test_per_ip_limit_gives_a_clear_429_page(make_app):
    app = make_app(CRM_RATELIMIT_PER_IP="2 per minute", CRM_RATELIMIT_PER_MOBILE="100 per minute")
    client = app.test_client()
    for i in range(2):
        assert client.post("/inquiry", data=form(f"1380013800{i}")).status_code == 302
    response = client.post("/inquiry?lang=en", data=form("13800138009"))
    assert response.status_code == 429 and "Retry-After" in response.headers
    page = response.get_data(as_text=True)
    assert "Please try again in 1 minute; what you typed is kept below." in page
    assert 'value="13800138009"' in page and 'value="刘先生"' in page   # the form, as typed
    assert count() == 2
    # Another address is not affected, and reading the form is never limited.
    other = client.post("/inquiry", data=form("13800138009"),
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 302
    assert client.get("/inquiry").status_code == 200


def test_per_mobile_limit_sees_through_formatting(make_app):
    app = make_app(CRM_RATELIMIT_PER_IP="100 per minute", CRM_RATELIMIT_PER_MOBILE="2 per minute")
    client = app.test_client()
    for addr, typed in (("10.0.0.1", "13391219793"), ("10.0.0.2", "+86 133-9121-9793")):
        assert client.post("/inquiry", data=form(typed),
                           environ_base={"REMOTE_ADDR": addr}).status_code == 302
    response = client.post("/inquiry", data=form("１３３ ９１２１ ９７９３"),
                           environ_base={"REMOTE_ADDR": "10.0.0.3"})
    assert response.status_code == 429
    # Invalid numbers are not counted against anyone: the form explains them.
    assert client.post("/inquiry", data=form("400 0123 021")).status_code == 422


def test_api_is_limited_per_key_with_a_json_429(make_app):
    app = make_app(CRM_RATELIMIT_PER_API_KEY="2 per minute",
                   CRM_RATELIMIT_PER_MOBILE="100 per minute")
    _site, key = make_site()
    client = app.test_client()
    for i in range(2):
        assert client.post("/api/v1/inquiries", headers={"X-Api-Key": key}, json={
            "contact_name": "刘", "mobile": f"1380013800{i}", "consent": True}).status_code == 201
    response = client.post("/api/v1/inquiries", headers={"X-Api-Key": key}, json={
        "contact_name": "刘", "mobile": "13800138009", "consent": True})
    assert response.status_code == 429 and response.is_json and response.get_json()["error"]
    assert "Retry-After" in response.headers


def test_limiter_fails_open_and_logs_when_redis_is_down(make_app, caplog):
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
                   CRM_RATELIMIT_PER_IP="100 per minute")
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        response = client.post("/inquiry", data=form("13391219793"))
    assert response.status_code == 302 and count() == 1
    assert any("Rate limit storage unreachable" in r.getMessage() for r in caplog.records)


def test_memory_counts_while_redis_is_down_and_redis_is_retried_later(make_app, caplog):
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
                   CRM_RATELIMIT_PER_IP="2 per minute", CRM_RATELIMIT_PER_MOBILE="100 per minute")
    limiter = app.extensions["crm_intake_limiter"]
    client = app.test_client()
    # The clock stands still: on a slow machine three requests could outlast the first
    # back-off (1 s) and Redis would rightly be asked again.
    with caplog.at_level(logging.WARNING), time_machine.travel(utcnow(), tick=False):
        codes = [client.post("/inquiry", data=form(f"1380013800{i}")).status_code for i in range(3)]
    # The limit still holds, counted in this process; Redis is not asked on every request.
    assert codes == [302, 302, 429]
    assert sum("Rate limit storage unreachable" in r.getMessage() for r in caplog.records) == 1
    limiter.retry_redis_at = 0  # the back-off is over: the next request tries Redis again
    with caplog.at_level(logging.WARNING):
        client.post("/inquiry", data=form("13800138009"))
    assert sum("Rate limit storage unreachable" in r.getMessage() for r in caplog.records) == 2


def test_the_mobile_limit_counts_api_bodies_whatever_their_label(make_app, caplog):
    """Issue 14: five posts for one mobile labelled text/plain all passed; and the log line
    of a breached limit carried the full mobile."""
    import json
    app = make_app(CRM_RATELIMIT_PER_API_KEY="100 per minute",
                   CRM_RATELIMIT_PER_MOBILE="2 per minute")
    _site, key = make_site()
    client = app.test_client()
    body = json.dumps({"contact_name": "刘", "mobile": "13800138000", "consent": True})
    answers = [client.post("/api/v1/inquiries", data=body, content_type="text/plain",
                           headers={"X-Api-Key": key}).status_code for _ in range(3)]
    assert answers[:2] == [201, 201] and answers[2] == 429
    with caplog.at_level(logging.INFO, logger="crm.web.ratelimit"):
        client.post("/api/v1/inquiries", data=body, content_type="text/plain",
                    headers={"X-Api-Key": key})
    text = caplog.text
    assert "exceeded" in text and "13800138000" not in text and "mobile:#" in text


def test_refused_forms_do_not_use_up_the_mobile_limit(make_app):
    """Issue 15: a prospect who corrects mistakes is not locked out; the 429 keeps the form."""
    app = make_app(CRM_RATELIMIT_PER_IP="100 per minute", CRM_RATELIMIT_PER_MOBILE="2 per minute")
    client = app.test_client()
    unconsented = {"contact_name": "刘先生", "mobile": "13391219793"}
    assert [client.post("/inquiry", data=unconsented).status_code for _ in range(3)] == [422] * 3
    assert client.post("/inquiry", data=form("13391219793")).status_code == 302
    assert client.post("/inquiry", data=form("133 9121 9793")).status_code == 302
    third = client.post("/inquiry", data={**form("13391219793"), "company": "湖州新材料有限公司"})
    assert third.status_code == 429 and int(third.headers["Retry-After"]) <= 61
    page = third.get_data(as_text=True)
    assert "请在 1 分钟后再试" in page and 'value="湖州新材料有限公司"' in page
    assert count() == 1   # the second was a repeat of the first, the third was refused


def test_guessing_the_current_password_is_limited_per_user(make_app):
    """Review: /account/password let a session left open guess the current password."""
    from tests.factories import UserFactory
    app = make_app(CRM_RATELIMIT_LOGIN="2 per minute")
    UserFactory(email="me@example.com")
    _db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "me@example.com", "password": "secret-pass"})
    codes = [client.post("/account/password", data={
        "current": f"guess-{i}", "password": "kiln-harbor-velvet",
        "confirm": "kiln-harbor-velvet"}).status_code for i in range(3)]
    assert codes == [422, 422, 429]


def test_the_public_region_search_is_limited_per_address(make_app):
    app = make_app(CRM_RATELIMIT_REGION_SEARCH="3 per minute")
    client = app.test_client()
    codes = [client.get(f"/regions/search?q={q}").status_code for q in ("ks", "jx", "nb", "hf")]
    assert codes == [200, 200, 200, 429]


def test_the_agents_paste_reader_is_limited_per_user(make_app):
    """Issue 27: POST /api/v1/parse had the intake limits, the paste page none."""
    from tests.factories import UserFactory
    app = make_app(CRM_RATELIMIT_PASTE="2 per minute")
    UserFactory(email="agent@example.com")
    _db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "agent@example.com", "password": "secret-pass"})
    codes = [client.post("/agent/leads/new/paste", data={"pasted": "求租厂房3000平 王先生 13912345678"})
             .status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_the_apis_reads_count_in_the_keys_window(make_app):
    """GET of a contact's needs reads the database for a key: limited per key like a POST."""
    app = make_app(CRM_RATELIMIT_PER_API_KEY="2 per minute")
    _site, key = make_site()
    client = app.test_client()
    codes = [client.get("/api/v1/inquiries/CF260302-ABCDE/contact-needs",
                        headers={"X-Api-Key": key}).status_code for _ in range(3)]
    assert codes == [404, 404, 429]
    assert client.get("/api/v1/openapi.json").status_code == 200  # the document is not counted
