"""crm.intake.needs: a repeat's differences from its need, adopting them (an audited edit),
and a repeat that asked for something else becoming a need of its own (design §2 step 5)."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from crm.inputs.phone import parse_mobile
from crm.intake import capture, needs, repeats
from crm.intake.inquiry import ContactInput, Inquiry, NeedInput, Source
from crm.models import Activity, AuditLog, InquiryRepeat, Lead, LeadStage
from tests.factories import LeadFactory, UserFactory

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


def ask(at=NOW, mobile="13912345678", company="苏州恒信科技有限公司", **need) -> capture.Outcome:
    wanted = {"deal_type": "rent", "property_type": "factory", "region_code": "320583",
              "area_min": Decimal("2000"), "industry": "机械"} | need
    inquiry = Inquiry(contact=ContactInput(name="王经理", mobile=parse_mobile(mobile),
                                           company=company),
                      need=NeedInput(**wanted), source=Source(channel="api",
                                                              page_url="https://x.cn/p"),
                      message="还有一个需求", consent=True)
    with time_machine.travel(at, tick=False):
        return capture.capture_inquiry(inquiry)


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.com")


def lead_and_repeat(db, owner, **need) -> tuple[Lead, InquiryRepeat]:
    """A need and a repeat on it. A repeat stating another deal, type or city is no longer
    made by intake (it is a new need now): it is filed as before issue 30, the repeats the
    migration and "作为新需求" exist for."""
    first = ask()
    lead = db.session.get(Lead, first.lead_id)
    lead.assigned_to_id, lead.team_id = owner.id, owner.team_id
    db.session.commit()
    again = ask(at=NOW + timedelta(days=3), **need) if _same_need(need) else None
    if again is not None:
        assert again.status == "duplicate"
        return lead, db.session.get(InquiryRepeat, again.repeat_id)
    return lead, _filed_before_issue_30(db, lead, **need)


def _same_need(need: dict) -> bool:
    return all(need.get(name, default) == default for name, default in (
        ("deal_type", "rent"), ("property_type", "factory"))) and str(
        need.get("region_code", "3205")).startswith("3205")


def _filed_before_issue_30(db, lead: Lead, **need) -> InquiryRepeat:
    wanted = {"deal_type": "rent", "property_type": "factory", "region_code": "320583",
              "area_min": Decimal("2000"), "industry": "机械"} | need
    inquiry = Inquiry(contact=ContactInput(name="王经理", mobile=parse_mobile("13912345678"),
                                           company="苏州恒信科技有限公司"),
                      need=NeedInput(**wanted), source=Source(channel="api",
                                                              page_url="https://x.cn/p"),
                      message="还有一个需求", consent=True)
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        stated = capture.lead_from(inquiry)
    repeat = repeats.repeat_from(stated, repeats.Original(lead.id, lead.reference, "need"),
                                 "mobile")
    repeat.contact_id, repeat.reference = lead.contact_id, "CF260618-R0001"
    db.session.add(repeat)
    db.session.commit()
    return repeat


def test_differences_list_area_tax_and_region_as_the_page_shows_them(app, db, sent, owner):
    lead, repeat = lead_and_repeat(db, owner, area_min=Decimal("3000"), area_max=Decimal("5000"),
                                   annual_tax_wan=Decimal("300"), region_code="3205")
    found = {field: (label, was, now) for field, label, was, now in needs.differences(lead, repeat)}
    assert found["area"] == ("面积", "≥ 2,000 ㎡", "3,000–5,000 ㎡")
    assert found["annual_tax_wan"] == ("年纳税额", "", "300 万元")
    assert found["region"][0] == "地区" and "昆山" in found["region"][1]
    assert "昆山" not in found["region"][2] and "苏州" in found["region"][2]
    # What the repeat said the same (deal, type, industry) is no difference.
    assert set(found) == {"area", "annual_tax_wan", "region"}


def test_a_repeat_stating_nothing_new_shows_no_difference(app, db, sent, owner):
    lead, repeat = lead_and_repeat(db, owner)
    assert needs.differences(lead, repeat) == []


def test_adopt_changes_the_need_and_is_audited_as_an_edit(app, db, sent, owner):
    lead, repeat = lead_and_repeat(db, owner, area_min=Decimal("3000"), area_max=Decimal("5000"),
                                   annual_tax_wan=Decimal("300"))
    contact_before = (lead.contact_preference, lead.mobile_display, lead.company)
    changed = needs.adopt(lead, repeat.id, ["area"], owner)
    assert set(changed) == {"area_min_sqm", "area_max_sqm"}
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert (lead.area_min_sqm, lead.area_max_sqm) == (Decimal("3000"), Decimal("5000"))
    assert lead.annual_tax_wan is None          # not adopted: stays
    assert (lead.contact_preference, lead.mobile_display, lead.company) == contact_before
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "lead_edit")).one()
    assert entry.entity_id == lead.id and entry.actor_id == owner.id
    assert set(entry.new) == {"area_min_sqm", "area_max_sqm"}
    assert db.session.scalar(select(func.count()).select_from(Activity).where(
        Activity.lead_id == lead.id, Activity.kind == "edit")) == 1
    assert {d[0] for d in needs.differences(lead, repeat)} == {"annual_tax_wan"}


def test_adopt_of_land_in_mu_keeps_the_unit_and_the_square_metres(app, db, sent, owner):
    lead, repeat = lead_and_repeat(db, owner, property_type="land", area_min=Decimal("30"),
                                   area_unit="mu")
    needs.adopt(lead, repeat.id, ["property_type", "area"], owner)
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert (lead.property_type, lead.area_unit, lead.area_min_sqm) == (
        "land", "mu", Decimal("20000.10"))


def test_adopt_refuses_a_repeat_of_another_lead(app, db, sent, owner):
    lead, repeat = lead_and_repeat(db, owner, annual_tax_wan=Decimal("300"))
    other = LeadFactory(assigned_to=owner)
    with pytest.raises(needs.NotThisLead):
        needs.adopt(other, repeat.id, ["annual_tax_wan"], owner)
    db.session.expire_all()
    assert db.session.get(Lead, other.id).annual_tax_wan != Decimal("300")
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_split_makes_a_need_with_every_stated_field_once(app, db, sent, owner):
    lead, repeat = lead_and_repeat(
        db, owner, deal_type="buy", property_type="warehouse", region_code="330522",
        area_min=Decimal("3000"), area_max=Decimal("5000"), annual_tax_wan=Decimal("300"),
        investment_wan=Decimal("8000"), needs_eia=True, usage="冷链仓储",
        ceiling_height_m=Decimal("9"), industry="物流")
    reference, contact_id = repeat.reference, repeat.contact_id
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        need = needs.split_repeat(repeat, owner)
    db.session.expire_all()
    need = db.session.get(Lead, need.id)
    assert (need.deal_type, need.property_type, need.region_code) == ("buy", "warehouse", "330522")
    assert (need.area_min_sqm, need.area_max_sqm) == (Decimal("3000"), Decimal("5000"))
    assert (need.annual_tax_wan, need.investment_wan) == (Decimal("300"), Decimal("8000"))
    assert (need.needs_eia, need.usage, need.industry, need.ceiling_height_m) == (
        True, "冷链仓储", "物流", Decimal("9"))
    assert need.reference == reference and db.session.get(InquiryRepeat, repeat.id).reference is None
    assert need.created_at == NOW + timedelta(days=3) and need.channel == "api"
    assert need.message == "还有一个需求" and need.page_url == "https://x.cn/p"
    assert (need.contact_id, need.company_id) == (contact_id, lead.company_id)
    assert (need.from_repeat_id, need.status, need.contact_seq) == (repeat.id, "new", 2)
    assert (need.assigned_to_id, need.team_id) == (owner.id, owner.team_id)
    assert need.score is not None and "冷链仓储" in need.search_text
    assert db.session.get(LeadStage, (need.id, "new")) is not None
    bodies = {a.lead_id: a.body for a in db.session.scalars(
        select(Activity).where(Activity.kind == "repeat_inquiry", Activity.author_id == owner.id))}
    assert bodies[need.id] == f"由再次咨询拆分 (原需求 {lead.reference})"
    assert reference in bodies[lead.id]

    again = needs.split_repeat(db.session.get(InquiryRepeat, repeat.id), owner)
    assert again.id == need.id
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 2
    assert needs.split_of([repeat.id]) == {repeat.id: (need.id, reference)}


def test_split_of_an_earlier_repeat_renumbers_the_contacts_later_needs(app, db, sent, owner):
    lead, repeat = lead_and_repeat(db, owner, property_type="warehouse")
    later = db.session.get(Lead, ask(at=NOW + timedelta(days=200), property_type="office").lead_id)
    assert later.contact_seq == 2
    need = needs.split_repeat(repeat, owner)
    db.session.expire_all()
    assert db.session.get(Lead, need.id).contact_seq == 2
    assert db.session.get(Lead, later.id).contact_seq == 3


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tax=st.decimals(min_value=0, max_value=100000, places=4),
       same=st.booleans())
def test_a_tax_is_a_difference_exactly_when_it_differs(app, db, sent, owner, tax, same):
    lead = LeadFactory(annual_tax_wan=tax)
    stated = tax if same else tax + Decimal("0.0001")
    repeat = InquiryRepeat(original_lead_id=lead.id, matched_on="mobile",
                           details={"annual_tax_wan": str(stated)})
    db.session.add(repeat)
    db.session.commit()
    fields = [d[0] for d in needs.differences(lead, repeat)]
    assert fields == ([] if same else ["annual_tax_wan"])


REGIONS = ["320583", "3205", "330522", "3101", "32"]
money = st.decimals(min_value=0, max_value=99999, places=4)
sqm = st.decimals(min_value=1, max_value=999999, places=2)


@st.composite
def stated_needs(draw) -> dict:
    """What a repeat's details may hold (as crm.intake.repeats._details writes them)."""
    details = draw(st.fixed_dictionaries({}, optional={
        "deal_type": st.sampled_from(["rent", "buy"]),
        "property_type": st.sampled_from(["factory", "warehouse", "land", "office"]),
        "region_code": st.sampled_from(REGIONS), "region_text": st.sampled_from(["开发区", "园区北"]),
        "area_min_sqm": sqm.map(str), "annual_tax_wan": money.map(str),
        "investment_wan": money.map(str), "needs_eia": st.booleans(),
        "usage": st.sampled_from(["注塑", "冷链仓储"]), "ceiling_height_m": st.just("9.00"),
        "standalone": st.just(True)}))
    if "area_min_sqm" in details:
        details["area_unit"] = draw(st.sampled_from(["sqm", "mu"]))
    return details


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(details=stated_needs())
def test_adopting_every_difference_leaves_none(app, db, sent, owner, details):
    lead = LeadFactory(assigned_to=owner, region_code="320583", area_min_sqm=Decimal("2000"),
                       annual_tax_wan=Decimal("10"), usage="注塑")
    repeat = InquiryRepeat(original_lead_id=lead.id, matched_on="mobile", details=details)
    db.session.add(repeat)
    db.session.commit()
    fields = [d[0] for d in needs.differences(lead, repeat)]
    changed = needs.adopt(lead, repeat.id, fields, owner) if fields else {}
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert needs.differences(lead, repeat) == []
    assert bool(changed) == bool(fields)   # a difference shown is a change made
