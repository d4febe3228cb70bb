"""Intake on real parts: spam, repeats and rate limits with PostgreSQL, Redis and Celery workers."""
import hashlib
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import redis
import time_machine
from sqlalchemy import func, select

from config import Config
from crm import create_app
from crm.extensions import db
from crm.models import Activity, InquiryRepeat, Lead
from tests.conftest import FreshContextClient
from tests.factories import TeamFactory, UserFactory, make_site
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration


def fresh(lead_id):
    db.session.expire_all()
    return db.session.get(Lead, lead_id)


def lead_by_mobile(e164):
    db.session.expire_all()
    return db.session.scalars(select(Lead).where(Lead.mobile_e164 == e164)).one()


def test_spam_is_never_routed_by_the_worker_until_a_manager_releases_it(pg_app, start_worker):
    pg_app.config["CRM_SPAM_MIN_FILL_SECONDS"] = 30
    team = TeamFactory()
    agent = UserFactory(team=team)
    UserFactory(team=team, email="boss@example.com", role="manager")
    worker = start_worker("w1")
    client = pg_app.test_client()

    html = client.get("/inquiry").get_data(as_text=True)
    token = re.search(r'name="started" type="hidden" value="([^"]+)"', html).group(1)
    base = {"contact_name": "刘先生", "consent": "y", "started": token}
    client.post("/inquiry", data={**base, "mobile": "13800000001", "website": "x"})  # honeypot
    client.post("/inquiry", data={**base, "mobile": "13800000002"})                  # too fast
    client.post("/inquiry", data={**base, "mobile": "13800000003", "started": ""})   # no token
    with time_machine.travel(timedelta(seconds=45)):  # the form was filled at human speed
        client.post("/inquiry", data={**base, "mobile": "13800000004",
                                      "message": "澳門博彩 http://x.example"})         # content
        client.post("/inquiry", data={**base, "mobile": "13800000005"})              # a person
    real = lead_by_mobile("+8613800000005")
    wait_until(lambda: fresh(real.id).routed_at)

    # The sweeper runs on the worker and still leaves every spam lead alone.
    pg_app.extensions["celery"].send_task("workers.tasks.sweep_unrouted")
    wait_until(lambda: "workers.tasks.sweep_unrouted" in worker.output()
               and "succeeded" in worker.output().split("workers.tasks.sweep_unrouted")[-1])
    db.session.expire_all()
    spam = db.session.scalars(select(Lead).where(Lead.status == "spam").order_by(Lead.id)).all()
    reasons = [one.spam_reasons for one in spam]
    assert reasons[0].startswith("honeypot,too_fast:")
    assert reasons[1:] == ["no_fill_token", "link,words:博彩"]
    # Haste alone is a flag on a routed lead, not spam (an autofilled form from a person).
    hasty = lead_by_mobile("+8613800000002")
    assert hasty.status == "new" and hasty.spam_reasons.startswith("too_fast:")
    assert all(one.routed_at is None and one.assigned_to_id is None for one in spam)

    boss = pg_app.test_client()
    boss.post("/login", data={"email": "boss@example.com", "password": "secret-pass"})
    assert boss.post(f"/manage/spam/{spam[0].id}/release").status_code == 302
    released = wait_until(lambda: (one := fresh(spam[0].id)).routed_at and one)
    assert released.status == "new" and released.assigned_to_id == agent.id
    assert all(fresh(one.id).routed_at is None for one in spam[1:])


