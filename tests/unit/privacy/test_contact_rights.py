"""Issue 30 (PIPL per contact, design §4): the copy (Art. 45), the erase (Art. 47) and the
retention (Art. 19) reach a person through their contact record: every need of every
team, every repeat on any need, the visits, recommendations and their opens, the
notifications; a company left with nobody goes, one with a credit code stays."""
from datetime import timedelta

import time_machine
from sqlalchemy import select, text

from crm.intake import repeats as repeat_notices
from crm.leads import recommend
from crm.models import (
    Activity,
    AuditLog,
    Company,
    Contact,
    InquiryRepeat,
    Lead,
    Notification,
    Recommendation,
    SiteVisit,
    VisitRequest,
)
from crm.privacy import rights
from tests.factories import ChannelFactory, LeadFactory, TeamFactory, UserFactory
from tests.unit.privacy.test_erase_everywhere import _every_text_in_the_database
from tests.unit.visits.support import NOW, listing

MOBILE, DIGITS = "+8613912345678", "13912345678"


class Person:
    """周明 (one contact, a 个体户 company of his name) with a need in each of two teams,
    repeats on both and on a colleague's need, a visit, a recommendation opened and a
    notification; beside him a colleague (王工) and someone else's repeat on his need."""

    def __init__(self, db):
        self.admin = UserFactory(role="admin", team=None, email="root@example.com")
        east, west = TeamFactory(), TeamFactory(is_default=False)
        self.agent_east = UserFactory(team=east, email="east@example.com")
        agent_west = UserFactory(team=west, email="west@example.com")
        channel = ChannelFactory(user=self.agent_east)
        self.company = Company(name="周明五金店", name_key="周明五金店")
        db.session.add(self.company)
        db.session.flush()
        self.company_id = self.company.id
        self.contact = Contact(name="周明", name_key="周明", mobile_e164=MOBILE,
                               mobile_display="139 1234 5678", wechat_id="zhouming88",
                               email="zm@example.cn", company_id=self.company.id,
                               consent_version="2026-11", created_at=NOW - timedelta(days=30))
        db.session.add(self.contact)
        db.session.flush()
        # The east need carries his number in its own columns; the west one (typed in by
        # an agent from a pasted message) only his name: the contact is its one link.
        self.east = LeadFactory(team=east, assigned_to=self.agent_east, contact_id=self.contact.id,
                                company_id=self.company.id, contact_name="周明", mobile_e164=MOBILE,
                                mobile_display="139 1234 5678", wechat_id="zhouming88",
                                company="周明五金店", message="要三千平厂房", status="contacted",
                                created_at=NOW - timedelta(days=20))
        self.west = LeadFactory(team=west, assigned_to=agent_west, contact_id=self.contact.id,
                                company_id=self.company.id, contact_name="周明", mobile_e164=None,
                                mobile_display="", company="周明五金店", message="另要仓库",
                                status="qualified", property_type="warehouse",
                                created_at=NOW - timedelta(days=10))
        self.colleague = LeadFactory(team=west, assigned_to=agent_west, contact_name="王工",
                                     mobile_e164="+8613800001111", company="湖州纺织厂")
        db.session.add(Activity(lead_id=self.colleague.id, kind="call", body="王工说下周再谈",
                                created_at=NOW - timedelta(days=2)))

        def repeat(lead, reference, matched_on="mobile", **kw):
            row = InquiryRepeat(original_lead_id=lead.id, matched_on=matched_on, reference=reference,
                                created_at=NOW - timedelta(days=1), **kw)
            db.session.add(row)
            db.session.flush()
            return row
        self.repeats = [
            repeat(self.east, "CF261201-REPE1", contact_id=self.contact.id, contact_name="周明",
                   mobile_e164=MOBILE, message="周明再问：厂房"),
            # Linked only through the contact: no number, no WeChat ID in it.
            repeat(self.west, "CF261201-REPE2", contact_id=self.contact.id, contact_name="周先生",
                   company="周明五金店", message="仓库要带月台"),
            # Matched on the colleague's company: his own contact is linked all the same.
            repeat(self.colleague, "CF261201-REPE3", "company", contact_id=self.contact.id,
                   contact_name="周明", company="湖州纺织厂",
                   message="周明替朋友问"),
        ]
        self.not_his = repeat(self.east, "CF261201-OTHER", contact_name="李会计",
                              mobile_e164="+8613700002222", message="李会计的问题")
        db.session.commit()
        for row in (*self.repeats, self.not_his):
            assert repeat_notices.notify_repeat(row.original_lead_id, row.id)
        db.session.add_all([
            Activity(lead_id=self.west.id, kind="call", body=f"周明说另一个号也是 {DIGITS}",
                     created_at=NOW - timedelta(days=3)),
            SiteVisit(lead_id=self.west.id, starts_at=NOW + timedelta(days=2),
                      meeting_point="周明五金店门口", map_url="https://map.example/zm"),
            Notification(channel_id=channel.id, lead_id=self.west.id, event="assigned",
                         subject="新需求 周明", body=f"手机 {DIGITS}")])
        db.session.commit()
        self.rec = recommend.send(self.east, self.agent_east, [listing(db)])
        db.session.commit()
        assert recommend.record_open(self.rec, NOW)
        recommend.request_visit(self.rec, NOW + timedelta(days=3), [], "周明：周六上午方便")
        self.mine = {self.east.id, self.west.id}


