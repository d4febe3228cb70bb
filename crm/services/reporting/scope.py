"""Who may see which figures, and the filters every report query starts from.

- admin: every team; may filter by any team and agent.
- manager: only their own team's leads (lead.team_id), whatever the URL asks for, plus the
  leads routed to no team yet (the shared pool: unrouted and spam), which no other team owns.
- agent: only the leads assigned to them (their own row of speed and ranking).

The scope is built on the server from the logged-in user; a filter in the URL can
narrow it, never widen it.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import false, or_, select

from crm.extensions import db
from crm.models import Lead, Team, User
from crm.models.types import utcnow
from crm.services.reports import local_day_bounds

# Statuses that never were leads: left out of every figure but the sources report.
JUNK_STATUSES = ("spam", "duplicate")


@dataclass(frozen=True)
class Scope:
    start: date
    end: date
    tz: str = "Asia/Shanghai"
    team_ids: tuple[int, ...] | None = None  # None: every team
    agent_id: int | None = None
    now: datetime = field(default_factory=utcnow)
    pool: bool = False  # with team_ids: also the leads of no team

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return local_day_bounds(self.start, self.end, self.tz)

    def who(self) -> list:
        """The team / agent restriction alone (no dates, no status)."""
        conditions = []
        if self.team_ids is not None:
            team = Lead.team_id.in_(self.team_ids) if self.team_ids else false()
            conditions.append(or_(team, Lead.team_id.is_(None)) if self.pool else team)
        if self.agent_id is not None:
            conditions.append(Lead.assigned_to_id == self.agent_id)
        return conditions

    def leads(self, include_junk: bool = False) -> list:
        """Leads created in the range (Asia/Shanghai days) within the scope."""
        lo, hi = self.bounds
        conditions = [Lead.created_at >= lo, Lead.created_at < hi, *self.who()]
        if not include_junk:
            conditions.append(Lead.status.notin_(JUNK_STATUSES))
        return conditions

    def with_range(self, start: date, end: date) -> "Scope":
        return Scope(start, end, self.tz, self.team_ids, self.agent_id, self.now, self.pool)


def scope_for(user: User, start: date, end: date, tz: str, team_id: int | None = None,
              agent_id: int | None = None, now: datetime | None = None) -> Scope:
    now = now or utcnow()
    pool = False
    if user.role == "admin":
        teams = (team_id,) if team_id else None
        agent = agent_id
    elif user.role == "manager":
        teams = (user.team_id,) if user.team_id else ()
        pool = True
        agent = agent_id  # combined with the team: another team's lead never shows
    else:
        teams, agent = None, user.id
    return Scope(start, end, tz, teams, agent, now, pool)


def visible_teams(user: User) -> list[Team]:
    if user.role == "admin":
        return list(db.session.scalars(select(Team).order_by(Team.name)))
    if user.role == "manager" and user.team_id:
        return [db.session.get(Team, user.team_id)]
    return []


def visible_agents(user: User, team_id: int | None = None) -> list[User]:
    """Agents whose figures the user may see (for the filter's choices)."""
    if user.role not in ("admin", "manager"):
        return [user]
    stmt = select(User).where(User.role == "agent").order_by(User.name, User.id)
    if user.role == "manager":
        stmt = stmt.where(User.team_id == user.team_id) if user.team_id else stmt.where(false())
    elif team_id:
        stmt = stmt.where(User.team_id == team_id)
    return list(db.session.scalars(stmt))
