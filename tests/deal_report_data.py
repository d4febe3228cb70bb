"""Signed deals on top of tests/report_data.py, every figure worked out by hand in
tests/integration/test_deal_report_numbers.py. Deals are made with the model directly (the
signing service is built elsewhere); values come from crm.inputs.deal_terms.

November 2026 in Asia/Shanghai; "now" is 2026-12-01 00:10 Shanghai (report_data.NOW).

| deal | need | agent/team | unit | value 万元 | signed | listing |
| D1 | L1 (in 11-01) | 甲 一组 | 0.75 元/㎡/天 × 2,000 ㎡ × 36 mo | 164.25 | 11-10 | X1 whole |
| D2 | L7 | 丙 二组 | 3,800 万元 | fell through | 10-30 | X2 |
| D3 | L7 (in 10-20) | 丙 二组 | 3,600 万元 (signed again) | 3,600 | 11-12 | X2 (area not given: whole) |
| D4 | L10 (in 11-03) | 乙 一组 | 35 元/㎡/月 × 500 ㎡ × 24 mo | 42 | 11-20 | X3 divisible, 500 of 2,000 ㎡ |
| D5 | L11 (in 11-05) | 甲 一组 | 120 万元/年 × 60 mo, 6 free | 540 | 11-25 | none; 30 亩, park figures |
| D6 | L5 | 丙 二组 | 45 万元/亩 × 30 亩 | 1,350 | 10-15 | none |
| D7 | L4 | 乙 一组 | 800 万元 | 800 | 12-01 | none |
L10 and L11 are two needs of one contact (P).
"""
from datetime import date, timedelta
from decimal import Decimal

from crm.extensions import db
from crm.inputs.deal_terms import contract_value_wan, tax_per_mu_wan
from crm.models import Contact, Deal, DealListing, DealMilestone, Lead, Listing
from tests import report_data
from tests.report_data import utc


def _listing(title, park, region, area, deal_type, price, created, divisible=False):
    listing = Listing(title=title, property_type="factory" if deal_type == "rent" else "building",
                      deal_type=deal_type, region_code=region, park=park, area_sqm=Decimal(area),
                      price=Decimal(price) if price is not None else None, divisible=divisible,
                      created_at=created)
    db.session.add(listing)
    return listing


def _deal(lead, agent, team, unit, price, signed_on, *, area=None, term=None, free=None,
          listing=None, status="signed", **extra):
    value = contract_value_wan(Decimal(price), unit, Decimal(area) if area else None,
                               term, Decimal(free) if free else None)
    deal = Deal(lead_id=lead.id, agent_id=agent.id, team_id=team.id, status=status,
                signed_on=signed_on, deal_type="rent" if unit.startswith(("yuan", "wan_year"))
                else "buy", price=Decimal(price), price_unit=unit, term_months=term,
                rent_free_months=Decimal(free) if free else None,
                area_value=Decimal(area) if area else None,
                area_sqm=Decimal(area) if area else None, value_wan=value,
                listing_id=listing.id if listing else None, **extra)
    db.session.add(deal)
    db.session.flush()
    return deal


def build() -> dict:
    data = report_data.build()
    a, b, c, t1, t2 = data["a"], data["b"], data["c"], data["t1"], data["t2"]
    leads = {int(x.reference[-4:]): x for x in db.session.query(Lead)}
    person = Contact(name="周女士")  # no mobile: the PG tests keep contact rows between tests
    db.session.add(person)
    db.session.flush()

    def need(n, created, agent, team, **kw):
        lead = Lead(reference=f"CF-T{n:04d}", created_at=created, contact_name="周女士",
                    mobile_e164="+8613900000001", mobile_display="139", contact_id=person.id,
                    team_id=team.id, assigned_to_id=agent.id, assigned_at=created,
                    status="won", property_type="factory", **kw)
        db.session.add(lead)
        return lead
    # Created 2026-11-02 20:00 UTC: 11-03 in Shanghai (the day counts, not the UTC date).
    leads[10] = need(10, utc(2026, 11, 2, 20, 0), b, t1, channel="phone", region_code="310115",
                     industry="biomedicine")
    leads[11] = need(11, utc(2026, 11, 5, 2, 0), a, t1, channel="web", region_code="320585",
                     industry="nev")
    x1 = _listing("X1", "嘉善园", "330421", 2000, "rent", "0.8", utc(2026, 8, 31, 16, 0))
    x2 = _listing("X2", "嘉善园", "330421", 5000, "buy", "3800", utc(2026, 9, 30, 16, 0))
    x3 = _listing("X3", "张江", "310115", 2000, "rent", "1.2", utc(2026, 10, 31, 18, 0),
                  divisible=True)
    _listing("X4", "张江", "310115", 1000, "rent", "1.0", utc(2026, 5, 31, 16, 0))
    _listing("X6", "嘉善园", "330421", 3000, "rent", None, utc(2026, 7, 1, 0, 0))
    # Entered after the range (Dec 1 01:00 in Shanghai): not in November's inventory.
    _listing("X5", "张江", "310115", 9000, "rent", "1.0", utc(2026, 11, 30, 17, 0))
    db.session.flush()

    d1 = _deal(leads[1], a, t1, "yuan_sqm_day", "0.75", date(2026, 11, 10), area=2000, term=36,
               listing=x1)
    d2 = _deal(leads[7], c, t2, "wan_total", "3800", date(2026, 10, 30), listing=x2,
               status="fallen_through", fell_through_reason="资金未到位")
    d3 = _deal(leads[7], c, t2, "wan_total", "3600", date(2026, 11, 12), listing=x2)
    d4 = _deal(leads[10], b, t1, "yuan_sqm_month", "35", date(2026, 11, 20), area=500, term=24,
               listing=x3)
    db.session.add(DealListing(deal_id=d4.id, listing_id=x3.id, area_sqm=Decimal(500)))
    area_30_mu = Decimal("20000.10")
    d5 = _deal(leads[11], a, t1, "wan_year", "120", date(2026, 11, 25), term=60, free=6,
               property_text="嘉兴某地块厂房", investment_wan=Decimal(5000),
               annual_tax_wan=Decimal(300), jobs=200,
               tax_per_mu_wan=tax_per_mu_wan(Decimal(300), area_30_mu))
    d5.area_sqm, d5.area_value, d5.area_unit = area_30_mu, Decimal(30), "mu"
    d6 = _deal(leads[5], c, t2, "wan_mu", "45", date(2026, 10, 15), area=area_30_mu)
    d7 = _deal(leads[4], b, t1, "wan_total", "800", date(2026, 12, 1))
    db.session.add_all([
        DealMilestone(deal_id=d5.id, kind="land_or_move_in", due_on=date(2026, 11, 1),
                      done_on=date(2026, 11, 2)),
        DealMilestone(deal_id=d5.id, kind="construction", due_on=date(2026, 11, 20)),  # overdue
        DealMilestone(deal_id=d5.id, kind="production", due_on=date(2026, 12, 15)),
        DealMilestone(deal_id=d6.id, kind="construction", due_on=date(2026, 11, 25)),  # overdue
        DealMilestone(deal_id=d2.id, kind="construction", due_on=date(2026, 11, 1)),  # fell through
        # Due today (Dec 1 in Shanghai): not overdue yet.
        DealMilestone(deal_id=d7.id, kind="signed", due_on=date(2026, 12, 1)),
    ])
    db.session.commit()
    return {**data, "deals": [d1, d2, d3, d4, d5, d6, d7], "contact": person,
            "listings": (x1, x2, x3), "today": date(2026, 11, 30) + timedelta(days=1)}
