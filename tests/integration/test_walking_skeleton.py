"""The whole first path on real parts: form → PostgreSQL → Redis → Celery worker → agent → report."""
import time

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Activity, Lead
from tests.factories import TeamFactory, UserFactory
from tests.integration.conftest import make_test_app
from tests.support.stack import wait_until

pytestmark = pytest.mark.integration


def fresh(lead_id):
    db.session.expire_all()
    return db.session.get(Lead, lead_id)


def test_submitted_lead_is_routed_by_a_real_worker_and_worked_by_the_agent(pg_app, start_worker):
    assert pg_app.extensions["celery"].conf.task_always_eager is False
    team = TeamFactory(name="长三角招商一组")
    agent = UserFactory(team=team, email="li@example.com", name="李招商")
    UserFactory(team=team, email="boss@example.com", role="manager")
    worker = start_worker("w1")
    client = pg_app.test_client()

    response = client.post("/inquiry", headers={"X-Request-Id": "trace-7f3a"}, data={
        "contact_name": "刘先生", "mobile": "+86 133-9121-9793", "consent": "y",
        "property_type": "factory", "deal_type": "rent", "region_code": "310117P01",
        "area_min": "2000", "area_max": "3000", "company": "上海精密机械有限公司"})
    assert response.status_code == 302
    lead_id = db.session.scalars(select(Lead.id)).one()

    lead = wait_until(lambda: (one := fresh(lead_id)).assigned_to_id and one)
    assert lead.assigned_to_id == agent.id
    assert lead.routed_at is not None and lead.assigned_at is not None
    assert "workers.tasks.route_lead" in worker.output()  # routed by the worker, not in-process
    # The request id travelled with the task: the worker's routing log line carries it.
    assert any("trace-7f3a" in line and "routed to" in line for line in worker.output().splitlines())

    # The agent logs in, sees it, opens it, logs a call.
    agent_client = pg_app.test_client()
    agent_client.post("/login", data={"email": "li@example.com", "password": "secret-pass"})
    assert lead.reference in agent_client.get("/agent/leads").get_data(as_text=True)
    assert agent_client.get(f"/agent/leads/{lead_id}").status_code == 200
    agent_client.post(f"/agent/leads/{lead_id}/follow-ups",
                      data={"kind": "call", "body": "已电话沟通，约周五看厂"})
    lead = fresh(lead_id)
    assert lead.first_contact_at is not None and lead.status == "contacted"

    # The manager sees it counted.
    boss = pg_app.test_client()
    boss.post("/login", data={"email": "boss@example.com", "password": "secret-pass"})
    html = boss.get("/reports/").get_data(as_text=True)
    assert '<strong id="total">1</strong>' in html and "李招商" in html


def test_lead_routed_twice_has_one_owner_and_one_assignment(pg_app, start_worker):
    team = TeamFactory()
    UserFactory(team=team)
    UserFactory(team=team)
    worker = start_worker("w1")
    client = pg_app.test_client()
    client.post("/inquiry", data={"contact_name": "周女士", "mobile": "13800138000", "consent": "y"})
    lead_id = db.session.scalars(select(Lead.id)).one()
    wait_until(lambda: fresh(lead_id).routed_at)
    # A redelivered task: enqueue the same routing again, twice.
    celery = pg_app.extensions["celery"]
    first_owner = fresh(lead_id).assigned_to_id
    again = [celery.send_task("workers.tasks.route_lead", args=(lead_id,)) for _ in range(2)]
    # Both redeliveries have run to their end on the worker: whatever they did is written.
    wait_until(lambda: all(worker.finished(task.id) for task in again))
    assert fresh(lead_id).assigned_to_id == first_owner
    assert db.session.scalar(select(func.count()).select_from(Activity).where(
        Activity.lead_id == lead_id, Activity.kind == "assignment")) == 1


def test_two_workers_route_every_lead_exactly_once_and_fairly(pg_app, start_worker):
    team = TeamFactory()
    agents = [UserFactory(team=team) for _ in range(4)]
    start_worker("w1", concurrency=2)
    start_worker("w2", concurrency=2)
    client = pg_app.test_client()
    n = 60
    for i in range(n):
        assert client.post("/inquiry", data={
            "contact_name": f"客户{i}", "mobile": f"139{i:08d}", "consent": "y"}).status_code == 302

    def all_routed():
        db.session.expire_all()
        return db.session.scalar(select(func.count()).select_from(Lead)
                                 .where(Lead.routed_at.is_not(None))) == n
    wait_until(all_routed, timeout=60)
    assignments = db.session.scalar(select(func.count()).select_from(Activity)
                                    .where(Activity.kind == "assignment"))
    assert assignments == n
    per_agent = dict(db.session.execute(
        select(Lead.assigned_to_id, func.count()).group_by(Lead.assigned_to_id)).all())
    assert set(per_agent) == {a.id for a in agents}
    assert max(per_agent.values()) - min(per_agent.values()) <= 1  # round-robin did not race


def test_lead_is_saved_when_the_broker_is_down_and_the_sweeper_routes_it(
        pg_app, start_worker, monkeypatch):
    team = TeamFactory()
    agent = UserFactory(team=team)
    # The web process as it runs while Redis is down: its broker does not answer.
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    broker_down = make_test_app()
    started = time.monotonic()
    response = broker_down.test_client().post("/inquiry", data={
        "contact_name": "吴总", "mobile": "13912345678", "consent": "y"})
    assert response.status_code == 302  # the prospect still gets the thank-you page
    assert time.monotonic() - started < 10  # and is not kept waiting on broker retries
    lead = db.session.scalars(select(Lead)).one()
    assert lead.routed_at is None and lead.assigned_to_id is None
    # Redis is back: the beat sweeper's task runs on a real worker and routes it.
    start_worker("w1")
    pg_app.extensions["celery"].send_task("workers.tasks.sweep_unrouted")
    lead = wait_until(lambda: (one := fresh(lead.id)).routed_at and one)
    assert lead.assigned_to_id == agent.id
