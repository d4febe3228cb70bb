"""crm.leads.deals: signing wins the need and lets the listing; editing keeps revisions;
a contract that falls through re-opens the need and releases the listing."""
from datetime import date
from decimal import Decimal as D

import pytest
import time_machine
from sqlalchemy import select

from crm.inputs.deal import DealInput, ShareInput
from crm.leads import deals, followup
from crm.listings import occupancy
from crm.models import Activity, Deal, DealRevision, Listing, SourceSite
from tests.factories import LeadFactory, UserFactory

NOW = "2026-11-20 10:00 +0800"


def _listing(db, area="2000", divisible=False):
    listing = Listing(title="长兴独栋厂房", property_type="factory", deal_type="rent",
                      area_sqm=D(area), divisible=divisible, status="available")
    db.session.add(listing)
    db.session.commit()
    return listing


def _terms(listing=None, **kw):
    values = dict(signed_on=date(2026, 11, 18), price=D("0.8"), price_unit="yuan_sqm_day",
                  listing_id=listing.id if listing else None,
                  property_text="" if listing else "外部厂房", area=D("2000"),
                  term_months=36, start_on=date(2026, 12, 1))
    values.update(kw)
    return DealInput(**values)


@pytest.fixture
def agent(db):
    return UserFactory()


@pytest.fixture
def need(db, agent):
    return LeadFactory(assigned_to=agent, team_id=agent.team_id, status="negotiating")


@time_machine.travel(NOW, tick=False)
def test_a_day_rent_wins_the_need_and_lets_the_listing(db, agent, need):
    listing = _listing(db)
    deal = deals.sign(need, _terms(listing), agent)
    assert deal.value_wan == D("175.2000")
    assert (need.status, deal.status, deal.agent_id, deal.team_id) == (
        "won", "signed", agent.id, agent.team_id)
    assert db.session.get(Listing, listing.id).status == "let_or_sold"
    assert [(m.kind, m.done_on) for m in deal.milestones] == [("signed", date(2026, 11, 18))]
    assert occupancy.of_listing(listing).deals == [(need.id, need.reference)]
    moves = db.session.scalars(select(Activity.to_status).where(
        Activity.lead_id == need.id, Activity.kind == "status_change")).all()
    assert moves == ["won"]


@time_machine.travel(NOW, tick=False)
def test_a_divisible_listing_keeps_the_rest_available(db, agent, need):
    listing = _listing(db, area="5000", divisible=True)
    deals.sign(need, _terms(listing), agent)
    stored = db.session.get(Listing, listing.id)
    assert stored.status == "available"
    seen = occupancy.of_listing(stored)
    assert (seen.taken_sqm, seen.remaining_sqm) == (D("2000"), D("3000"))


@time_machine.travel(NOW, tick=False)
def test_falling_through_reopens_the_need_and_releases_the_listing(db, agent, need):
    listing = _listing(db)
    deal = deals.sign(need, _terms(listing), agent)
    deals.fall_through(deal, agent, "客户资金未到位")
    assert need.status == "negotiating"
    assert db.session.get(Listing, listing.id).status == "available"
    assert db.session.scalars(select(Deal.status)).all() == ["fallen_through"]
    assert deals.signed_deal(need) is None
    moves = db.session.scalars(select(Activity.to_status).where(
        Activity.lead_id == need.id, Activity.kind == "status_change").order_by(Activity.id)).all()
    assert moves == ["won", "negotiating"]  # the history is kept
    # signing again makes a new row
    again = deals.sign(need, _terms(listing), agent)
    assert again.id != deal.id and need.status == "won"


@time_machine.travel(NOW, tick=False)
def test_an_edit_writes_a_revision_and_recomputes(db, agent, need):
    deal = deals.sign(need, _terms(), agent)
    revision = deals.edit(deal, _terms(rent_free_months=D("3"),
                                       shares=(ShareInput(agent.id, D("60")),)), agent)
    assert revision is not None
    assert revision.changes["value_wan"] == ["175.2", "160.6"]
    assert revision.changes["rent_free_months"] == ["", "3"]
    assert "shares" in revision.changes and "price" not in revision.changes
    assert deal.value_wan == D("160.6000")
    assert deals.edit(deal, _terms(rent_free_months=D("3"),
                                   shares=(ShareInput(agent.id, D("60")),)), agent) is None
    assert len(db.session.scalars(select(DealRevision)).all()) == 1


