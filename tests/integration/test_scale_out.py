"""Scale-out on one machine as on many: two gunicorn instances, two Celery workers, one
PostgreSQL, one Redis (docs/deploy.md, "Several machines").

Each instance and each worker is a separate process tree with its own port or node name,
sharing only what separate machines would share: the database, the broker, the environment.
"""
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.factories import TeamFactory, UserFactory, make_site
from tests.support.stack import (
    Gunicorn,
    Worker,
    audit_leads,
    post_inquiry,
    settled,
    start_together,
    wait_until,
)

pytestmark = pytest.mark.integration

N = 60  # leads; 3 agents in one round-robin team → 20 each


def test_two_web_instances_and_two_workers_route_every_lead_once_and_fairly(pg_app, migrated):
    team = TeamFactory()
    agents = [UserFactory(team=team).id for _ in range(3)]
    _site, api_key = make_site()
    # A short linger: this burst (60 inquiries in about a second) then makes several
    # routing tasks, and both workers take some. With the default 0.2 s the first task
    # could take the whole burst, which is right but shows nothing about two workers.
    env = {**migrated, "CRM_RATELIMIT_PER_API_KEY": "100000 per minute",
           "CRM_ROUTING_LINGER_SECONDS": "0.02"}
    web1, web2, w1, w2 = services = start_together(
        lambda: Gunicorn(env, "web1", workers=2), lambda: Gunicorn(env, "web2", workers=2),
        lambda: Worker(env, "w1"), lambda: Worker(env, "w2"))
    try:
        urls = [web1.url, web2.url]
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(
                lambda i: post_inquiry(urls[i % 2], api_key, i, f"scale-{i}"), range(N)))

        # All saved: every submission answered 201 with its own reference, and stored.
        assert [a.status for a in answers] == [201] * N
        references = {a.json()["reference"] for a in answers}
        assert len(references) == N
        # Both instances really served half of them each (different ports, processes).
        # (the access log line is written after the answer: wait for it, briefly)
        for web in (web1, web2):
            wait_until(lambda web=web: web.output().count('"POST /api/v1/inquiries HTTP/1.1" 201') >= N // 2,
                       timeout=5, interval=0.1)
            assert web.output().count('"POST /api/v1/inquiries HTTP/1.1" 201') == N // 2

        wait_until(lambda: audit_leads(migrated["DATABASE_URL"]).routed == N, timeout=60,
                   interval=0.3)
        # Nothing left in flight: a second, wrong assignment would have landed by now.
        wait_until(lambda: settled(env, w1, w2), timeout=30)
        audit = audit_leads(migrated["DATABASE_URL"])
        assert audit.references == references and audit.leads == N
        # Routed exactly once: one assignment activity per lead, none assigned twice.
        assert audit.routed == N and audit.assignment_activities == N
        assert audit.leads_assigned_twice == 0 and audit.duplicates == 0
        assert audit.half_written == 0
        # Round-robin stays fair across the two workers: the pointer lives in the database.
        assert [audit.per_agent.get(a, 0) for a in agents] == [N // 3] * 3

        # Two workers, two node names, and both did routing work (each lead logged once).
        host = socket.gethostname()
        assert f"w1@{host}" in w1.output() and f"w2@{host}" in w2.output()
        routed_by = [w.output().count(" routed to ") for w in (w1, w2)]
        assert all(n > 0 for n in routed_by), routed_by
        assert sum(routed_by) == N
    finally:
        for service in services:
            service.stop()


def test_a_preloaded_web_serves_from_workers_forked_after_loading(pg_app, migrated):
    """CRM_WEB_PRELOAD=1 (the small server's setting): the workers are forked from a master
    that loaded the app; each must use its own database connections, not the master's."""
    _site, api_key = make_site()
    env = {**migrated, "CRM_RATELIMIT_PER_API_KEY": "100000 per minute", "CRM_WEB_PRELOAD": "1"}
    web = Gunicorn(env, "preloaded", workers=2)
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda i: post_inquiry(web.url, api_key, i, f"pre-{i}"),
                                    range(20)))
        assert [a.status for a in answers] == [201] * 20
        audit = audit_leads(migrated["DATABASE_URL"])
        assert audit.leads == 20 and audit.references == {a.json()["reference"] for a in answers}
        # Loaded once, in the master: each worker came from it, its pool reset (post_fork).
        assert web.output().count("forked from the preloaded app") == 2
    finally:
        web.stop()
