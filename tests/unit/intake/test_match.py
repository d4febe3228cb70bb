"""crm.intake.match: the person and the company behind every inquiry, and which of their
needs it is about (issue 30, docs/design/contacts-and-needs.md §2 steps 1, 2, 3 and 5)."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from crm.inputs.phone import parse_mobile
from crm.intake import capture, match
from crm.intake.inquiry import ContactInput, Inquiry, NeedInput, Source
from crm.models import Company, Contact, InquiryRepeat, Lead
from crm.regions import same_area

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=200)   # past the repeat window (which no longer decides)
# Another need than ask()'s (rent a factory in 昆山): buy land in 合肥.
LAND = {"deal_type": "buy", "property_type": "land", "region_code": "3401",
        "area_min": Decimal("30"), "area_unit": "mu"}


def ask(at=NOW, mobile="13912345678", need=None, listing_id=None, **contact) -> capture.Outcome:
    person = {"name": "王经理", "mobile": parse_mobile(mobile) if mobile else None,
              "company": "苏州恒信科技有限公司"} | contact
    wanted = {"deal_type": "rent", "property_type": "factory", "region_code": "320583",
              "area_min": Decimal("2000"), "industry": "机械"} if need is None else need
    inquiry = Inquiry(contact=ContactInput(**person), need=NeedInput(**wanted),
                      source=Source(channel="api", listing_id=listing_id), consent=True)
    with time_machine.travel(at, tick=False):
        return capture.capture_inquiry(inquiry)


def lead_of(db, outcome) -> Lead:
    return db.session.get(Lead, outcome.lead_id)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_new_mobile_makes_a_contact_and_a_company(app, db, sent):
    lead = lead_of(db, ask(email="w@example.cn"))
    contact = db.session.get(Contact, lead.contact_id)
    company = db.session.get(Company, lead.company_id)
    assert (contact.name, contact.mobile_e164, contact.email) == ("王经理", "+8613912345678",
                                                                   "w@example.cn")
    assert contact.company_id == company.id and contact.consent_version != ""
    assert (company.name, company.name_key, company.industry) == (
        "苏州恒信科技有限公司", "苏州恒信科技", "机械")
    assert lead.contact_seq == 1 and contact.wechat_id is None


def test_the_same_mobile_is_one_contact_for_a_repeat_and_a_later_need(app, db, sent):
    first = lead_of(db, ask())
    repeat = ask(at=NOW + timedelta(days=1), name="王总")   # the same need: a repeat
    assert repeat.status == "duplicate"
    assert db.session.get(InquiryRepeat, repeat.repeat_id).contact_id == first.contact_id
    second = lead_of(db, ask(at=LATER, need=LAND))
    assert second.contact_id == first.contact_id and second.contact_seq == 2
    assert count(db, Contact) == 1
    # A different name is shown, never written over the contact.
    assert db.session.get(Contact, first.contact_id).name == "王经理"


def test_spam_never_counts_as_a_need(app, db, sent):
    lead = lead_of(db, ask())
    lead.status = "spam"
    db.session.commit()
    again = lead_of(db, ask(at=LATER, name="王总", email="w@example.cn"))
    assert again.contact_id == lead.contact_id and again.contact_seq == 1
    # A contact whose every need was junk takes the new name and email.
    contact = db.session.get(Contact, again.contact_id)
    assert (contact.name, contact.email) == ("王总", "w@example.cn")


def test_a_wechat_id_finds_the_contact_and_the_mobile_is_filled(app, db, sent):
    first = lead_of(db, ask(mobile=None, wechat_id="wang_wx01"))
    contact = db.session.get(Contact, first.contact_id)
    assert (contact.mobile_e164, contact.wechat_id) == (None, "wang_wx01")
    found = match.match_inquiry(Inquiry(
        contact=ContactInput(name="王经理", mobile=parse_mobile("13912345678"),
                             wechat_id="wang_wx01"), need=NeedInput()))
    assert (found.contact_id, found.matched_on) == (contact.id, "wechat")
    assert found.fills["mobile_e164"] == "+8613912345678"
    second = lead_of(db, ask(at=LATER, wechat_id="wang_wx01"))
    assert second.contact_id == contact.id
    db.session.refresh(contact)
    assert contact.mobile_e164 == "+8613912345678"


def test_a_wechat_box_saying_none_is_no_key(app, db, sent):
    a = lead_of(db, ask(mobile=None, wechat_id="无", company="", name="刘"))
    b = lead_of(db, ask(at=LATER, mobile=None, wechat_id="无", company="", name="刘"))
    assert a.contact_id != b.contact_id          # nothing to know them by: two people
    assert db.session.get(Contact, a.contact_id).wechat_id is None


def test_company_and_name_find_the_contact(app, db, sent):
    a = lead_of(db, ask(mobile=None, company="湖州纺织厂", name="李 娜"))
    b = lead_of(db, ask(at=LATER, mobile=None, company="湖州紡織廠", name="李娜", need=LAND))
    assert a.contact_id == b.contact_id and b.contact_seq == 2
    assert a.company_id == b.company_id and count(db, Company) == 1


def test_a_company_only_match_links_the_company_and_never_merges_people(app, db, sent):
    wang = lead_of(db, ask())
    chen = lead_of(db, ask(at=NOW + timedelta(hours=1), mobile="13800001111", name="陈",
                           company="苏州恒信科技有限责任公司"))
    assert chen.contact_id != wang.contact_id and chen.contact_seq == 1
    assert chen.company_id == wang.company_id
    assert db.session.get(Contact, chen.contact_id).company_id == wang.company_id
    # Same company and name, but another mobile: still another person.
    other = lead_of(db, ask(at=LATER, mobile="13700002222"))
    assert other.contact_id not in (wang.contact_id, chen.contact_id)
    assert count(db, Contact) == 3 and count(db, Company) == 1


def test_a_credit_code_finds_the_company_whatever_its_name(app, db, sent):
    code = "91320583MA1XXXXX0A"
    a = lead_of(db, ask(credit_code=code, company="恒信科技(昆山)有限公司"))
    b = lead_of(db, ask(at=LATER, mobile="13800001111", credit_code=code, company="恒信昆山"))
    assert a.company_id == b.company_id
    company = db.session.get(Company, a.company_id)
    assert (company.credit_code, company.name_key) == (code, "恒信科技昆山")


def test_a_known_company_takes_an_industry_it_lacks(app, db, sent):
    first = lead_of(db, ask())
    company = db.session.get(Company, first.company_id)
    company.industry = None
    db.session.commit()
    lead_of(db, ask(at=LATER, mobile="13800001111", name="陈"))
    db.session.refresh(company)
    assert company.industry == "机械"


def test_an_erased_contact_is_not_found_again(app, db, sent):
    first = lead_of(db, ask())
    contact = db.session.get(Contact, first.contact_id)
    contact.mobile_e164, contact.erased_at = None, NOW
    db.session.commit()
    again = lead_of(db, ask(at=LATER))
    assert again.contact_id != first.contact_id and again.contact_seq == 1


def test_a_contact_taken_meanwhile_is_retried_not_refused(app, db, sent, monkeypatch):
    """uq_contact_mobile is the backstop when two inquiries make one person at once: the
    loser's transaction runs again and finds the contact."""
    real = match.match_inquiry
    calls = []

    def racing(inquiry, at=None, about=None):
        found = real(inquiry, at, about)
        if not calls:   # another inquiry made the contact after this one looked
            db.session.add(Contact(name="王", mobile_e164="+8613912345678"))
            db.session.flush()
        calls.append(found)
        return found

    monkeypatch.setattr(match, "match_inquiry", racing)
    lead = lead_of(db, ask())
    assert len(calls) == 2 and calls[1].contact_id is None  # the first one was rolled back
    assert count(db, Contact) == 1 and lead.contact_id is not None


# --- steps 2 and 3: which need (issue 30) ----------------------------------------------------

def test_other_need_from_known_mobile_is_second_need(app, db, sent):
    """The issue's walkthrough: a mobile with an open need to buy land in 合肥 asks, for
    another company, to rent a factory in 昆山. It used to become a repeat on the land need
    and the factory need was lost; it is a need of its own."""
    land = lead_of(db, ask(need=LAND, company="合肥恒信置业有限公司"))
    factory_need = {"deal_type": "rent", "property_type": "factory", "region_code": "320583",
                    "area_min": Decimal("2000"), "area_max": Decimal("3000"),
                    "annual_tax_wan": Decimal("300"), "needs_eia": True, "industry": "新能源"}
    outcome = ask(at=NOW + timedelta(days=3), need=factory_need, company="昆山锐驰精密有限公司")
    assert (outcome.status, outcome.new_need, outcome.contact_id) == ("new", True,
                                                                      land.contact_id)
    second = lead_of(db, outcome)
    assert second.id != land.id and second.reference != land.reference
    assert (second.contact_id, second.contact_seq) == (land.contact_id, 2)
    assert second.company_id not in (None, land.company_id)
    assert (second.deal_type, second.property_type, second.region_code) == (
        "rent", "factory", "320583")
    assert (second.area_min_sqm, second.area_max_sqm) == (Decimal("2000"), Decimal("3000"))
    assert (second.annual_tax_wan, second.needs_eia, second.industry) == (
        Decimal("300"), True, "新能源")
    assert count(db, InquiryRepeat) == 0 and count(db, Contact) == 1


def test_same_need_other_figures_is_repeat(app, db, sent):
    first = lead_of(db, ask())
    outcome = ask(at=NOW + timedelta(days=2), need={
        "deal_type": "rent", "property_type": "factory", "region_code": "3205",
        "area_min": Decimal("5000"), "annual_tax_wan": Decimal("800")})
    assert (outcome.status, outcome.lead_id, outcome.new_need) == ("duplicate", first.id, False)
    repeat = db.session.get(InquiryRepeat, outcome.repeat_id)
    assert Decimal(repeat.details["area_min_sqm"]) == 5000 and repeat.matched_on == "mobile"
    assert count(db, Lead) == 1


