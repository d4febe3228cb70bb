"""crm.intake.match: the person and the company behind every inquiry (issue 30, steps 1 and 5
of docs/design/contacts-and-needs.md §2). Whether it repeats a need is still today's rule."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine
from sqlalchemy import func, select

from crm.inputs.phone import parse_mobile
from crm.intake import capture, match
from crm.intake.inquiry import ContactInput, Inquiry, NeedInput, Source
from crm.models import Company, Contact, InquiryRepeat, Lead

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=200)   # past the repeat window: a second lead, not a repeat


def ask(at=NOW, mobile="13912345678", **contact) -> capture.Outcome:
    person = {"name": "王经理", "mobile": parse_mobile(mobile) if mobile else None,
              "company": "苏州恒信科技有限公司"} | contact
    inquiry = Inquiry(contact=ContactInput(**person),
                      need=NeedInput(deal_type="rent", property_type="factory",
                                     region_code="320583", area_min=Decimal("2000"),
                                     industry="机械"),
                      source=Source(channel="api"), consent=True)
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
    repeat = ask(at=NOW + timedelta(days=1), name="王总")   # today's rule: a repeat
    assert repeat.status == "duplicate"
    assert db.session.get(InquiryRepeat, repeat.repeat_id).contact_id == first.contact_id
    second = lead_of(db, ask(at=LATER))
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
    b = lead_of(db, ask(at=LATER, mobile=None, company="湖州紡織廠", name="李娜"))
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

    def racing(inquiry, at=None):
        found = real(inquiry, at)
        if not calls:   # another inquiry made the contact after this one looked
            db.session.add(Contact(name="王", mobile_e164="+8613912345678"))
            db.session.flush()
        calls.append(found)
        return found

    monkeypatch.setattr(match, "match_inquiry", racing)
    lead = lead_of(db, ask())
    assert len(calls) == 2 and calls[1].contact_id is None  # the first one was rolled back
    assert count(db, Contact) == 1 and lead.contact_id is not None
