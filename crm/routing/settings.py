"""Managers' edits to routing: rules, agents' availability, notification channels."""
from sqlalchemy import select

from crm.extensions import db
from crm.models import NotificationChannel, Role, RoutingRule, Team, User

_RULE_FIELDS = ("name", "position", "active", "deal_type", "property_type", "region_code",
                "industry", "channel", "area_min_sqm", "area_max_sqm", "min_tax_wan",
                "min_investment_wan", "strategy", "sla_minutes", "reassign_on_breach")


def save_rule(rule: RoutingRule, form) -> RoutingRule:
    for name in _RULE_FIELDS:
        value = getattr(form, name).data
        setattr(rule, name, value if value not in ("",) else None)
    rule.source_site_id = form.source_site_id.data or None
    rule.team_id = form.team_id.data or None
    rule.agent_id = form.agent_id.data or None
    db.session.add(rule)
    db.session.commit()
    return rule


def delete_rule(rule: RoutingRule) -> None:
    db.session.delete(rule)
    db.session.commit()


def save_agent_settings(user: User, form) -> None:
    for name in ("active", "on_leave", "is_senior", "capacity", "weight", "work_start",
                 "work_end", "weekends_too"):
        setattr(user, name, getattr(form, name).data)
    user.covers_regions = ",".join(form.covers_regions.data or [])
    user.covers_industries = ",".join(form.covers_industries.data or [])
    db.session.commit()


def add_channel(form) -> NotificationChannel:
    owner_kind, owner_id = form.owner.data.split(":")
    channel = NotificationChannel(kind=form.kind.data, target=form.target.data,
                                  secret=form.secret.data or "")
    if owner_kind == "team":
        channel.team_id = int(owner_id)
    else:
        channel.user_id = int(owner_id)
    db.session.add(channel)
    db.session.commit()
    return channel


def set_channel_active(channel: NotificationChannel, active: bool) -> None:
    channel.active = active
    if active:
        channel.failures = 0
    db.session.commit()


def delete_channel(channel: NotificationChannel) -> None:
    db.session.delete(channel)
    db.session.commit()


def teams_for(user: User) -> list[Team]:
    stmt = select(Team).order_by(Team.name)
    if not user.is_admin:
        stmt = stmt.where(Team.id == user.team_id)
    return list(db.session.scalars(stmt))


def agents_for(user: User) -> list[User]:
    stmt = select(User).where(User.role.in_((Role.AGENT, Role.MANAGER))).order_by(User.team_id, User.name)
    if not user.is_admin:
        stmt = stmt.where(User.team_id == user.team_id)
    return list(db.session.scalars(stmt))
