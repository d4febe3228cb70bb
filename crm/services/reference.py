"""Reference numbers a prospect can read out on the phone: CF261123-7K4QX."""
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

# No 0/O, 1/I/L: nothing to confuse when read aloud or copied by hand.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference(now: datetime, tz: str = "Asia/Shanghai") -> str:
    day = now.astimezone(ZoneInfo(tz)).strftime("%y%m%d")
    return f"CF{day}-" + "".join(secrets.choice(ALPHABET) for _ in range(5))
