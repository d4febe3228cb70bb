"""A deal's terms as typed (the won form's `to_input()`, a script, a test): what
crm.leads.deals.sign() and edit() take. Nothing here knows WTForms or a request.

Areas are in `area_unit` (㎡ or 亩) as typed; money in 万元; the price in `price_unit`
(crm.inputs.deal_terms.PRICE_UNITS). The value, commission and 亩均税收 are computed from
these by crm.inputs.deal_terms, never typed.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from crm.choices import to_sqm


@dataclass(frozen=True, slots=True)
class ShareInput:
    """Who shares the commission, in percent of it."""
    user_id: int
    pct: Decimal


@dataclass(frozen=True, slots=True)
class DealInput:
    signed_on: date
    price: Decimal
    price_unit: str
    listing_id: int | None = None        # the listing taken, or None with property_text
    property_text: str = ""              # a property not in our inventory
    area: Decimal | None = None
    area_unit: str = "sqm"
    term_months: int | None = None
    start_on: date | None = None
    rent_free_months: Decimal | None = None
    deposit_wan: Decimal | None = None
    commission_kind: str = ""            # "" none, or a crm.inputs.deal_terms.COMMISSION_KINDS key
    commission_rate: Decimal | None = None
    commission_due_on: date | None = None
    commission_received_wan: Decimal | None = None
    commission_received_on: date | None = None
    shares: tuple[ShareInput, ...] = ()
    investment_wan: Decimal | None = None
    annual_tax_wan: Decimal | None = None
    jobs: int | None = None
    # Due dates of the milestones after signing (签约 itself is done on signed_on).
    milestones_due: dict[str, date | None] = field(default_factory=dict)
    note: str = ""

    @property
    def area_sqm(self) -> Decimal | None:
        return to_sqm(self.area, self.area_unit) if self.area is not None else None

    @property
    def shares_pct(self) -> Decimal:
        return sum((s.pct for s in self.shares), Decimal(0))
