"""How long the API remembers an Idempotency-Key's first answer.

A key protects a client's retries, which come within minutes or hours; after
CRM_IDEMPOTENCY_DAYS (7 by default, Stripe keeps 24 hours) the answer is forgotten
and the same key starts a new request.
"""
import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete

from crm.extensions import db
from crm.models import ApiIdempotencyKey
from crm.models.types import utcnow

log = logging.getLogger(__name__)


def purge_expired(now: datetime | None = None) -> int:
    """Delete remembered answers older than the window; safe to run any number of times."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["CRM_IDEMPOTENCY_DAYS"])
    deleted = db.session.execute(
        delete(ApiIdempotencyKey).where(ApiIdempotencyKey.created_at < cutoff)).rowcount
    db.session.commit()
    if deleted:
        log.info("idempotency: forgot %d keys older than %s", deleted, cutoff.isoformat())
    return deleted
