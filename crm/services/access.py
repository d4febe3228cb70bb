"""Who may see and do what with a lead: one place, used by every view and export."""
from sqlalchemy import or_, select

from crm.models import Lead, User


def team_member_ids(team_id: int | None):
    return select(User.id).where(User.team_id == team_id).scalar_subquery()


def manager_scope(user: User):
    """WHERE clause for the leads a manager may see: their team's (admin: everything)."""
    if user.role == "admin":
        return None
    return or_(Lead.team_id == user.team_id, Lead.assigned_to_id.in_(team_member_ids(user.team_id)))


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
