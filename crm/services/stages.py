"""The lead's stage machine: which status may follow which."""
from crm.choices import OPEN_STATUSES

PIPELINE = ("new", "contacted", "qualified", "site_visit", "negotiating", "won")

# Forward one or more steps, or close as lost from any open stage; reopen from a close.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("contacted", "qualified", "lost", "spam"),
    "contacted": ("qualified", "site_visit", "lost"),
    "qualified": ("site_visit", "negotiating", "lost"),
    "site_visit": ("negotiating", "won", "lost"),
    "negotiating": ("won", "lost"),
    "won": ("negotiating",),           # reopen (e.g. the contract fell through)
    "lost": ("contacted",),            # reopen
    "spam": ("new",),                  # a manager releases a false positive
}


def allowed_next(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def can_move(current: str, new: str) -> bool:
    return new in allowed_next(current)


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES
