"""Signing, editing and a contract falling through on PostgreSQL: the deal's numerics and
JSON revision, the area a divisible listing keeps (an aggregate over signed deals), and the
stage moves; figures checked against hand-counted ones."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.inputs.deal import DealInput, ShareInput
from crm.leads import deals, followup
from crm.listings import occupancy
from crm.models import Deal, DealRevision, Lead, Listing
from tests.factories import LeadFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.integration


def _terms(listing, area, **kw):
    return DealInput(signed_on=date(2026, 11, 18), price=D("0.8"), price_unit="yuan_sqm_day",
                     listing_id=listing.id, area=D(area), term_months=36, **kw)


def test_deals_and_a_divisible_listing_on_postgresql(pg_app):
    team = TeamFactory()
    agent = UserFactory(team=team)
    park = Listing(title="长兴标准厂房", property_type="factory", deal_type="rent",
                   area_sqm=D("5000"), divisible=True, status="available", created_by=agent)
    db.session.add(park)
    db.session.commit()
    first = LeadFactory(assigned_to=agent, team=team, status="negotiating")
    second = LeadFactory(assigned_to=agent, team=team, status="site_visit")

    a = deals.sign(first, _terms(park, "2000", commission_kind="pct_first_year",
                                 commission_rate=D("10"),
                                 shares=(ShareInput(agent.id, D("100")),)), agent)
    # 0.8 × 2,000 × 365/12 × 36 / 10,000 = 175.2; 10 % of 0.8 × 2,000 × 365 / 10,000 = 5.84
    assert (a.value_wan, a.commission_wan) == (D("175.2000"), D("5.8400"))
    assert db.session.get(Listing, park.id).status == "available"
    assert occupancy.of_listing(park).remaining_sqm == D("3000")

    b = deals.sign(second, _terms(park, "3000"), agent)  # 2,000 + 3,000: all of it
    assert b.value_wan == D("262.8000")  # 0.8 × 3,000 × 365/12 × 36 / 10,000
    assert db.session.get(Listing, park.id).status == "let_or_sold"

    revision = deals.edit(a, _terms(park, "2000", rent_free_months=D("3"),
                                    commission_kind="pct_first_year", commission_rate=D("10"),
                                    shares=(ShareInput(agent.id, D("100")),)), agent)
    db.session.expire_all()
    stored = db.session.get(DealRevision, revision.id)
    assert stored.changes["value_wan"] == ["175.2", "160.6"]  # 33 paid months

    deals.fall_through(db.session.get(Deal, b.id), agent, "资金未到位")
    db.session.expire_all()
    assert db.session.get(Lead, second.id).status == "negotiating"
    assert db.session.get(Listing, park.id).status == "available"
    assert occupancy.of_listing(db.session.get(Listing, park.id)).remaining_sqm == D("3000")
    signed = db.session.execute(select(db.func.count(), db.func.sum(Deal.value_wan))
                                .where(Deal.status == "signed")).one()
    assert tuple(signed) == (1, D("160.6000"))

    with pytest.raises(followup.StageError):
        followup.change_status(db.session.get(Lead, second.id), agent, "won")
