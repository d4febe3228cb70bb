"""Who may see and do what with a lead: one place, used by every view and export."""
from sqlalchemy import and_, or_, select

from crm.extensions import db
from crm.models import Lead, User


def team_member_ids(team_id: int | None):
    return select(User.id).where(User.team_id == team_id).scalar_subquery()


def distinct_from(column, value: int):
    """column IS DISTINCT FROM value, written as ranges an index on the column can serve."""
    return or_(column < value, column > value, column.is_(None))


def manager_scope_parts(user: User) -> list | None:
    """The leads a manager may see, as disjoint WHERE clauses: the team's leads, and the
    leads of its members filed under another team (admin: None, everything). Disjoint so a
    caller can query each half on its own index (the OR of two columns walks neither)."""
    if user.role == "admin":
        return None
    members = list(db.session.scalars(select(User.id).where(User.team_id == user.team_id)))
    return [Lead.team_id == user.team_id,
            and_(Lead.assigned_to_id.in_(members),
                 distinct_from(Lead.team_id, user.team_id))]


def manager_scope(user: User):
    """WHERE clause for the leads a manager may see: their team's (admin: everything)."""
    parts = manager_scope_parts(user)
    return None if parts is None else or_(*parts)


def in_manager_scope(user: User, lead: Lead) -> bool:
    if user.role == "admin":
        return True
    if user.role != "manager" or user.team_id is None:
        return False
    return lead.team_id == user.team_id or (
        lead.assigned_to is not None and lead.assigned_to.team_id == user.team_id)


def can_work(user: User, lead: Lead) -> bool:
    """Log follow-ups, move stages, edit, recommend listings."""
    if user.is_manager:
        return in_manager_scope(user, lead)
    return user.id in (lead.assigned_to_id, lead.escalated_to_id)


def can_view(user: User, lead: Lead) -> bool:
    if can_work(user, lead):
        return True
    # An agent may look at a lead waiting in their team's pool before taking it.
    return (lead.assigned_to_id is None and lead.team_id is not None
            and lead.team_id == user.team_id and lead.status == "new")


def can_see_mobile(user: User, lead: Lead) -> bool:
    """The owner and managers see the number; anyone else reveals it (audited)."""
    if user.is_manager:
        return in_manager_scope(user, lead)
    return lead.assigned_to_id == user.id


def mobile_for(user: User, lead: Lead) -> str:
    return lead.mobile_display if can_see_mobile(user, lead) else lead.masked_mobile
