"""First conversion report: leads per status and per agent, aggregated in SQL."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

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
    status_columns = [func.sum(case((Lead.status == s, 1), else_=0)).label(s) for s in STATUSES]
    stmt = (
        select(Lead.assigned_to_id, User.name, func.count().label("total"), *status_columns)
        .outerjoin(User, User.id == Lead.assigned_to_id)
        .where(Lead.created_at >= start, Lead.created_at < end, *conditions)
        .group_by(Lead.assigned_to_id, User.name)
        .order_by(func.count().desc())
    )
    out = []
    for row in db.session.execute(stmt):
        mapping = row._mapping
        out.append(AgentRow(agent_id=row.assigned_to_id, agent_name=row.name or "",
                            total=row.total,
                            by_status={s: int(mapping[s] or 0) for s in STATUSES}))
    return out
