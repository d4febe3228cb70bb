"""Route a lead to an agent: round-robin within the default team (first cut).

Exactly-once: the lead row is locked and only a lead with routed_at NULL is
routed, so a redelivered or duplicated task changes nothing. The team row is
locked too, so two workers never read the same round-robin pointer.
"""
import logging

from flask_babel import force_locale, gettext
from sqlalchemy import select, update

from crm.extensions import db
from crm.models import Activity, Lead, Team, User
from crm.models.types import utcnow

log = logging.getLogger(__name__)


def default_team() -> Team | None:
    return db.session.scalars(
        select(Team).where(Team.is_default.is_(True)).order_by(Team.id).limit(1)).first()


def next_agent(team_id: int) -> User | None:
    """The active agent in the team assigned longest ago (never assigned first)."""
    return db.session.scalars(
        select(User)
        .where(User.team_id == team_id, User.active.is_(True), User.role == "agent")
        .order_by(User.last_assigned_at.asc().nulls_first(), User.id)
        .limit(1)
    ).first()


def route_lead(lead_id: int) -> int | None:
    """Assign the lead if it is still unrouted. Returns the agent id, or None."""
    lead = db.session.scalars(
        select(Lead).where(Lead.id == lead_id).with_for_update()).first()
    if lead is None or lead.routed_at is not None or lead.status == "spam":
        db.session.rollback()
        return None
    team = default_team()
    if team is None:
        log.warning("no default team: lead %s waits unrouted", lead.reference)
        db.session.rollback()
        return None
    # Serialise round-robin within the team (PostgreSQL row lock; SQLite locks the file).
    db.session.execute(select(Team.id).where(Team.id == team.id).with_for_update())
    agent = next_agent(team.id)
    if agent is None:
        lead.team_id = team.id
        db.session.commit()
        log.warning("no active agent in team %s: lead %s waits in the pool", team.name,
                    lead.reference)
        return None
    now = utcnow()
    # Guarded write: even without row locks a second router finds routed_at set.
    result = db.session.execute(
        update(Lead).where(Lead.id == lead.id, Lead.routed_at.is_(None))
        .values(assigned_to_id=agent.id, assigned_at=now, routed_at=now, team_id=team.id)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        return None
    agent.last_assigned_at = now
    with force_locale("zh_CN"):
        body = gettext("Assigned to %(agent)s by round-robin in team %(team)s.",
                       agent=agent.name, team=team.name)
    db.session.add(Activity(lead_id=lead.id, kind="assignment", body=body, created_at=now))
    db.session.commit()
    log.info("lead %s routed to %s", lead.reference, agent.email)
    return agent.id


def unrouted_lead_ids(older_than_seconds: int, limit: int = 500) -> list[int]:
    from datetime import timedelta
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(db.session.scalars(
        select(Lead.id)
        .where(Lead.routed_at.is_(None), Lead.created_at <= cutoff, Lead.status != "spam")
        .order_by(Lead.created_at)
        .limit(limit)))
