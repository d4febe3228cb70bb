"""`flask crm seed-demo` gives the deal reports, the forecast and Source ROI something to show
(issue 31): deals in each of the trade's price units, one on part of a divisible listing, a
contract that fell through and re-opened its need, expected values, and spend per source."""
from datetime import date

from sqlalchemy import select

from crm.listings import occupancy
from crm.models import Deal, Lead, Listing, SourceSpend


def test_demo_deals_cover_the_price_units_and_the_listing_is_part_let(demo):
    deals = demo.session.scalars(select(Deal)).all()
    units = {deal.price_unit for deal in deals}
    # A lease by the day and a sale at least, and more than two units in all.
    assert {"yuan_sqm_day"} <= units and units & {"wan_total", "wan_mu"} and len(units) >= 3
    assert all(deal.value_wan > 0 for deal in deals)
    on_listing = [deal for deal in deals if deal.listing_id is not None]
    assert len(on_listing) == 1
    listing = demo.session.get_one(Listing, on_listing[0].listing_id)
    taken = occupancy.of_listing(listing)
    # Half of a divisible listing: let in part, the rest still on offer.
    assert taken.taken_sqm == (listing.area_sqm / 2).quantize(1)
    assert on_listing[0].commission_wan is not None and on_listing[0].commission_wan > 0


def test_a_fallen_through_contract_re_opened_its_need(demo):
    fallen = demo.session.scalars(select(Deal).where(Deal.status == "fallen_through")).one()
    assert fallen.fell_through_reason
    assert demo.session.get_one(Lead, fallen.lead_id).status == "negotiating"


def test_open_needs_carry_expected_values_and_sources_their_spend(demo):
    expected = demo.session.scalars(select(Lead).where(
        Lead.expected_value_wan.is_not(None))).all()
    assert expected and all(lead.status in ("site_visit", "negotiating") for lead in expected)
    assert all(lead.expected_close_on > date(2026, 12, 6) for lead in expected)
    months = {row.month for row in demo.session.scalars(select(SourceSpend))}
    assert months == {date(2026, 11, 1), date(2026, 12, 1)}
