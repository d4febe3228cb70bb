"""What an agent must look at first: deadlines about to pass, follow-ups due, big projects."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from crm.choices import OPEN_STATUSES
from crm.extensions import db
from crm.models import Lead, User
from crm.models.types import utcnow


def needs_attention(user: User, limit: int = 20) -> list[Lead]:
    now = utcnow()
    today = now.astimezone(ZoneInfo(current_app.config["CRM_TIMEZONE"])).date()
    mine = or_(Lead.assigned_to_id == user.id, Lead.escalated_to_id == user.id)
    urgent = or_(
        # Not contacted yet and past half of the first-contact time.
        and_(Lead.first_contact_at.is_(None), Lead.sla_half_at <= now + timedelta(minutes=5)),
        Lead.next_follow_up_on <= today,
        Lead.escalated_to_id == user.id,
    )
    return list(db.session.scalars(
        select(Lead).options(joinedload(Lead.assigned_to))
        .where(mine, urgent, Lead.status.in_(OPEN_STATUSES))
        .order_by(Lead.sla_due_at.asc().nulls_last(), Lead.next_follow_up_on.asc().nulls_last(),
                  Lead.id)
        .limit(limit)))


def team_pool(user: User, limit: int = 50) -> list[Lead]:
    """Leads waiting in the user's team pool: nobody was available when they came in."""
    if user.team_id is None:
        return []
    return list(db.session.scalars(
        select(Lead).where(Lead.team_id == user.team_id, Lead.assigned_to_id.is_(None),
                           Lead.status == "new")
        .order_by(Lead.created_at).limit(limit)))