def test_the_copy_has_both_teams_needs_all_repeats_and_the_contact(db):
    with time_machine.travel(NOW, tick=False):
        person = Person(db)
        copy = rights.export_person(MOBILE, person.admin)
    needs = copy["咨询"]
    assert [n["编号"] for n in needs] == [person.east.reference, person.west.reference]
    repeats = copy["重复咨询"]
    assert [r["编号"] for r in repeats] == ["CF261201-REPE1", "CF261201-REPE2", "CF261201-REPE3"]
    # Which of his needs each asked about; the colleague's need is not named.
    assert [r["对应需求"] for r in repeats] == [person.east.reference, person.west.reference, ""]
    [contact] = copy["联系人资料"]
    assert (contact["联系人"], contact["微信号"], contact["邮箱"], contact["企业"]) == (
        "周明", "zhouming88", "zm@example.cn", "周明五金店")
    [rec] = needs[0]["发送的推荐"]
    assert rec["打开次数"] == 1 and rec["首次打开"]
    assert needs[0]["看厂预约"][0]["备注"] == "周明：周六上午方便"
    assert needs[1]["看厂安排"][0]["集合地点"] == "周明五金店门口"
    text_of_copy = str(copy)
    assert "李会计" not in text_of_copy and "王工" not in text_of_copy  # not his
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "pipl_export")).one()
    assert entry.new == {"contacts": [person.contact.id], "leads": [person.east.id, person.west.id],
                         "repeats": [r.id for r in person.repeats]}
    # Named by his WeChat ID, the copy is the same rows.
    rows = rights.rows_of("zhouming88")
    assert ({lead.id for lead in rows.leads}, {r.id for r in rows.repeats}) == (
        person.mine, {r.id for r in person.repeats})


def test_erase_reaches_every_table_of_every_need_and_repeat(db):
    check_erase(db)