def test_a_repeat_notifies_the_owner_through_the_worker_and_is_not_routed(pg_app, start_worker):
    team = TeamFactory()
    agent = UserFactory(team=team, email="li@example.com")
    UserFactory(team=team)
    worker = start_worker("w1")
    _site, key = make_site()
    client = pg_app.test_client()
    client.post("/inquiry", data={"contact_name": "刘先生", "mobile": "13391219793", "consent": "y",
                                  "page_url": "https://zj.example.cn/news/1"})
    first = wait_until(lambda: (one := lead_by_mobile("+8613391219793")).routed_at and one)
    answer = client.post("/api/v1/inquiries", headers={"X-Api-Key": key}, json={
        "contact_name": "劉先生", "mobile": "+86 133 9121 9793", "consent": True,
        "page_url": "https://partner.example.cn/p/9", "message": "再问一下"})
    assert answer.get_json()["status"] == "duplicate"
    assert answer.get_json()["reference"] != first.reference  # a repeat's own reference

    def notice():
        db.session.expire_all()
        return db.session.scalars(select(Activity).where(
            Activity.lead_id == first.id, Activity.kind == "repeat_inquiry")).first()
    activity = wait_until(notice)
    assert "https://partner.example.cn/p/9" in activity.body and "再问一下" in activity.body
    assert "workers.tasks.notify_repeat_inquiry" in worker.output()
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 1
    assert fresh(first.id).assigned_to_id == agent.id
    assert db.session.scalar(select(func.count()).select_from(Activity)
                             .where(Activity.kind == "assignment")) == 1
    # The owner sees how often and from where the prospect asked.
    owner = pg_app.test_client()
    owner.post("/login", data={"email": "li@example.com", "password": "secret-pass"})
    page = owner.get(f"/agent/leads/{first.id}?lang=en").get_data(as_text=True)
    assert "Asked again 1 times" in page and "https://partner.example.cn/p/9" in page


def test_concurrent_submissions_of_one_prospect_make_one_lead(pg_app):
    _site, key = make_site()
    client = pg_app.test_client()

    def submit(i):
        return client.post("/api/v1/inquiries", headers={"X-Api-Key": key}, json={
            "contact_name": "周女士", "mobile": "13912345678", "consent": True,
            "message": f"第{i}次"}).get_json()["status"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(submit, range(6)))
    assert sorted(statuses) == ["duplicate"] * 5 + ["new"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 1
    assert db.session.scalar(select(func.count()).select_from(InquiryRepeat)) == 5


def test_concurrent_retries_with_one_idempotency_key_make_one_lead(pg_app):
    _site, key = make_site()
    client = pg_app.test_client()
    body = {"contact_name": "吴总", "mobile": "13612345678", "consent": True}

    def submit(_i):
        response = client.post("/api/v1/inquiries", json=body,
                               headers={"X-Api-Key": key, "Idempotency-Key": "retry-7"})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(submit, range(6)))
    assert len({(code, tuple(sorted(a.items()))) for code, a in answers}) == 1
    assert answers[0][0] == 201
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 1
    assert db.session.scalar(select(func.count()).select_from(InquiryRepeat)) == 0


def limits_in_redis(migrated, monkeypatch, **limits) -> str:
    """The stack's settings with these CRM_RATELIMIT_* values and a key prefix of its own."""
    prefix = f"crm-limit-{uuid.uuid4().hex[:8]}"
    for name, value in {**migrated, **limits, "CRM_CELERY_QUEUE": prefix}.items():
        monkeypatch.setenv(name, value)
    return prefix


def test_rate_limits_are_counted_in_redis(migrated, monkeypatch):
    prefix = limits_in_redis(migrated, monkeypatch, CRM_RATELIMIT_PER_IP="2 per minute")
    config = Config()
    config.TESTING, config.WTF_CSRF_ENABLED, config.CRM_SPAM_MIN_FILL_SECONDS = True, False, 0
    assert config.RATELIMIT_STORAGE_URI == migrated["REDIS_URL"]
    app = create_app(config)
    app.test_client_class = FreshContextClient
    client = app.test_client()
    codes = [client.post("/inquiry", data={"contact_name": "刘", "consent": "y",
                                           "mobile": f"1370000000{i}"}).status_code
             for i in range(3)]
    store = redis.Redis.from_url(migrated["REDIS_URL"])
    try:
        assert codes == [302, 302, 429]
        assert store.keys(f"*{prefix}*intake-ip*")  # the counter lives in Redis
        # A second app process (another gunicorn worker) shares the count.
        second = create_app(config)
        second.test_client_class = FreshContextClient
        assert second.test_client().post("/inquiry", data={
            "contact_name": "刘", "consent": "y", "mobile": "13700000009"}).status_code == 429
    finally:
        for name in store.scan_iter(f"*{prefix}*"):
            store.delete(name)
        with app.app_context():
            db.session.execute(db.text(
                "TRUNCATE activity, inquiry_repeat, lead RESTART IDENTITY CASCADE"))
            db.session.commit()
            db.engine.dispose()


