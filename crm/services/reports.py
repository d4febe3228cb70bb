"""First conversion report: leads per status and per agent, aggregated in SQL."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from crm.choices import STATUSES
from crm.extensions import db
from crm.models import Lead, User


@dataclass
class AgentRow:
    agent_id: int | None
    agent_name: str
    total: int
    by_status: dict[str, int]


def local_day_bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the CRM's zone, as aware datetimes."""
    zone = ZoneInfo(tz)
    return (datetime.combine(start, time.min, zone),
            datetime.combine(end + timedelta(days=1), time.min, zone))


def leads_by_status(start: datetime, end: datetime, *conditions) -> dict[str, int]:
    """`conditions` narrow the leads further (a manager's team, an agent)."""
    rows = db.session.execute(
        select(Lead.status, func.count())
        .where(Lead.created_at >= start, Lead.created_at < end, *conditions)
        .group_by(Lead.status))
    counts = {status: 0 for status in STATUSES}
    counts.update({status: n for status, n in rows})
    return counts


def leads_by_agent(start: datetime, end: datetime, *conditions) -> list[AgentRow]:
    cells = db.session.execute(
        select(Lead.assigned_to_id, Lead.status, func.count())
        .where(Lead.created_at >= start, Lead.created_at < end, *conditions)
        .group_by(Lead.assigned_to_id, Lead.status))
    return agent_rows(cells)


def agent_rows(cells) -> list[AgentRow]:
    """AgentRows, most leads first, from (agent id, status, count) cells (aggregated rows,
    not leads); an agent id may come in several cells."""
    by_agent: dict = {}
    for agent_id, status, count in cells:
        counts = by_agent.setdefault(agent_id, dict.fromkeys(STATUSES, 0))
        counts[status] = counts.get(status, 0) + count
    ids = [i for i in by_agent if i is not None]
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).tuples()
                 .all()) if ids else {}
    rows = [AgentRow(agent_id=i, agent_name=names.get(i, ""), total=sum(counts.values()),
                     by_status=counts) for i, counts in by_agent.items()]
    return sorted(rows, key=lambda r: (-r.total, r.agent_name))