def check_erase(db):
    """Also run on PostgreSQL: tests/integration/test_contact_rights_pg.py."""
    with time_machine.travel(NOW, tick=False):
        person = Person(db)
        before = _every_text_in_the_database()
        assert DIGITS in before and "周明" in before and "zm@example.cn" in before
        assert rights.erase_person(MOBILE, person.admin) == 2
    db.session.expire_all()
    dump = _every_text_in_the_database()
    for trace in (DIGITS, "zhouming88", "zm@example.cn", "周明", "周先生", "周六上午", "月台"):
        assert trace not in dump, trace
    contact = db.session.get_one(Contact, person.contact.id)
    assert (contact.name, contact.mobile_e164, contact.wechat_id, contact.email,
            contact.company_id) == (rights.ERASED_NAME, None, None, "", None)
    assert contact.erased_at is not None
    # His 个体户 company had no credit code and nobody else: gone, its name too.
    assert db.session.get(Company, person.company_id) is None
    for lead_id in person.mine:
        lead = db.session.get_one(Lead, lead_id)
        assert lead.erased_at is not None and lead.company == "" and lead.company_id is None
    assert db.session.get_one(Recommendation, person.rec.id).revoked_at is not None
    assert db.session.get_one(Recommendation, person.rec.id).open_count == 1  # a fact stays
    assert [v.note for v in db.session.scalars(select(VisitRequest))] == [""]
    assert all(n.body == "" for n in db.session.scalars(select(Notification)))
    # The colleague's need keeps its own notes and name; only the notice quoting him goes.
    colleague = db.session.get_one(Lead, person.colleague.id)
    assert colleague.contact_name == "王工" and colleague.erased_at is None
    notes = {a.kind: a.body for a in db.session.scalars(
        select(Activity).where(Activity.lead_id == colleague.id))}
    assert notes == {"call": "王工说下周再谈", "repeat_inquiry": ""}
    assert db.session.get_one(InquiryRepeat, person.not_his.id).message == "李会计的问题"
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "pipl_erase")).one()
    assert entry.old == {"contacts": [person.contact.id], "leads": sorted(person.mine),
                         "repeats": [r.id for r in person.repeats]}
    # The number asking again is a new person; a second erase finds nothing.
    assert rights.contacts_of(MOBILE) == [] and rights.erase_person(MOBILE, person.admin) == 0


def _closed(db, lead, status, at):
    lead.status = status
    db.session.add(Activity(lead_id=lead.id, kind="status_change", from_status="contacted",
                            to_status=status, created_at=at))


def test_retention_anonymises_closed_needs_and_erases_a_contact_only_without_open_needs(app, db):
    check_retention(app, db)


