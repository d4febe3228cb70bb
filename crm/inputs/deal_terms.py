"""The money of a signed deal in the units the trade quotes (docs/deals.md): one module, so a
price means the same on the won form, the lead page, the reports and the demo.

Rent is quoted per ㎡ per day (元/㎡/天, factories and warehouses), per ㎡ per month
(元/㎡/月, offices) or per year for the whole (万元/年); a sale as a total (万元) or, for
land, per 亩 (万元/亩). Every figure out is in 万元, to 0.0001 (1 元).

How time is counted: a month is 365/12 = 30.4167 days (a lease priced per day and signed
for months is billed for the year's days, not 30 a month), and rent-free months (免租期)
are not paid: the contract value of a lease is the rent of its term minus them.
"""
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l

from crm.choices import SQM_PER_MU

PRICE_UNITS = {
    "yuan_sqm_day": _l("元/㎡/day"),
    "yuan_sqm_month": _l("元/㎡/month"),
    "wan_year": _l("万元/year"),
    "wan_total": _l("万元 in total"),
    "wan_mu": _l("万元/亩"),
}
RENT_UNITS = ("yuan_sqm_day", "yuan_sqm_month", "wan_year")
SALE_UNITS = ("wan_total", "wan_mu")
COMMISSION_KINDS = {
    "amount": _l("An amount (万元)"),
    "pct_first_year": _l("Percent of the first year's rent (or of the price)"),
    "months_rent": _l("Months of rent"),
}
# 签约 → 拿地/入驻 → 开工 → 投产 → 达产: a park's milestones after signing, in order.
MILESTONES = {
    "signed": _l("Signed"),
    "land_or_move_in": _l("Land handed over or moved in"),
    "construction": _l("Construction started"),
    "production": _l("Production started"),
    "full_production": _l("Full production"),
}

DAYS_PER_MONTH = Decimal(365) / Decimal(12)
_WAN = Decimal(10000)
_PLACES = Decimal("0.0001")


class TermsError(ValueError):
    """Terms that cannot give a value (a rent without a term, a per-㎡ price without an area)."""


def _round(value: Decimal) -> Decimal:
    return value.quantize(_PLACES, rounding=ROUND_HALF_UP)


def units_for(deal_type: str) -> tuple[str, ...]:
    return RENT_UNITS if deal_type == "rent" else SALE_UNITS


def monthly_rent_wan(price: Decimal, unit: str, area_sqm: Decimal | None) -> Decimal:
    """One month's rent in 万元 (unrounded), for a rent price in any rent unit."""
    if unit == "wan_year":
        return price / 12
    if area_sqm is None or area_sqm <= 0:
        raise TermsError("a price per ㎡ needs the area")
    if unit == "yuan_sqm_day":
        return price * area_sqm * DAYS_PER_MONTH / _WAN
    if unit == "yuan_sqm_month":
        return price * area_sqm / _WAN
    raise TermsError(f"not a rent unit: {unit}")


def contract_value_wan(price: Decimal, unit: str, area_sqm: Decimal | None = None,
                       term_months: int | None = None,
                       rent_free_months: Decimal | None = None) -> Decimal:
    """The total contract value in 万元: a lease's rent over its paid months, a sale's price.

    0.8 元/㎡/天 on 2,000 ㎡ for 36 months: 0.8 × 2,000 × 365/12 × 36 / 10,000 = 175.2 万元."""
    if price < 0:
        raise TermsError("a negative price")
    if unit in RENT_UNITS:
        if not term_months or term_months <= 0:
            raise TermsError("a rent needs its term in months")
        free = rent_free_months or Decimal(0)
        if free < 0 or free > term_months:
            raise TermsError("rent-free months outside the term")
        return _round(monthly_rent_wan(price, unit, area_sqm) * (Decimal(term_months) - free))
    if unit == "wan_total":
        return _round(price)
    if unit == "wan_mu":
        if area_sqm is None or area_sqm <= 0:
            raise TermsError("a price per 亩 needs the area")
        return _round(price * area_sqm / Decimal(str(SQM_PER_MU)))
    raise TermsError(f"unknown price unit: {unit}")


def commission_wan(kind: str, rate: Decimal, price: Decimal, unit: str,
                   area_sqm: Decimal | None, value_wan: Decimal) -> Decimal:
    """A broker's commission in 万元: an amount as given, a % of the first year's rent (of
    the price, for a sale), or a number of months' rent."""
    if rate < 0:
        raise TermsError("a negative commission")
    if kind == "amount":
        return _round(rate)
    if kind == "pct_first_year":
        base = (monthly_rent_wan(price, unit, area_sqm) * 12 if unit in RENT_UNITS
                else value_wan)
        return _round(base * rate / 100)
    if kind == "months_rent":
        if unit not in RENT_UNITS:
            raise TermsError("months of rent for a sale")
        return _round(monthly_rent_wan(price, unit, area_sqm) * rate)
    raise TermsError(f"unknown commission kind: {kind}")


def tax_per_mu_wan(annual_tax_wan: Decimal | None, area_sqm: Decimal | None) -> Decimal | None:
    """亩均税收: the annual tax per 亩 of land, in 万元 (None when either is unknown)."""
    if annual_tax_wan is None or not area_sqm:
        return None
    return _round(annual_tax_wan * Decimal(str(SQM_PER_MU)) / area_sqm)
