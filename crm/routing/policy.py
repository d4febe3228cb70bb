"""The intake rules an admin sets in the app (管理 → 线索规则):

- whether the public form and embed require a mobile number. They do by default: a mobile is
  how the hotline calls back within the SLA, and the per-mobile rate limit is what keeps one
  person from flooding the queue; a WeChat ID alone can neither be called nor limited. A
  business that works mostly through WeChat may turn it off. Agent entry and the API always
  take a mobile or a WeChat ID (at least one).
- the client protection period (客户保护期): a contact an agent brought in themselves stays
  theirs; for this many days, a new need of that contact goes to that agent whoever enters
  or sends it (crm.routing.contacts), and a repeat is told to its need's owner as always.

Here, not in crm.intake, because routing reads the period and sits below intake.
"""
from dataclasses import asdict, dataclass
from datetime import timedelta

from crm.extensions import db
from crm.models.setting import Snapshot
from crm.privacy import audit

MAX_PROTECTION_DAYS = 730


@dataclass(frozen=True)
class IntakePolicy:
    public_mobile_required: bool = True
    protection_days: int = 90

    @property
    def protection(self) -> timedelta:
        return timedelta(days=self.protection_days)


def _build(rows: dict[str, str]) -> IntakePolicy:
    default = IntakePolicy()
    days = rows.get("protection_days", "")
    return IntakePolicy(
        public_mobile_required=rows.get("public_mobile_required", "1") != "0",
        protection_days=int(days) if days.isdigit() else default.protection_days)


_snapshot = Snapshot(tuple(IntakePolicy.__dataclass_fields__), _build)


def current() -> IntakePolicy:
    return _snapshot.get()


def forget() -> None:
    _snapshot.forget()


def save(policy: IntakePolicy, actor) -> IntakePolicy:
    """Store the rules; audited; seen by every process within the snapshot's refresh."""
    old, new = asdict(current()), asdict(policy)
    _snapshot.store({"public_mobile_required": "1" if policy.public_mobile_required else "0",
                     "protection_days": str(policy.protection_days)})
    changed = {k: v for k, v in new.items() if old[k] != v}
    if changed:
        audit.record(actor, "intake_policy_edit", "intake_policy", None,
                     {k: old[k] for k in changed}, changed)
    db.session.commit()
    forget()
    return current()