def test_all_limits_of_a_submission_cost_one_redis_round_trip(migrated, monkeypatch):
    prefix = limits_in_redis(migrated, monkeypatch,
                             CRM_RATELIMIT_PER_API_KEY="4 per minute;100 per day",
                             CRM_RATELIMIT_PER_MOBILE="2 per 10 minutes;10 per day")
    config = Config()
    config.TESTING = True
    app = create_app(config)
    app.test_client_class = FreshContextClient
    with app.app_context():
        _site, key = make_site()
    limiter = app.extensions["crm_intake_limiter"]
    limiter.refund_all(keys=[f"LIMITS:{prefix}-warm-up"])  # scripts loaded: steady state counted
    sent = []
    original = limiter.redis.connection_pool.get_connection

    def counting_connection(*args, **kwargs):
        connection = original(*args, **kwargs)
        if not getattr(connection, "_counted", False):
            send = connection.send_packed_command
            connection.send_packed_command = lambda *a, **k: (sent.append(1), send(*a, **k))[1]
            connection._counted = True
        return connection

    monkeypatch.setattr(limiter.redis.connection_pool, "get_connection", counting_connection)
    client = app.test_client()
    store = redis.Redis.from_url(migrated["REDIS_URL"])
    try:
        answers, trips = [], []
        for mobile in ("13700000001", "137 0000 0001", "+86 137-0000-0001", "13700000002",
                       "13700000003"):
            sent.clear()
            answers.append(client.post("/api/v1/inquiries", headers={"X-Api-Key": key}, json={
                "contact_name": "刘", "consent": True, "mobile": mobile}))
            trips.append(len(sent))
        # Four windows (key: minute, day; mobile: 10 min, day) in one round trip; an inquiry
        # the mobile's window refused costs one more, to give that count back.
        assert trips == [1, 1, 2, 1, 1]
        assert [a.status_code for a in answers] == [201, 201, 429, 201, 429]
        # Headers as Flask-Limiter gave them: the smallest window, or the one that refused.
        first, _second, third, fourth, fifth = answers
        assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == ("4", "3")
        assert (third.headers["X-RateLimit-Limit"], third.headers["X-RateLimit-Remaining"]) == ("2", "0")
        assert 0 < int(third.headers["Retry-After"]) <= 600  # the mobile's 10-minute window
        assert (fourth.headers["X-RateLimit-Limit"], fourth.headers["X-RateLimit-Remaining"]) == ("4", "0")
        assert fifth.headers["X-RateLimit-Limit"] == "4" and fifth.is_json
        # Flask-Limiter's keys, so counts carry over a deploy; counting stops at the window
        # that refused (the third post never reached the day windows).
        api_client = "apikey:" + hashlib.sha256(key.encode()).hexdigest()[:24]
        assert store.get(f"LIMITS:LIMITER/{prefix}/{api_client}/intake-api/4/1/minute") == b"5"
        assert store.get(f"LIMITS:LIMITER/{prefix}/{api_client}/intake-api/100/1/day") == b"3"
        assert store.get(f"LIMITS:LIMITER/{prefix}/mobile:+8613700000001/intake-mobile/10/1/day") == b"2"
    finally:
        for name in store.scan_iter(f"*{prefix}*"):
            store.delete(name)
        with app.app_context():
            db.session.execute(db.text(
                "TRUNCATE activity, inquiry_repeat, lead, api_idempotency_key, source_site "
                "RESTART IDENTITY CASCADE"))
            db.session.commit()
            db.engine.dispose()


def test_a_reference_already_taken_is_drawn_again_on_postgres(pg_app, monkeypatch):
    from tests.support.collisions import post_with_colliding_references
    _site, key = make_site()
    saved = post_with_colliding_references(pg_app, monkeypatch, pg_app.test_client(), key)
    assert [lead.reference for lead in saved] == ["CF261123-AAAAA", "CF261123-BBBBB",
                                                   "CF261123-CCCCC"]
    # Nothing half-written by the rolled-back attempts: one "new" stage row per lead.
    from crm.models import LeadStage
    stages = db.session.execute(select(LeadStage.lead_id, LeadStage.stage)).all()
    assert sorted(stages) == sorted((lead.id, "new") for lead in saved)
