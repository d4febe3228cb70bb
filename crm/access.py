"""Who may see and do what: the one access policy, asked by every view, report, export,
search, htmx partial and Celery job.

Roles nest: an admin may do all a manager may, a manager all an agent may.
- admin: every lead, team and agent.
- manager: the leads of their team, and the leads their team's members hold (a member may
  hold a lead filed under another team). A manager with no team manages nothing.
- agent: the leads they hold or were escalated to; a new lead waiting unassigned in their
  team's pool may be looked at before claiming it.
Mobiles are shown to whoever may work the lead as owner or manager; anyone else who may
view it reveals the number, and the reveal is audited.
Contacts and companies follow their needs (leads): whoever may view one of a contact's needs
may view the contact, and sees only the needs they may view (viewable_leads).
"""
import re
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import and_, false, or_, select, true

from crm.choices import JUNK_STATUSES
from crm.extensions import db
from crm.models import Lead, Role, Team, User

__all__ = ["Role", "role_required", "has_role", "rank", "lead_scope", "lead_scope_parts", "stray_lead_ids",
           "manages_lead", "can_view", "can_work", "can_see_mobile", "mobile_for", "mask_mobile", "mask_text",
           "mask_note", "contact_for", "viewable_leads", "contact_needs", "can_view_contact",
           "can_see_contact_mobile",
           "can_manage_user", "can_edit_rule", "managed_users_clause", "managed_user_ids", "visible_teams",
           "owns_job", "distinct_from", "can_edit_listing", "can_edit_stage_probabilities"]

_RANK: dict[Role | None, int] = {Role.AGENT: 0, Role.MANAGER: 1, Role.ADMIN: 2}


def rank(user) -> int:
    return _RANK.get(getattr(user, "role", None), -1)


def has_role(user, minimum: Role) -> bool:
    """An active user whose role is `minimum` or above."""
    return bool(getattr(user, "is_active", False)) and rank(user) >= _RANK[minimum]


def role_required(minimum: Role):
    """The view is for logged-in users whose role is `minimum` or above; 403 for the rest."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not has_role(current_user, minimum):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


# --- leads -----------------------------------------------------------------------------

def distinct_from(column, value: int):
    """column IS DISTINCT FROM value, written as ranges an index on the column can serve."""
    return or_(column < value, column > value, column.is_(None))


def managed_user_ids(user: User) -> list[int]:
    """The ids of the users a manager manages: their team's members (admin: not listed)."""
    if user.team_id is None:
        return []
    return list(db.session.scalars(select(User.id).where(User.team_id == user.team_id)))


def lead_scope_parts(user: User) -> list | None:
    """The leads a manager may manage, as disjoint WHERE clauses (admin: None, every lead):
    the team's leads, and the leads its members hold under another team. Disjoint so a
    caller can query each half on its own index (the OR of two columns walks neither)."""
    if user.role == Role.ADMIN:
        return None
    if user.role != Role.MANAGER or user.team_id is None:
        return [false()]
    return [Lead.team_id == user.team_id,
            and_(Lead.assigned_to_id.in_(managed_user_ids(user)),
                 distinct_from(Lead.team_id, user.team_id))]


# More than this many, and the strays are named by their clause rather than their ids.
STRAYS_LISTED = 1000


def stray_lead_ids(user: User, parts: list | None = None) -> list[int] | None:
    """The ids of a manager's members' leads filed under another team (an agent moved teams,
    a lead routed by another team's rule); [] when none, None when more than STRAYS_LISTED
    (the caller then uses lead_scope_parts()'s clause, which it may pass in as `parts`).

    Few by nature, but no planner can know it (it guesses a hundred thousand): looked up
    first on ix_lead_owner_team (0.1 ms at a million leads), the rest of a query walks one
    team's index instead of an OR of two columns that walks none.
    """
    parts = lead_scope_parts(user) if parts is None else parts
    if parts is None or len(parts) < 2:
        return []
    # No LIMIT: with one, PostgreSQL expects to stop early (it guesses a hundred thousand
    # rows) and walks the index with a filter (370 ms) instead of its ranges (0.1 ms).
    ids = list(db.session.scalars(select(Lead.id).where(parts[1])))
    return ids if len(ids) <= STRAYS_LISTED else None


