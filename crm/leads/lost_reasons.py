"""The reasons a lead can be lost for, kept by managers; a reason in use is retired, not deleted."""
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Lead, LostReason, User
from crm.privacy import audit


def name_taken(name: str, reason: LostReason | None = None) -> bool:
    clash = db.session.scalars(select(LostReason).where(
        func.lower(LostReason.name) == name.lower())).first()
    return clash is not None and (reason is None or clash.id != reason.id)


def all_with_use() -> tuple[list[LostReason], dict[int, int]]:
    """Every reason in order, and how many leads were lost for each."""
    reasons = list(db.session.scalars(select(LostReason).order_by(LostReason.position,
                                                                  LostReason.name)))
    counts = db.session.execute(select(Lead.lost_reason_id, func.count())
                                .where(Lead.lost_reason_id.is_not(None))
                                .group_by(Lead.lost_reason_id)).tuples()
    used = {reason_id: n for reason_id, n in counts if reason_id is not None}
    return reasons, used


def create(name: str, position: int, active: bool, actor: User) -> LostReason:
    reason = LostReason(name=name, position=position, active=active)
    db.session.add(reason)
    db.session.flush()
    audit.record(actor, "lost_reason_create", "lost_reason", reason.id, None, {"name": name})
    db.session.commit()
    return reason


def update(reason: LostReason, values: dict, actor: User) -> None:
    """`values`: name, position, active."""
    old, new = audit.diff(reason, ("name", "position", "active"), values)
    for name, value in values.items():
        setattr(reason, name, value)
    if new:
        audit.record(actor, "lost_reason_edit", "lost_reason", reason.id, old, new)
    db.session.commit()


def remove(reason: LostReason, actor: User) -> bool:
    """Delete the reason, or retire it if leads were lost for it (reports still count those
    losses by reason). True if it was retired."""
    in_use = bool(db.session.scalar(select(func.count()).select_from(Lead)
                                    .where(Lead.lost_reason_id == reason.id)))
    reason_id, name = reason.id, reason.name
    if in_use:
        reason.active = False
    else:
        db.session.delete(reason)
    audit.record(actor, "lost_reason_delete", "lost_reason", reason_id, {"name": name},
                 {"retired": in_use})
    db.session.commit()
    return in_use
