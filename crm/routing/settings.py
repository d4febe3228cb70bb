"""Managers' routing settings: the ordered rules and agents' availability."""
from sqlalchemy import select

from crm import access
from crm.extensions import db
from crm.models import Role, RoutingRule, User
from crm.privacy import audit

_RULE_FIELDS = ("name", "position", "active", "deal_type", "property_type", "region_code",
                "industry", "channel", "area_min_sqm", "area_max_sqm", "min_tax_wan",
                "min_investment_wan", "strategy", "sla_minutes", "reassign_on_breach")


def save_rule(rule: RoutingRule, form, actor: User) -> RoutingRule:
    """Create or change a rule; audited with what it was and what it is now."""
    values = {name: (getattr(form, name).data if getattr(form, name).data != "" else None)
              for name in _RULE_FIELDS}
    values |= {"source_site_id": form.source_site_id.data or None,
               "team_id": form.team_id.data or None, "agent_id": form.agent_id.data or None}
    creating = rule.id is None
    old, new = ({}, values) if creating else audit.diff(rule, values, values)
    for name, value in values.items():
        setattr(rule, name, value)
    db.session.add(rule)
    db.session.flush()
    if new:
        audit.record(actor, "rule_create" if creating else "rule_edit", "routing_rule", rule.id,
                     old or None, new)
    db.session.commit()
    return rule


def delete_rule(rule: RoutingRule, actor: User) -> None:
    old = {name: getattr(rule, name) for name in (*_RULE_FIELDS, "team_id", "agent_id")}
    audit.record(actor, "rule_delete", "routing_rule", rule.id, old, None)
    db.session.delete(rule)
    db.session.commit()


def save_agent_settings(user: User, form) -> None:
    for name in ("active", "on_leave", "is_senior", "capacity", "weight", "work_start",
                 "work_end", "weekends_too"):
        setattr(user, name, getattr(form, name).data)
    user.covers_regions = ",".join(form.covers_regions.data or [])
    user.covers_industries = ",".join(form.covers_industries.data or [])
    db.session.commit()


def agents_for(user: User) -> list[User]:
    """The agents and managers whose availability `user` may set (crm.access)."""
    return list(db.session.scalars(
        select(User).where(User.role.in_((Role.AGENT, Role.MANAGER)),
                           access.managed_users_clause(user)).order_by(User.team_id, User.name)))
