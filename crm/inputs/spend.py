"""A month's spend on one source, as a manager typed it (crm.intake.spend keeps it)."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# Money fields read 万元 (crm.inputs.numbers); the spend is kept in 元.
YUAN_PER_WAN = Decimal(10000)
# More than any source's spend in a month could be: 1亿元, as 万元.
MAX_WAN = Decimal(10000)


@dataclass(frozen=True)
class SpendInput:
    month: date  # the first day
    source_site_id: int | None
    channel: str | None
    team_id: int | None
    amount_yuan: Decimal
    note: str = ""

    def __post_init__(self):
        if (self.source_site_id is None) == (self.channel is None):
            raise ValueError("exactly one of source_site_id and channel")
        if self.month.day != 1:
            raise ValueError("month is a first day")
        if self.amount_yuan < 0:
            raise ValueError("negative amount")


def yuan(wan: Decimal) -> Decimal:
    """万元 (to the 元) → 元, to the fen."""
    return (wan * YUAN_PER_WAN).quantize(Decimal("0.01"))
