"""Tell a lead's owner that the prospect asked again.

For now the notice is an Activity on the first lead, which the owner sees in the
lead's history; real channels (WeChat Work, SMS) belong to the routing work.
"""
from flask_babel import gettext
from sqlalchemy import select, update

from crm import choices
from crm.extensions import db
from crm.i18n import force_locale
from crm.models import Activity, InquiryRepeat
from crm.models.types import utcnow


def notify_repeat(original_id: int, repeat_id: int) -> bool:
    """Record the notice once; a second run (redelivered task) changes nothing."""
    repeat = db.session.scalars(
        select(InquiryRepeat).where(InquiryRepeat.id == repeat_id).with_for_update()).first()
    if repeat is None or repeat.original_lead_id != original_id or repeat.notified_at is not None:
        db.session.rollback()
        return False
    now = utcnow()
    # Guarded write, as in routing: a concurrent run finds notified_at set.
    result = db.session.execute(
        update(InquiryRepeat)
        .where(InquiryRepeat.id == repeat_id, InquiryRepeat.notified_at.is_(None))
        .values(notified_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        return False
    with force_locale("zh_CN"):
        body = gettext("The prospect asked again (%(channel)s) from %(page)s.",
                       channel=str(choices.label(choices.CHANNELS, repeat.channel)),
                       page=repeat.page_url or "—")
        if repeat.message:
            body += "\n" + repeat.message
    db.session.add(Activity(lead_id=original_id, kind="repeat_inquiry", body=body,
                            created_at=now))
    db.session.commit()
    return True
