"""Stage history is written where status changes happen, once per stage."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from crm.inputs.deal import DealInput
from crm.leads import deals, followup, stages
from crm.models import Lead, LeadStage, LostReason
from tests.factories import LeadFactory, UserFactory


def reached(db, lead):
    return {s.stage: s.reached_at for s in db.session.scalars(
        select(LeadStage).where(LeadStage.lead_id == lead.id))}


def test_follow_ups_and_stage_moves_record_the_first_time_each_stage_is_reached(db):
    agent = UserFactory()
    lead = LeadFactory(assigned_to=agent)
    reason = LostReason(name="选择了其他园区")
    db.session.add(reason)
    stages.record_created(lead)
    db.session.commit()
    followup.log_follow_up(lead, agent, "call", "电话沟通")
    assert set(reached(db, lead)) == {"new", "contacted"}
    assert reached(db, lead)["contacted"] == lead.first_contact_at
    followup.change_status(lead, agent, "qualified")
    followup.change_status(lead, agent, "lost", "", lost_reason_id=reason.id)
    first = reached(db, lead)
    followup.change_status(lead, agent, "contacted")   # reopened
    followup.change_status(lead, agent, "qualified")
    followup.change_status(lead, agent, "lost", "还是不行", lost_reason_id=reason.id)
    again = reached(db, lead)
    assert again == first  # the first times are kept; nothing is counted twice
    assert db.session.get(Lead, lead.id).stage_rank == 2


def test_a_jump_keeps_the_real_history_and_the_furthest_stage(db):
    agent = UserFactory()
    lead = LeadFactory(assigned_to=agent)
    stages.record_created(lead)
    followup.change_status(lead, agent, "qualified")  # new → qualified, no call logged
    assert set(reached(db, lead)) == {"new", "qualified"}
    assert db.session.get(Lead, lead.id).stage_rank == 2  # the funnel counts it as contacted


def test_rank_never_goes_back_when_a_won_deal_reopens(db):
    agent = UserFactory()
    lead = LeadFactory(assigned_to=agent, status="negotiating", stage_rank=4)
    terms = DealInput(signed_on=date(2026, 11, 18), price=Decimal("120"), price_unit="wan_year",
                      property_text="外部厂房", term_months=36)
    deal = deals.sign(lead, terms, agent)  # a need is won by its deal (crm.leads.deals)
    won_at = reached(db, lead)["won"]
    deals.fall_through(deal, agent, "资金未到位")  # the contract fell through
    assert db.session.get(Lead, lead.id).stage_rank == 5
    deals.sign(lead, terms, agent)
    assert reached(db, lead) == {"negotiating": reached(db, lead)["negotiating"], "won": won_at}


def test_spam_is_not_a_stage(db):
    lead = LeadFactory(status="spam")
    stages.record_created(lead)
    db.session.commit()
    assert reached(db, lead) == {}


def test_captured_inquiries_start_at_new(client, db):
    from tests.unit.intake.test_inquiry_form import GOOD
    client.post("/inquiry", data=GOOD)
    lead = db.session.scalars(select(Lead)).one()
    assert list(reached(db, lead)) == ["new"]
    assert reached(db, lead)["new"] == lead.created_at
