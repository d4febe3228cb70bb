"""Prometheus metrics.

Counters live in the web processes; with gunicorn set PROMETHEUS_MULTIPROC_DIR to an
empty folder shared by its workers (prometheus_client's multiprocess mode). Figures
about leads and the queue are read fresh from the database and Redis on each scrape,
so they are right whichever machine routed the lead.
"""
import os
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import case, func, select

from crm.models.sql import seconds_between

SUBMISSIONS = Counter("crm_inquiries_submitted_total", "Inquiries saved, by channel and outcome "
                      "(new, duplicate, spam)", ["channel", "outcome"])
REJECTIONS = Counter("crm_inquiries_rejected_total", "Inquiry fields refused, by field", ["field"])
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600)


class StateCollector:
    def __init__(self, app):
        self.app = app

    def collect(self):
        from crm.extensions import db
        from crm.models import Lead
        from crm.models.types import utcnow

        with self.app.app_context():
            now = utcnow()
            unrouted = GaugeMetricFamily("crm_leads_unrouted", "Leads waiting for routing or in a pool")
            unrouted.add_metric([], db.session.scalar(select(func.count()).select_from(Lead).where(
                Lead.routed_at.is_(None), Lead.status == "new")) or 0)
            yield unrouted
            overdue = GaugeMetricFamily("crm_leads_sla_overdue",
                                        "Assigned, not contacted, past the first-contact deadline")
            overdue.add_metric([], db.session.scalar(select(func.count()).select_from(Lead).where(
                Lead.first_contact_at.is_(None), Lead.sla_due_at < now,
                Lead.status.in_(("new", "contacted")))) or 0)
            yield overdue
            # Created → assigned, for leads assigned in the last hour, bucketed in SQL.
            latency = seconds_between(Lead.assigned_at, Lead.created_at)
            row = db.session.execute(
                select(func.count(), func.coalesce(func.sum(latency), 0),
                       *[func.sum(case((latency <= b, 1), else_=0)) for b in LATENCY_BUCKETS])
                .where(Lead.assigned_at >= now - timedelta(hours=1))).one()
            total, total_seconds, *cumulative = row
            histogram = HistogramMetricFamily(
                "crm_routing_latency_seconds", "Lead created → assigned, leads assigned in the last hour")
            histogram.add_metric([], [(str(b), int(c or 0)) for b, c in zip(LATENCY_BUCKETS, cumulative, strict=True)]
                                 + [("+Inf", int(total or 0))], float(total_seconds or 0))
            yield histogram
            db.session.remove()
        depth = GaugeMetricFamily("crm_celery_queue_depth", "Messages waiting in the Celery queue")
        depth.add_metric([], queue_depth(self.app))
        yield depth


def queue_depth(app) -> float:
    url = app.config.get("REDIS_URL")
    if not url:
        return 0.0
    import redis

    from crm import redis_client
    try:
        client = redis_client.for_app(app.config)
        return float(client.llen(app.config["CELERY"]["task_default_queue"]))
    except redis.RedisError:
        return float("nan")


def render(app) -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(SUBMISSIONS)
        registry.register(REJECTIONS)
    registry.register(StateCollector(app))
    return generate_latest(registry)
