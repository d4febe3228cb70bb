"""A lead's stages: which status may follow which, and when the lead first reached each.

Stage history (LeadStage rows) records when a lead first reaches a stage, at the moment it
happens. Reports read it instead of replaying the activity log. Rules, decided once here:

- One row per (lead, stage), holding the FIRST time: a reopened lead (lost → contacted,
  won → negotiating → won) reaching a stage again changes nothing, so no count doubles.
- Only the stages that really happened get a row with their time. A lead that jumps
  new → qualified has no "contacted" row; the funnel still counts it as contacted,
  because it reads lead.stage_rank (the furthest pipeline stage ever reached) and a
  stage reached implies every pipeline stage before it.
- "lost" is recorded too (its first time); "spam" and other side statuses are not stages.

The caller owns the transaction: this adds to the session and never commits.
"""
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from crm.choices import OPEN_STATUSES
from crm.extensions import db
from crm.models import Lead, LeadStage

PIPELINE = ("new", "contacted", "qualified", "site_visit", "negotiating", "won")
CLOSED = ("won", "lost")

# Forward one or two steps, or close as lost from any open stage; reopen from a close.
# "merged" is terminal: it is reached only by merging (crm.leads.merge), never by a move.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("contacted", "qualified", "lost", "spam"),
    "contacted": ("qualified", "site_visit", "lost"),
    "qualified": ("site_visit", "negotiating", "lost"),
    "site_visit": ("negotiating", "won", "lost"),
    "negotiating": ("site_visit", "won", "lost"),  # back to visit another property
    "won": ("negotiating",),           # reopen (e.g. the contract fell through)
    "lost": ("contacted",),            # reopen
    "spam": ("new",),                  # a manager releases a false positive
    "merged": (),
}


def allowed_next(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def can_move(current: str, new: str) -> bool:
    return new in allowed_next(current)


def is_reopen(current: str, new: str) -> bool:
    return current in CLOSED and new in OPEN_STATUSES


RECORDED = (*PIPELINE, "lost")
RANK = {stage: i for i, stage in enumerate(PIPELINE)}


def reached(lead: Lead, stage: str) -> bool:
    """Whether `stage` is one the history records; if so, the lead's furthest pipeline stage
    (stage_rank) takes it into account. The caller writes the LeadStage row."""
    if stage not in RECORDED:
        return False
    rank = RANK.get(stage)
    if rank is not None and rank > (lead.stage_rank or 0):
        lead.stage_rank = rank
    return True


def record(lead: Lead, stage: str, when: datetime) -> None:
    """Note that `lead` is at `stage` as of `when` (a no-op if it was there before)."""
    if not reached(lead, stage):
        return
    if lead.id is None:
        db.session.flush()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # ON CONFLICT DO NOTHING: two requests moving the same lead cannot both insert.
    db.session.execute(
        insert(LeadStage).values(lead_id=lead.id, stage=stage, reached_at=when)
        .on_conflict_do_nothing(index_elements=["lead_id", "stage"]))


def record_created(lead: Lead) -> None:
    """A lead just captured is at its first stage (usually "new") since it was created.
    (Intake writes this row in the lead's own INSERT: crm.intake.capture.)"""
    record(lead, lead.status or "new", lead.created_at)