def test_won_without_a_deal_is_refused(db, agent, need):
    with pytest.raises(followup.StageError) as refused:
        followup.change_status(need, agent, "won")
    assert refused.value.message is followup.WON_NEEDS_DEAL  # "…请使用签约表单" in zh
    assert need.status == "negotiating"


@pytest.mark.parametrize("kw, field", [
    ({"term_months": None}, "term_months"),
    ({"area": None}, "area"),
    ({"rent_free_months": D("40")}, "rent_free_months"),
    ({"price_unit": "wan_total"}, "price_unit"),          # a sale's unit for a rent need
    ({"shares": (ShareInput(1, D("70")), ShareInput(2, D("40")))}, "shares"),
    ({"commission_kind": "amount"}, "commission_rate"),
])
def test_terms_that_give_no_value_are_refused_on_their_field(db, agent, need, kw, field):
    with pytest.raises(deals.DealError) as refused:
        deals.sign(need, _terms(**kw), agent)
    assert refused.value.field == field
    assert need.status == "negotiating" and not db.session.scalars(select(Deal)).all()


@time_machine.travel(NOW, tick=False)
def test_a_signed_need_leaves_won_only_when_its_contract_falls_through(db, agent, need):
    listing = _listing(db)
    deal = deals.sign(need, _terms(listing), agent)
    with pytest.raises(followup.StageError) as refused:
        followup.change_status(need, agent, "negotiating")
    assert refused.value.message is followup.SIGNED_DEAL_KEEPS_WON
    assert (need.status, deal.status) == ("won", "signed")
    assert db.session.get(Listing, listing.id).status == "let_or_sold"


@time_machine.travel(NOW, tick=False)
def test_a_listing_is_never_let_twice(db, agent, need):
    listing = _listing(db, area="5000", divisible=True)
    deals.sign(need, _terms(listing, area=D("4000")), agent)
    other = LeadFactory(assigned_to=agent, team_id=agent.team_id, status="negotiating")
    with pytest.raises(deals.DealError) as refused:
        deals.sign(other, _terms(listing, area=D("2000")), agent)  # 1,000 ㎡ remain
    assert refused.value.field == "area"
    deals.sign(other, _terms(listing, area=D("1000")), agent)
    assert db.session.get(Listing, listing.id).status == "let_or_sold"
    third = LeadFactory(assigned_to=agent, team_id=agent.team_id, status="negotiating")
    with pytest.raises(deals.DealError) as refused:
        deals.sign(third, _terms(listing, area=D("10")), agent)
    assert refused.value.field == "listing_id"


@time_machine.travel(NOW, tick=False)
def test_an_edit_may_keep_the_area_its_deal_took(db, agent, need):
    listing = _listing(db)  # 2,000 ㎡, not divisible
    deal = deals.sign(need, _terms(listing), agent)
    assert deals.edit(deal, _terms(listing, deposit_wan=D("10")), agent) is not None
    assert db.session.get(Listing, listing.id).status == "let_or_sold"


@time_machine.travel(NOW, tick=False)
def test_a_need_with_a_signed_deal_is_never_merged_away(db, agent, need):
    from crm.leads import merge
    deals.sign(need, _terms(), agent)
    other = LeadFactory(assigned_to=agent, team_id=agent.team_id, status="contacted")
    with pytest.raises(merge.MergeError):
        merge.merge(other, need, agent)
    merge.merge(need, other, agent)  # the other way round is fine
    assert (need.status, other.status) == ("won", "merged")


@time_machine.travel(NOW, tick=False)
def test_a_deal_keeps_its_needs_source_for_the_spend_report(db, agent):
    """Return on spend groups signed deals by the deal's copy of its lead's channel and site."""
    site = SourceSite(name="浙江站", public_key="zj", api_key_hint="zj")
    db.session.add(site)
    db.session.flush()
    need = LeadFactory(assigned_to=agent, team_id=agent.team_id, status="negotiating",
                       channel="api", source_site_id=site.id)
    deal = deals.sign(need, _terms(), agent)
    assert (deal.channel, deal.source_site_id) == ("api", site.id)
    db.session.delete(site)  # a site removed: the lead and the deal forget it alike
    db.session.commit()
    db.session.refresh(deal)
    assert deal.source_site_id is None
