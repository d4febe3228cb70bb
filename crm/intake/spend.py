"""What the sources cost: a month's spend per source site or channel (crm.models.SourceSpend),
entered by admins and managers, audited like every admin edit. The Source ROI report
(crm.reporting.roi) reads it."""
from datetime import date

from sqlalchemy import false, func, select
from sqlalchemy.exc import IntegrityError

from crm import access
from crm.extensions import db
from crm.inputs.spend import SpendInput
from crm.models import SourceSpend, User
from crm.privacy import audit

FIELDS = ("month", "source_site_id", "channel", "team_id", "amount_yuan", "note")


class DuplicateSpend(ValueError):
    """This source already has a row for the month (and team): edit that one."""


def listing(user: User, month: date | None = None) -> list[SourceSpend]:
    """The rows the user may see, newest month first, one month or all."""
    stmt = select(SourceSpend)
    teams = access.spend_team_ids(user)
    if teams is not None:
        stmt = stmt.where(SourceSpend.team_id.in_(teams) if teams else false())
    if month is not None:
        stmt = stmt.where(SourceSpend.month == month)
    return list(db.session.scalars(stmt.order_by(SourceSpend.month.desc(), SourceSpend.id)))


def taken(data: SpendInput, except_id: int | None = None) -> bool:
    same = [SourceSpend.month == data.month,
            func.coalesce(SourceSpend.team_id, 0) == (data.team_id or 0)]
    same.append(SourceSpend.source_site_id == data.source_site_id if data.source_site_id
                else SourceSpend.channel == data.channel)
    if except_id is not None:
        same.append(SourceSpend.id != except_id)
    return db.session.scalar(select(SourceSpend.id).where(*same).limit(1)) is not None


def _values(data: SpendInput) -> dict:
    return {name: getattr(data, name) for name in FIELDS}


def save(actor: User, data: SpendInput, spend: SourceSpend | None = None) -> SourceSpend:
    """Add a row (spend None) or change one. DuplicateSpend when the month's source (and
    team) has another row; PermissionError when the team is not the actor's to edit."""
    if not access.can_edit_spend(actor, data.team_id) or (
            spend is not None and not access.can_edit_spend(actor, spend.team_id)):
        raise PermissionError("spend of another team")
    if taken(data, except_id=spend.id if spend is not None else None):
        raise DuplicateSpend()
    values = _values(data)
    if spend is None:
        spend = SourceSpend(entered_by_id=actor.id, **values)
        db.session.add(spend)
        db.session.flush()
        audit.record(actor, "spend_create", "source_spend", spend.id, None, values)
    else:
        old, new = audit.diff(spend, FIELDS, values)
        for name, value in values.items():
            setattr(spend, name, value)
        if new:
            audit.record(actor, "spend_edit", "source_spend", spend.id, old, new)
    try:
        db.session.commit()
    except IntegrityError:   # another manager saved the same month's source just now
        db.session.rollback()
        raise DuplicateSpend() from None
    return spend


def delete(actor: User, spend: SourceSpend) -> None:
    if not access.can_edit_spend(actor, spend.team_id):
        raise PermissionError("spend of another team")
    audit.record(actor, "spend_delete", "source_spend", spend.id,
                 {name: getattr(spend, name) for name in FIELDS}, None)
    db.session.delete(spend)
    db.session.commit()
