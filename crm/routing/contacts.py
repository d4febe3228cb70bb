"""Step 0 of routing a need (docs/design/contacts-and-needs.md §2 step 4): one person, one
agent. A new need of a known contact goes to the agent protecting that contact (客户保护期),
else to the owner of its open needs; only a contact nobody holds goes by the rules.

Read for a whole batch of leads in two statements (their contacts' needs, then the people
and teams those name), whatever the batch's size.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import joinedload

from crm.choices import JUNK_STATUSES, OPEN_STATUSES
from crm.extensions import db
from crm.models import Lead, Team, User
from crm.routing import policy


@dataclass(frozen=True)
class Holder:
    """Who holds a lead's contact, and how many other open needs the contact has."""
    agent: User | None       # None: nobody holds the contact (the rules decide)
    team: Team | None
    protected: bool          # by the client protection period, not by owning open needs
    others: int              # the contact's other open needs ("此联系人还有 N 个其他需求")


NOBODY = Holder(None, None, False, 0)


def holders(leads: list[Lead], at: datetime) -> dict[int, Holder]:
    """Each lead's holder (lead id → Holder), for leads of a known contact with other needs."""
    contact_ids = {lead.contact_id for lead in leads if lead.contact_id is not None}
    if not contact_ids:
        return {}
    days = policy.current().protection_days
    protected_since = at - timedelta(days=days) if days else None
    live: ColumnElement[bool] = Lead.status.in_(OPEN_STATUSES)
    if protected_since is not None:
        live = or_(live, and_(Lead.sourced_by_id.is_not(None),
                              Lead.created_at > protected_since))
    # On ix_lead_contact_status; newest first, so the first row that qualifies wins.
    rows = db.session.execute(
        select(Lead.id, Lead.contact_id, Lead.status, Lead.assigned_to_id, Lead.team_id,
               Lead.sourced_by_id, Lead.created_at)
        .where(Lead.contact_id.in_(contact_ids), Lead.status.not_in(JUNK_STATUSES), live)
        .order_by(Lead.created_at.desc(), Lead.id.desc())).all()
    people = {user_id for row in rows for user_id in (row.assigned_to_id, row.sourced_by_id)
              if user_id is not None}
    users = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_(people)).options(joinedload(User.team)))} if people else {}
    out = {}
    for lead in leads:
        if lead.contact_id is None:
            continue
        mine = [row for row in rows if row.contact_id == lead.contact_id and row.id != lead.id
                and row.created_at <= lead.created_at]
        others = sum(1 for row in mine if row.status in OPEN_STATUSES)
        out[lead.id] = _holder(mine, users, protected_since, others)
    return out


def _holder(rows, users: dict[int, User], protected_since: datetime | None,
            others: int) -> Holder:
    if protected_since is not None:
        for row in rows:
            agent = users.get(row.sourced_by_id) if row.sourced_by_id else None
            if agent is not None and row.created_at > protected_since and agent.active:
                team = db.session.get(Team, row.team_id) if row.team_id else agent.team
                return Holder(agent, team or agent.team, True, others)
    for row in rows:
        if row.status not in OPEN_STATUSES or row.assigned_to_id is None:
            continue
        agent = users.get(row.assigned_to_id)
        if agent is not None and agent.active and agent.team_id is not None:
            # No capacity or duty screen: one person per client.
            team = db.session.get(Team, row.team_id) if row.team_id else agent.team
            return Holder(agent, team or agent.team, False, others)
        break  # the newest owned open need's owner is gone: the rules decide
    return Holder(None, None, False, others)


def holder_of(lead: Lead, at: datetime) -> Holder:
    return holders([lead], at).get(lead.id, NOBODY)


def protecting_agent(contact_id: int, at: datetime) -> User | None:
    """The active agent whose client protection covers this contact now, if any (agent
    entry's 撞单: a new need of someone else's protected contact goes to them)."""
    days = policy.current().protection_days
    if not days:
        return None
    return db.session.scalars(
        select(User).join(Lead, Lead.sourced_by_id == User.id)
        .where(Lead.contact_id == contact_id, Lead.status.not_in(JUNK_STATUSES),
               Lead.created_at > at - timedelta(days=days), User.active.is_(True))
        .order_by(Lead.created_at.desc(), Lead.id.desc()).limit(1)).first()