def lead_scope(user: User):
    """One WHERE clause for the leads a manager may manage (admin: None, everything)."""
    parts = lead_scope_parts(user)
    return None if parts is None else or_(*parts)


def manages_lead(user: User, lead: Lead) -> bool:
    """The row-level form of lead_scope(): reassign, see every detail, report on it."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.MANAGER or user.team_id is None:
        return False
    return lead.team_id == user.team_id or (
        lead.assigned_to is not None and lead.assigned_to.team_id == user.team_id)


def can_work(user: User, lead: Lead) -> bool:
    """Log follow-ups, move stages, edit, merge, recommend listings."""
    if user.is_manager:
        return manages_lead(user, lead)
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
        return manages_lead(user, lead)
    return lead.assigned_to_id == user.id


def mobile_for(user: User, lead: Lead) -> str:
    """The number as the queue shows it; for a WeChat-only prospect, their WeChat ID."""
    full = can_see_mobile(user, lead)
    if not lead.mobile_e164:
        return lead.wechat_id if full else mask_text(lead.wechat_id)
    return lead.mobile_display if full else lead.masked_mobile


def mask_mobile(e164: str) -> str:
    digits = (e164 or "").removeprefix("+86")
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) == 11 and digits.isdigit() else "****"


def mask_text(value: str) -> str:
    """A WeChat ID or an email with the middle hidden: zh****88, z***@example.cn."""
    if not value:
        return ""
    if "@" in value:
        name, _, domain = value.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{value[:2]}****{value[-2:]}" if len(value) > 4 else "****"


# A mobile as typed in free text: 139 1234 5678, 139-1234-5678, +86 13912345678.
_MOBILE_IN_TEXT = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?![\d])")
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")


def mask_note(text: str) -> str:
    """A prospect's free note as a message may carry it: mobiles and emails masked like the
    contact fields (notifications never put the prospect's number in a message)."""
    text = _MOBILE_IN_TEXT.sub(
        lambda m: mask_mobile("+86" + re.sub(r"\D", "", m.group())[-11:]), text or "")
    return _EMAIL_IN_TEXT.sub(lambda m: mask_text(m.group()), text)


def contact_for(user: User, lead: Lead, revealed: bool = False) -> dict:
    """The prospect's contact details as this user may see them: in full for the owner and
    managers (or after an audited reveal), masked for everyone else; one rule for the
    mobile, the WeChat ID, the email and the numbers of repeat inquiries."""
    full = revealed or can_see_mobile(user, lead)
    return {"full": full,
            "mobile": lead.mobile_display if full else lead.masked_mobile,
            "wechat_id": lead.wechat_id if full else mask_text(lead.wechat_id),
            "email": lead.email if full else mask_text(lead.email),
            "repeat_mobile": (lambda e164: e164) if full else mask_mobile}


# --- contacts and companies ----------------------------------------------------------------
# A contact (or company) has no access rule of its own: it is visible through the needs the
# user may view. Needs of a shared contact that another team works stay hidden; the pages
# say only how many there are ("另有 k 个需求由其他团队跟进"), never their reference, place,
# figures, owner or team: enough to avoid 撞单, nothing of the need itself (no team name
# either, so an agent cannot tell which team courts the prospect).

def viewable_leads(user: User):
    """The SQL form of can_view(): a WHERE clause on Lead (None: every lead, admin)."""
    if user.role == Role.ADMIN:
        return None
    if user.is_manager:
        return lead_scope(user)
    pool = (and_(Lead.assigned_to_id.is_(None), Lead.team_id == user.team_id,
                 Lead.status == "new") if user.team_id is not None else false())
    return or_(Lead.assigned_to_id == user.id, Lead.escalated_to_id == user.id, pool)


def _visible(stmt, user: User):
    scope = viewable_leads(user)
    return stmt if scope is None else stmt.where(scope)


def contact_needs(user: User, contact_id: int):
    """SELECT of a contact's needs the user may view (spam and merged rows are no needs)."""
    return _visible(select(Lead).where(Lead.contact_id == contact_id,
                                       Lead.status.not_in(JUNK_STATUSES)), user)


def can_view_contact(user: User, contact) -> bool:
    """False: the page answers 404, so nobody learns that a contact exists by its id."""
    contact_id = getattr(contact, "id", contact)
    return bool(db.session.scalar(select(contact_needs(user, contact_id).exists())))


def can_see_contact_mobile(user: User, needs: list[Lead]) -> bool:
    """The contact's number in full when the user sees it on one of the needs they may view
    (its owner, its managers); anyone else reveals it once for the contact (audited)."""
    return any(can_see_mobile(user, lead) for lead in needs)


# --- people and teams --------------------------------------------------------------------

def managed_users_clause(user: User):
    """WHERE clause on User for the people `user` manages: admin everyone, a manager their
    team (nobody without a team), an agent nobody."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.MANAGER and user.team_id is not None:
        return User.team_id == user.team_id
    return false()


def can_manage_user(user: User, other: User) -> bool:
    """Change a user's routing settings (availability, capacity, hours). A manager: the
    agents of their team and themselves, never an admin or another manager."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.MANAGER or user.team_id is None or other.team_id != user.team_id:
        return False
    return other.id == user.id or rank(other) < rank(user)


def can_edit_rule(user: User, team_id: int | None, agent: User | None = None) -> bool:
    """A routing rule sends leads to a team (or one agent of it). Admins edit every rule; a
    manager only rules that send leads to their own team, else they could pull another
    team's leads into theirs."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.MANAGER or user.team_id is None:
        return False
    if agent is not None and agent.team_id != user.team_id:
        return False
    return team_id == user.team_id or (team_id is None and agent is not None)


def can_edit_stage_probabilities(user: User, team_id: int | None) -> bool:
    """A team's stage probabilities (赢单概率): an admin any team's and the defaults (team
    None); a manager only their own team's."""
    if not has_role(user, Role.MANAGER):
        return False
    if user.role == Role.ADMIN:
        return True
    return team_id is not None and team_id == user.team_id


def visible_teams(user: User) -> list[Team]:
    if user.role == Role.ADMIN:
        return list(db.session.scalars(select(Team).order_by(Team.name)))
    if user.role == Role.MANAGER and user.team_id:
        team = db.session.get(Team, user.team_id)
        return [team] if team is not None else []
    return []


def owns_job(user: User, owner_id: int | None) -> bool:
    """An import or export job: its creator and admins may follow and download it."""
    return user.role == Role.ADMIN or (owner_id is not None and owner_id == user.id)


def can_edit_spend(user: User, team_id: int | None) -> bool:
    """A source's spend (crm.intake.spend): admins every row, the company's too (no team);
    a manager the rows of their own team only."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.MANAGER and user.team_id is not None and team_id == user.team_id


def spend_team_ids(user: User) -> tuple[int, ...] | None:
    """The teams whose spend rows the user may list; None: every row (admins)."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.MANAGER and user.team_id is not None:
        return (user.team_id,)
    return ()


# --- listings ----------------------------------------------------------------------------

def can_edit_listing(user: User, listing) -> bool:
    """Change a listing's specs and its photos: managers and admins every listing; an agent
    the listings they entered (a new listing is theirs). Everyone on staff may look."""
    if not has_role(user, Role.AGENT):
        return False
    if user.is_manager:
        return True
    return listing.id is None or listing.created_by_id == user.id
