"""The lead's stage machine: which status may follow which."""
from crm.choices import OPEN_STATUSES

PIPELINE = ("new", "contacted", "qualified", "site_visit", "negotiating", "won")
CLOSED = ("won", "lost")

# Forward one or two steps, or close as lost from any open stage; reopen from a close.
# "merged" is terminal: it is reached only by merging (crm.services.merge), never by a move.
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


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES
