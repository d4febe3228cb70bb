"""Reference numbers a prospect can read out on the phone: CF261123-7K4QX."""
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.exc import IntegrityError

from crm.extensions import db

# No 0/O, 1/I/L: nothing to confuse when read aloud or copied by hand.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference(now: datetime, tz: str = "Asia/Shanghai") -> str:
    day = now.astimezone(ZoneInfo(tz)).strftime("%y%m%d")
    return f"CF{day}-" + "".join(secrets.choice(ALPHABET) for _ in range(5))


def insert_with_reference(lead) -> None:
    """Add the lead with a fresh reference; on the (rare) unique collision, draw again."""
    for _attempt in range(5):
        lead.reference = new_reference(lead.created_at, current_app.config["CRM_TIMEZONE"])
        try:
            with db.session.begin_nested():
                db.session.add(lead)
            return
        except IntegrityError:  # reference collision: draw again
            continue
    raise RuntimeError("could not draw a unique reference number")
