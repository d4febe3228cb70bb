"""What prospects see of the business: its name, hotline and WeChat contact, edited by an
admin (管理 → 对外信息) and shown on the public form, the thank-you page and the auto-reply."""
import threading
import time
from dataclasses import asdict, dataclass

from flask import has_app_context
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from crm.extensions import db
from crm.models import Setting
from crm.privacy import audit

REFRESH_SECONDS = 30


@dataclass(frozen=True)
class Branding:
    brand_name: str = ""   # 长三角厂房网; empty: the public pages name no business
    hotline: str = ""      # 400-800-1234
    wechat: str = ""       # a WeChat ID or official account name


_cached: tuple[float, Branding] | None = None
_lock = threading.Lock()


def current() -> Branding:
    global _cached
    if not has_app_context():
        return Branding()
    cached = _cached
    if cached is None or time.monotonic() - cached[0] > REFRESH_SECONDS:
        try:
            rows = dict(db.session.execute(select(Setting.key, Setting.value).where(
                Setting.key.in_(Branding.__dataclass_fields__))).all())
        except SQLAlchemyError:
            # The database is away (the 503 page is being drawn): the last known, or none.
            db.session.rollback()
            return cached[1] if cached else Branding()
        cached = (time.monotonic(), Branding(**rows))
        with _lock:
            _cached = cached
    return cached[1]


def forget() -> None:
    global _cached
    with _lock:
        _cached = None


def save(values: dict, actor) -> Branding:
    """Store the branding; audited; seen by every process within REFRESH_SECONDS."""
    old = asdict(current())
    for key in Branding.__dataclass_fields__:
        row = db.session.get(Setting, key) or Setting(key=key)
        row.value = (values.get(key) or "").strip()
        db.session.add(row)
    new = {k: (values.get(k) or "").strip() for k in Branding.__dataclass_fields__}
    changed = {k: v for k, v in new.items() if old.get(k) != v}
    if changed:
        audit.record(actor, "branding_edit", "branding", None,
                     {k: old[k] for k in changed}, changed)
    db.session.commit()
    forget()
    return current()
