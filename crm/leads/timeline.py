"""A need's history on its page: newest first, a page at a time (keyset on the activity's
time and id), so a need worked for two years renders as fast as a new one. Older pages
are one link away; the person's copy (crm.privacy.rights) still has every entry."""
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Activity

PAGE_SIZE = 20  # as the repeat inquiries: a phone screen or two


class TimelinePage(NamedTuple):
    rows: list[Activity]
    older: int | None       # pass as `before` for the next page; None: this is the last


def page(lead_id: int, before: int | None = None, size: int = PAGE_SIZE) -> TimelinePage:
    """The entries of the lead older than activity `before` (None: the newest), on
    ix_activity_lead_time. An id not of this lead starts from the newest."""
    stmt = (select(Activity).options(joinedload(Activity.author))
            .where(Activity.lead_id == lead_id))
    if before is not None:
        mark = db.session.get(Activity, before)
        if mark is not None and mark.lead_id == lead_id:
            stmt = stmt.where((Activity.created_at < mark.created_at)
                              | ((Activity.created_at == mark.created_at)
                                 & (Activity.id < mark.id)))
    rows = list(db.session.scalars(
        stmt.order_by(Activity.created_at.desc(), Activity.id.desc()).limit(size + 1)))
    return TimelinePage(rows[:size], rows[size - 1].id if len(rows) > size else None)