def test_listing_named_is_repeat_of_that_need(app, db, sent):
    from crm.models import LeadListing, Listing
    rent = lead_of(db, ask())
    land = lead_of(db, ask(at=NOW + timedelta(hours=1), need=LAND))
    db.session.add(Listing(id=42, title="独栋厂房", property_type="warehouse", deal_type="rent",
                           status="available", area_sqm=1000))
    db.session.add(LeadListing(lead_id=rent.id, listing_id=42, kind="recommended"))
    db.session.commit()
    # Named a listing shown to the rent need: that need, though the types say otherwise.
    outcome = ask(at=NOW + timedelta(days=1), listing_id=42, need=LAND)
    assert (outcome.status, outcome.lead_id) == ("duplicate", rent.id)
    assert outcome.lead_id != land.id


def test_no_need_stated_is_repeat_of_newest_open_need(app, db, sent):
    lead_of(db, ask())
    newest = lead_of(db, ask(at=NOW + timedelta(days=1), need=LAND))
    outcome = ask(at=NOW + timedelta(days=2), need={})      # "还在找吗"
    assert (outcome.status, outcome.lead_id) == ("duplicate", newest.id)


def test_lost_or_won_need_never_takes_a_repeat(app, db, sent):
    first = lead_of(db, ask())
    for status in ("lost", "won"):
        first.status = status
        db.session.commit()
        outcome = ask(at=NOW + timedelta(days=1))
        assert (outcome.status, outcome.new_need) == ("new", True)
        again = lead_of(db, outcome)
        assert again.contact_id == first.contact_id
        again.status = "lost"   # closed too, for the next round
        db.session.commit()
    assert count(db, InquiryRepeat) == 0
    assert sorted(db.session.scalars(select(Lead.contact_seq))) == [1, 2, 3]


def test_peer_three_needs_in_one_week(app, db, sent):
    """A 同行 forwards three clients' needs from one mobile in a week: one contact, three
    needs numbered 1-3, each for its own company."""
    needs = [({"deal_type": "rent", "property_type": "factory", "region_code": "320583"},
              "昆山锐驰精密有限公司"),
             ({"deal_type": "buy", "property_type": "land", "region_code": "3401"},
              "合肥恒信置业有限公司"),
             ({"deal_type": "rent", "property_type": "warehouse", "region_code": "3101"},
              "上海迅达物流有限公司")]
    outcomes = [ask(at=NOW + timedelta(days=2 * i), need=need, company=company, name="赵经理")
                for i, (need, company) in enumerate(needs)]
    assert [o.status for o in outcomes] == ["new"] * 3
    assert [o.new_need for o in outcomes] == [False, True, True]
    leads = [lead_of(db, o) for o in outcomes]
    assert len({lead.contact_id for lead in leads}) == 1
    assert [lead.contact_seq for lead in leads] == [1, 2, 3]
    assert len({lead.company_id for lead in leads}) == 3 and count(db, Company) == 3


def test_company_only_match_links_company_never_merges(app, db, sent):
    wang = lead_of(db, ask())
    outcome = ask(at=NOW + timedelta(days=1), mobile="13800001111", name="陈",
                  company="苏州恒信科技有限公司")
    chen = lead_of(db, outcome)
    assert (outcome.status, outcome.new_need) == ("new", False)
    assert chen.contact_id != wang.contact_id and chen.company_id == wang.company_id
    assert count(db, InquiryRepeat) == 0


REGIONS = ["32", "3205", "320583", "320505", "3401", "340104", "3101", "310115", None]


@given(deal=st.sampled_from(["rent", "buy", None]), other_deal=st.sampled_from(["rent", "buy", None]),
       kind=st.sampled_from(["factory", "land", None]),
       other_kind=st.sampled_from(["factory", "land", None]),
       region=st.sampled_from(REGIONS), other_region=st.sampled_from(REGIONS))
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_repeat_iff_types_compatible_and_same_area(app, db, sent, deal, other_deal, kind,
                                                   other_kind, region, other_region):
    """An open need takes the inquiry exactly when deal and property types agree (an unstated
    one agrees) and the places are one area (crm.regions.same_area)."""
    lead = db.session.scalars(select(Lead)).first() or lead_of(db, ask())
    lead.deal_type, lead.property_type, lead.region_code = deal, kind, region
    db.session.commit()
    found = match.match_inquiry(Inquiry(
        contact=ContactInput(name="王经理", mobile=parse_mobile("13912345678")),
        need=NeedInput(deal_type=other_deal, property_type=other_kind,
                       region_code=other_region)))
    expected = ((not deal or not other_deal or deal == other_deal)
                and (not kind or not other_kind or kind == other_kind)
                and same_area(region, other_region))
    assert (found.need is not None) == expected
    if expected:
        assert found.need.id == lead.id
    # Spot checks of same_area itself: 昆山 is in 苏州, 苏州 and 合肥 are not one area.
    assert same_area("320583", "3205") and not same_area("3205", "3401")
