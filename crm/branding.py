"""What prospects see of the business: its name, hotline and WeChat contact, edited by an
admin (管理 → 对外信息) and shown on the public form, the thank-you page and the auto-reply."""
from dataclasses import asdict, dataclass

from crm.extensions import db
from crm.models.setting import Snapshot
from crm.privacy import audit


@dataclass(frozen=True)
class Branding:
    brand_name: str = ""   # 长三角厂房网; empty: the public pages name no business
    hotline: str = ""      # 400-800-1234
    wechat: str = ""       # a WeChat ID or official account name


_snapshot = Snapshot(tuple(Branding.__dataclass_fields__), lambda rows: Branding(**rows))


def current() -> Branding:
    return _snapshot.get()


def forget() -> None:
    _snapshot.forget()


def save(values: dict, actor) -> Branding:
    """Store the branding; audited; seen by every process within the snapshot's refresh (30 s)."""
    old = asdict(current())
    new = {k: (values.get(k) or "").strip() for k in Branding.__dataclass_fields__}
    _snapshot.store(new)
    changed = {k: v for k, v in new.items() if old.get(k) != v}
    if changed:
        audit.record(actor, "branding_edit", "branding", None,
                     {k: old[k] for k in changed}, changed)
    db.session.commit()
    forget()
    return current()
