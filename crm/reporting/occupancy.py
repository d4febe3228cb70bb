"""Listings after the deals: occupancy and vacancy (空置率) by park or region, days on market,
and the asking price against the signed one.

- Occupancy of a listing on the range's last day: the area its signed deals took by then
  (deal_listing.area_sqm, else the deal's area for its main listing, else the whole listing;
  at most the listing's area), over its area. A divisible listing let in part counts the
  part taken. Vacancy = 1 − occupancy. Listings entered after the range are left out.
  The inventory is shared by everyone on staff, so occupancy counts every team's deals.
- Days on market: from the Shanghai day a listing was entered to its first signed deal, for
  the listings whose first signed deal falls in the range.
- Asking vs signed: the signed deals of the range within the scope (Scope.signed_deals) on
  a listing with an asking price in the same unit (a rent in 元/㎡/天, a sale in 万元 total;
  Listing.price_unit); other units are not compared.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, select, union_all

from crm import reads, regions
from crm.i18n import ui_language
from crm.inputs.deal_terms import PRICE_UNITS
from crm.models import Deal, DealListing, Lead, Listing
from crm.models.sql import as_float, days_after_local, grouped_stats_sets, ratio, region_top
from crm.reporting.scope import Scope
from crm.reporting.tables import Column, Table

GROUPS = {"park": _l("Park"), "region": _l("Region")}
DEFAULT = "park"


@dataclass
class OccupancyRow:
    key: object
    label: str
    listings: int = 0
    area: float = 0.0
    let: float = 0.0
    signed: int = 0
    days_p50: float | None = None
    days_mean: float | None = None

    @property
    def occupancy(self) -> float | None:
        return ratio(self.let, self.area)

    @property
    def vacancy(self) -> float | None:
        return None if self.occupancy is None else 1 - self.occupancy

    def as_dict(self) -> dict:
        return {"key": self.label, "listings": self.listings, "area": self.area,
                "let": self.let, "vacant": self.area - self.let, "occupancy": self.occupancy,
                "vacancy": self.vacancy, "signed": self.signed, "days_p50": self.days_p50,
                "days_mean": self.days_mean}


@dataclass
class PriceRow:
    unit: str
    deals: int
    asking: float | None
    signed: float | None
    ratio: float | None

    def as_dict(self) -> dict:
        return {"unit": str(PRICE_UNITS.get(self.unit, self.unit)), "deals": self.deals,
                "asking": self.asking, "signed": self.signed, "ratio": self.ratio}


@dataclass
class OccupancyReport:
    group: str
    rows: list[OccupancyRow]
    total: OccupancyRow
    prices: list[PriceRow]

    def tables(self) -> list[Table]:
        occupancy = Table("occupancy", _l("Occupancy and vacancy"), [
            Column("key", GROUPS[self.group], "text"), Column("listings", _l("Listings")),
            Column("area", _l("Area (㎡)"), "sqm"), Column("let", _l("Let or sold (㎡)"), "sqm"),
            Column("vacant", _l("Vacant (㎡)"), "sqm"), Column("occupancy", _l("Occupancy"), "pct"),
            Column("vacancy", _l("Vacancy rate"), "pct"),
            Column("signed", _l("First signed in the range")),
            Column("days_p50", _l("Days on market, median"), "days"),
            Column("days_mean", _l("Days on market, mean"), "days")],
            [r.as_dict() for r in self.rows], footer=self.total.as_dict() | {"key": _l("Total")})
        prices = Table("prices", _l("Asking vs signed price"), [
            Column("unit", _l("Price unit"), "text"), Column("deals", _l("Deals compared")),
            Column("asking", _l("Asking price, mean"), "price"),
            Column("signed", _l("Signed price, mean"), "price"),
            Column("ratio", _l("Signed / asking, mean"), "pct")],
            [p.as_dict() for p in self.prices])
        return [occupancy, prices]

    def chart(self) -> dict:
        rows = self.rows[:12]
        return {"kind": "bar", "horizontal": True, "categories": [r.label for r in rows],
                "series": [{"name": str(_l("Let or sold (㎡)")), "data": [round(r.let) for r in rows],
                            "stack": "area"},
                           {"name": str(_l("Vacant (㎡)")),
                            "data": [round(r.area - r.let) for r in rows], "stack": "area"}]}


def _taken(scope: Scope):
    """Per listing: the area taken by the deals signed by the range's last day, and the day
    of its first signed deal."""
    signed = [Deal.status == "signed", Deal.signed_on <= scope.end]
    extra = (select(DealListing.listing_id.label("listing_id"),
                    DealListing.area_sqm.label("area"), Deal.signed_on.label("signed_on"))
             .join(Deal, Deal.id == DealListing.deal_id).where(*signed))
    main = (select(Deal.listing_id.label("listing_id"), Deal.area_sqm.label("area"),
                   Deal.signed_on.label("signed_on"))
            .where(*signed, Deal.listing_id.is_not(None),
                   ~exists().where(DealListing.deal_id == Deal.id,
                                   DealListing.listing_id == Deal.listing_id)))
    taken = union_all(extra, main).subquery("taken")
    return (select(taken.c.listing_id,
                   # A deal that does not say how much it took took the whole listing.
                   func.sum(func.coalesce(taken.c.area, Listing.area_sqm)).label("area"),
                   func.min(taken.c.signed_on).label("first_signed"))
            .join(Listing, Listing.id == taken.c.listing_id)
            .group_by(taken.c.listing_id).subquery("per_listing"))


def _group_expression(group: str):
    return region_top(Listing.region_code) if group == "region" else Listing.park


def _labels(group: str, keys: list) -> dict:
    if group == "region":
        return {k: (regions.full_name(k, ui_language()) or k) if k else _("(none)") for k in keys}
    return {k: k or _("(none)") for k in keys}


def occupancy(scope: Scope, group: str | None = DEFAULT, limit: int | None = 100) -> OccupancyReport:
    group = group if group in GROUPS else DEFAULT
    per = _taken(scope)
    _, hi = scope.bounds
    let = case((per.c.area > Listing.area_sqm, Listing.area_sqm),
               else_=func.coalesce(per.c.area, 0))
    in_range = and_(per.c.first_signed >= scope.start, per.c.first_signed <= scope.end)
    days = case((in_range, days_after_local(per.c.first_signed, Listing.created_at, scope.tz)),
                else_=None)
    source = (select(_group_expression(group).label("key"), Listing.area_sqm.label("area"),
                     let.label("let"), days.label("days"))
              .select_from(Listing).outerjoin(per, per.c.listing_id == Listing.id)
              .where(Listing.created_at < hi))

    def aggregates(c):
        return [func.count().label("listings"), func.sum(c.area).label("area"),
                func.sum(c.let).label("let"), func.count(c.days).label("signed"),
                func.avg(c.days).label("days_mean")]

    # The total and the groups from one pass over the deals (grouping sets on PostgreSQL).
    rows = grouped_stats_sets(reads.session(), source, [[], ["key"]], aggregates, {"days": (0.5,)})
    total = _row(None, "", rows[0][0]._mapping) if rows[0] else OccupancyRow(None, "")
    keyed = sorted(rows[1], key=lambda r: (-(as_float(r._mapping["area"]) or 0.0),
                                           str(r._mapping["key"] or "")))
    if limit:
        keyed = keyed[:limit]
    labels = _labels(group, [r._mapping["key"] for r in keyed])
    return OccupancyReport(group, [_row(r._mapping["key"], labels[r._mapping["key"]], r._mapping)
                                   for r in keyed], total, prices(scope))


def _row(key, label, m) -> OccupancyRow:
    median, mean = as_float(m["days_p50"]), as_float(m["days_mean"])
    return OccupancyRow(key, label, int(m["listings"]), as_float(m["area"]) or 0.0,
                        as_float(m["let"]) or 0.0, int(m["signed"] or 0),
                        None if median is None else round(median, 1),
                        None if mean is None else round(mean, 1))


def prices(scope: Scope) -> list[PriceRow]:
    """The asking price of a deal's main listing against the price signed, in the same unit."""
    unit = case((Listing.deal_type == "rent", literal("yuan_sqm_day")), else_=literal("wan_total"))
    rows = reads.session().execute(
        select(Deal.price_unit, func.count(), func.avg(Listing.price), func.avg(Deal.price),
               func.avg(Deal.price / Listing.price))
        .select_from(Deal).join(Lead, Lead.id == Deal.lead_id)
        .join(Listing, Listing.id == Deal.listing_id)
        .where(*scope.signed_deals(), Listing.price > 0, Deal.price_unit == unit)
        .group_by(Deal.price_unit).order_by(Deal.price_unit))
    return [PriceRow(u, int(n), _rounded(asking), _rounded(signed), as_float(r))
            for u, n, asking, signed, r in rows]


def _rounded(value) -> float | None:
    return None if value is None else round(float(value), 4)
