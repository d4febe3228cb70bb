"""Reference numbers a prospect can read out on the phone: CF261123-7K4QX."""
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

# No 0/O, 1/I/L: nothing to confuse when read aloud or copied by hand.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference(now: datetime, tz: str = "Asia/Shanghai") -> str:
    day = now.astimezone(ZoneInfo(tz)).strftime("%y%m%d")
    return f"CF{day}-" + "".join(secrets.choice(ALPHABET) for _ in range(5))


ATTEMPTS = 5  # at 10,000 leads a day, 5 collisions in a row: about 1 in 10^17


def is_collision(exc: IntegrityError) -> bool:
    """Did this INSERT fail because the drawn reference was taken (and not for another reason)?"""
    message = str(exc.orig)
    # PostgreSQL: … constraint "uq_lead_reference" … Key (reference)=…; SQLite: lead.reference
    # (and the same for a repeat inquiry's own reference).
    return any(name in message for name in ("uq_lead_reference", "lead.reference",
                                            "uq_inquiry_repeat_reference",
                                            "inquiry_repeat.reference"))