def check_retention(app, db):
    """Also run on PostgreSQL: tests/integration/test_contact_rights_pg.py."""
    app.config["CRM_RETENTION_DAYS"] = 730
    long_ago, lately = NOW - timedelta(days=800), NOW - timedelta(days=10)

    def contact(name, mobile, company=None):
        row = Contact(name=name, name_key=name, mobile_e164=mobile, created_at=NOW - timedelta(days=900),
                      company_id=company.id if company else None)
        db.session.add(row)
        db.session.flush()
        return row

    def need(who, status, closed_at=None, **kw):
        lead = LeadFactory(contact_id=who.id, contact_name=who.name, mobile_e164=who.mobile_e164,
                           created_at=NOW - timedelta(days=900), status="contacted", **kw)
        if closed_at is not None:
            _closed(db, lead, status, closed_at)
        return lead
    with time_machine.travel(NOW, tick=False):
        shop = Company(name="陈记小吃", name_key="陈记小吃")
        coded = Company(name="湖州恒信机械有限公司", name_key="湖州恒信机械",
                        credit_code="91330500MA2B3C4D5E")
        db.session.add_all([shop, coded])
        db.session.flush()
        shop_id = shop.id
        # 陈: one need lost long ago, one won lately; 林: lost long ago, another still open;
        # 赵: everything closed long ago (his company has a credit code).
        chen = contact("陈", "+8613900000001", shop)
        chen_old = need(chen, "lost", long_ago, company_id=shop.id, company="陈记小吃")
        chen_new = need(chen, "won", lately, company_id=shop.id, company="陈记小吃")
        lin = contact("林", "+8613900000002")
        lin_old = need(lin, "lost", long_ago)
        lin_open = need(lin, "contacted")
        zhao = contact("赵", "+8613900000003", coded)
        zhao_old = need(zhao, "won", long_ago, company_id=coded.id, company="湖州恒信机械有限公司")
        db.session.add(InquiryRepeat(original_lead_id=lin_open.id, matched_on="mobile",
                                     contact_id=zhao.id, contact_name="赵",
                                     mobile_e164="+8613900000003", created_at=long_ago))
        db.session.commit()

        assert rights.retention_sweep() == 4  # three old needs, and 赵
        assert rights.retention_sweep() == 0  # idempotent
    db.session.expire_all()

    def erased(row) -> bool:
        return db.session.get_one(type(row), row.id).erased_at is not None
    assert [erased(x) for x in (chen_old, chen_new, lin_old, lin_open, zhao_old)] == [
        True, False, True, False, True]
    # 陈's newest closure is recent, 林 has an open need: both kept; 赵 is erased.
    assert [erased(x) for x in (chen, lin, zhao)] == [False, False, True]
    assert db.session.get_one(Contact, zhao.id).mobile_e164 is None
    # His repeat on 林's open need goes with him; 林's need itself is live work.
    assert db.session.scalars(select(InquiryRepeat)).one().contact_name == rights.ERASED_NAME
    # A company with a credit code stays (nothing personal in it); 陈's shop is still his.
    assert db.session.get_one(Company, coded.id).name == "湖州恒信机械有限公司"
    assert db.session.get(Company, shop_id) is not None
    entry = db.session.scalars(select(AuditLog).where(AuditLog.entity == "contact")).one()
    assert (entry.action, entry.entity_id, entry.actor_id) == ("retention_erase", zhao.id, None)

    # Two years after 陈's last win: the need, then he and his shop, go.
    with time_machine.travel(NOW + timedelta(days=730), tick=False):
        assert rights.retention_sweep() == 2
    db.session.expire_all()
    assert erased(chen_new) and erased(chen) and db.session.get(Company, shop_id) is None
    assert not erased(lin) and not erased(lin_open)
    assert db.session.execute(text("SELECT count(*) FROM contact WHERE erased_at IS NULL")).scalar() == 1


def test_erase_keeps_a_company_with_a_credit_code_or_another_live_contact(db):
    admin = UserFactory(role="admin", team=None, email="root@example.com")
    coded = Company(name="湖州恒信机械有限公司", name_key="湖州恒信机械",
                    credit_code="91330500MA2B3C4D5E")
    shared = Company(name="湖州纺织厂", name_key="湖州纺织厂")
    db.session.add_all([coded, shared])
    db.session.flush()
    people = []
    for name, mobile, company in (("赵", "+8613900000003", coded), ("钱", "+8613900000004", shared),
                                  ("孙", "+8613900000005", shared)):
        contact = Contact(name=name, name_key=name, mobile_e164=mobile, company_id=company.id)
        db.session.add(contact)
        db.session.flush()
        LeadFactory(contact_id=contact.id, company_id=company.id, company=company.name,
                    contact_name=name, mobile_e164=mobile)
        people.append(contact)
    db.session.commit()
    assert rights.erase_person("+8613900000003", admin) == 1
    assert rights.erase_person("+8613900000004", admin) == 1
    db.session.expire_all()
    # Kept: one has a credit code, the other still has 孙; the erased needs keep the name.
    assert {c.name for c in db.session.scalars(select(Company))} == {"湖州恒信机械有限公司", "湖州纺织厂"}
    assert sorted(lead.company for lead in db.session.scalars(select(Lead))) == sorted(
        ["湖州恒信机械有限公司", "湖州纺织厂", "湖州纺织厂"])
    assert db.session.get_one(Contact, people[0].id).company_id is None  # the link goes
    assert rights.erase_person("+8613900000005", admin) == 1
    db.session.expire_all()
    # 孙 was the last one: the company goes, and its name leaves the needs.
    assert {c.name for c in db.session.scalars(select(Company))} == {"湖州恒信机械有限公司"}
    assert sorted(lead.company for lead in db.session.scalars(select(Lead))) == [
        "", "", "湖州恒信机械有限公司"]
