"""Who may see which figures, and the filters every report query starts from.

- admin: every team; may filter by any team and agent.
- manager: the leads they manage (crm.access): their team's leads and the leads their
  members hold, whatever the URL asks for; leads of no team are not theirs.
- agent: only the leads assigned to them (their own row of speed and ranking).

The scope is built on the server from the logged-in user; a filter in the URL can
narrow it, never widen it.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, false, or_, select

from crm import access
from crm.choices import JUNK_STATUSES
from crm.extensions import db

# The days a report filter may name: the CRM's one date range.
from crm.inputs.dates import FIRST_DAY, LAST_DAY, known_day  # noqa: F401
from crm.models import Deal, Lead, Role, User
from crm.models.types import utcnow

# JUNK_STATUSES (crm.choices) are never leads. A repeat inquiry is not a lead either; it is
# an inquiry_repeat row (sources report).


def local_day_bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the CRM's zone, as aware datetimes."""
    zone = ZoneInfo(tz)
    return (datetime.combine(start, time.min, zone),
            datetime.combine(end + timedelta(days=1), time.min, zone))


@dataclass(frozen=True)
class Scope:
    start: date
    end: date
    tz: str = "Asia/Shanghai"
    team_ids: tuple[int, ...] | None = None  # None: every team
    agent_id: int | None = None
    now: datetime = field(default_factory=utcnow)
    # With team_ids, also the leads the teams' members hold under another team: by id when
    # few (access.stray_lead_ids), else as every lead these members hold.
    stray_ids: tuple[int, ...] = ()
    member_ids: tuple[int, ...] = ()
    # The teams' members beside stray_ids: the rollups (crm.reporting.rollup) know agents,
    # not lead ids.
    rollup_members: tuple[int, ...] = ()

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return local_day_bounds(self.start, self.end, self.tz)

    def who(self) -> list:
        """The team / agent restriction alone (no dates, no status)."""
        conditions: list[ColumnElement[bool]] = []
        if self.team_ids is not None:
            team: ColumnElement[bool] = Lead.team_id.in_(self.team_ids) if self.team_ids else false()
            if self.stray_ids:
                team = or_(team, Lead.id.in_(self.stray_ids))
            if self.member_ids:
                team = or_(team, Lead.assigned_to_id.in_(self.member_ids))
            conditions.append(team)
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

    def signed_deals(self) -> list:
        """Deals signed in the range (their signed_on, a calendar day) of the leads within the
        scope: the query joins Deal to Lead. A deal whose contract fell through is never
        counted; the need signed again is a new row, counted once on its own day."""
        return [Deal.status == "signed", Deal.signed_on >= self.start,
                Deal.signed_on <= self.end, *self.who()]

    def deals(self, stmt: Select) -> Select:
        """`stmt` (selecting from Deal) narrowed to signed_deals(). The deals are joined to
        their leads only when the scope names teams or an agent: an admin's figures read
        the deal index alone, with no lookup per deal (95,000 over two years)."""
        if self.who():
            stmt = stmt.join(Lead, Lead.id == Deal.lead_id)
        return stmt.where(*self.signed_deals())

    def today(self) -> date:
        """The local day of `now` (Asia/Shanghai)."""
        return self.now.astimezone(ZoneInfo(self.tz)).date()

    def with_range(self, start: date, end: date) -> "Scope":
        return Scope(start, end, self.tz, self.team_ids, self.agent_id, self.now,
                     self.stray_ids, self.member_ids, self.rollup_members)


def scope_for(user: User, start: date, end: date, tz: str, team_id: int | None = None,
              agent_id: int | None = None, now: datetime | None = None) -> Scope:
    now = now or utcnow()
    if user.is_admin:
        return Scope(start, end, tz, (team_id,) if team_id else None, agent_id, now)
    if user.is_manager:
        # What access.lead_scope() lets the manager see; an agent filter narrows it further.
        # The team's leads walk the team's report index; its members' leads elsewhere are
        # looked up apart (an OR of team and owner made every report read the whole range).
        teams = (user.team_id,) if user.team_id else ()
        ids = access.stray_lead_ids(user)
        if ids is None:
            return Scope(start, end, tz, teams, agent_id, now,
                         member_ids=tuple(access.managed_user_ids(user)))
        return Scope(start, end, tz, teams, agent_id, now, stray_ids=tuple(ids),
                     rollup_members=tuple(access.managed_user_ids(user)) if ids else ())
    return Scope(start, end, tz, None, user.id, now)


def visible_agents(user: User, team_id: int | None = None) -> list[User]:
    """Agents whose figures the user may see (for the filter's choices)."""
    if not user.is_manager:
        return [user]
    stmt = (select(User).where(User.role == Role.AGENT, access.managed_users_clause(user))
            .order_by(User.name, User.id))
    if user.is_admin and team_id:
        stmt = stmt.where(User.team_id == team_id)
    return list(db.session.scalars(stmt))
