"""Managers' routing settings: the ordered rules and agents' availability."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from crm import access
from crm.extensions import db
from crm.models import Role, RoutingRule, User
from crm.privacy import audit

_RULE_FIELDS = ("name", "position", "active", "deal_type", "property_type", "region_code",
                "industry", "channel", "area_min_sqm", "area_max_sqm", "min_tax_wan",
                "min_investment_wan", "strategy", "sla_minutes", "reassign_on_breach")


@dataclass(frozen=True, slots=True)
class RuleInput:
    """A routing rule as a manager sets it (the rule form's `to_input()`). A condition left
    None matches every lead; the leads go to `team_id` or, if named, `agent_id`."""
    name: str
    strategy: str = "round_robin"       # crm.models.routing_rule.STRATEGIES
    position: int = 100
    active: bool = True
    deal_type: str | None = None
    property_type: str | None = None
    region_code: str | None = None      # this region and everything under it
    industry: str | None = None
    channel: str | None = None
    source_site_id: int | None = None
    area_min_sqm: Decimal | None = None
    area_max_sqm: Decimal | None = None
    min_tax_wan: Decimal | None = None
    min_investment_wan: Decimal | None = None
    team_id: int | None = None
    agent_id: int | None = None
    sla_minutes: int = 30               # working minutes to the first contact
    reassign_on_breach: bool = False


def save_rule(rule: RoutingRule, data: RuleInput, actor: User) -> RoutingRule:
    """Create or change a rule; audited with what it was and what it is now."""
    # An empty choice ("") is no condition, stored as NULL.
    values = {name: (getattr(data, name) if getattr(data, name) != "" else None)
              for name in _RULE_FIELDS}
    values |= {"source_site_id": data.source_site_id or None,
               "team_id": data.team_id or None, "agent_id": data.agent_id or None}
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
