"""WeChat-only prospects: what a review of the first version found (each failed before its
fix), and the edges around them."""
import json

from sqlalchemy import select

from crm.models import ImportJob, InquiryRepeat, Lead
from crm.privacy import rights
from tests.factories import LeadFactory, UserFactory, known_lead, make_site


def test_erasing_a_lead_whose_wechat_box_says_wu_keeps_other_peoples_import_rows(db):
    admin = UserFactory(role="admin")
    LeadFactory(mobile_e164="+8613391219793", wechat_id="无")   # "none" typed in the WeChat box
    job = ImportJob(filename="x.csv", headers=["联系人", "手机", "微信"], status="uploaded",
                    rows=[["张三", "13800138000", "无"], ["李四", "13900139000", "-"]], total=2)
    db.session.add(job)
    db.session.commit()
    rights.erase_person("+8613391219793", admin)
    db.session.expire_all()
    # 张三 is someone else: only the erased person's rows may go.
    assert db.session.get(ImportJob, job.id).rows == [["张三", "13800138000", "无"],
                                                      ["李四", "13900139000", "-"]]


def test_pipl_finds_a_wechat_only_lead_whose_wechat_id_is_a_mobile_number(db):
    # Agent entry accepts mobile "" + WeChat "13391219793" (is_wechat_id allows a mobile).
    lead = LeadFactory(mobile_e164=None, mobile_display="", wechat_id="13391219793")
    db.session.commit()
    key = rights.person_key("13391219793")
    assert [found.id for found in rights.leads_of(key)] == [lead.id]


def test_merging_a_mobile_lead_into_a_wechat_only_lead_keeps_the_mobile(db):
    from crm.leads import merge
    agent = UserFactory(role="manager")
    survivor = LeadFactory(mobile_e164=None, mobile_display="", wechat_id="liu_factory88",
                           assigned_to=agent)
    duplicate = LeadFactory(mobile_e164="+8613391219793", mobile_display="133 9121 9793",
                            assigned_to=agent)
    db.session.commit()
    merge.merge(survivor, duplicate, agent)
    db.session.expire_all()
    assert db.session.get(Lead, survivor.id).mobile_e164 == "+8613391219793"


def test_the_per_wechat_limit_sees_the_id_the_form_accepts(app):
    from crm.web.ratelimit import mobile_key
    with app.test_request_context("/inquiry", method="POST",
                                  data={"contact_name": "陈", "wechat_id": "chen_wx88\u200b"}):
        # clean() strips the zero-width space and the form accepts "chen_wx88".
        assert mobile_key() == "wechat:chen_wx88"


def test_erasing_a_wechat_only_person_erases_their_repeat_on_someone_elses_lead(db):
    from crm.models import InquiryRepeat
    admin = UserFactory(role="admin")
    other = LeadFactory(contact_name="刘总", company="湖州某某科技有限公司")  # matched on company
    repeat = InquiryRepeat(original_lead_id=other.id, created_at=other.created_at,
                           matched_on="company", channel="api", contact_name="刘总",
                           mobile_e164="", company="湖州某某科技有限公司", message="我的微信 liu_wx88",
                           details={"wechat_id": "liu_wx88"})
    db.session.add(repeat)
    db.session.commit()
    rights.erase_person("liu_wx88", admin)
    db.session.expire_all()
    kept = db.session.get(InquiryRepeat, repeat.id)
    assert kept.details.get("wechat_id") is None and kept.message == ""


def test_a_wechat_id_that_is_a_mobile_number_is_taken_as_the_mobile(client, auth, db):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    client.post("/agent/leads/new", data={"contact_name": "刘总", "wechat_id": "13391219793",
                                          "consent": "y", "channel": "wechat"})
    lead = db.session.scalars(select(Lead)).one()
    assert lead.mobile_e164 == "+8613391219793" and lead.wechat_id == "13391219793"


def test_an_agent_finds_a_wechat_only_lead_by_its_wechat_id(client, auth, db):
    agent = UserFactory(email="me@example.com")
    LeadFactory(mobile_e164=None, mobile_display="", wechat_id="liu_factory88",
                company="某某精密机械", assigned_to=agent, team=agent.team)
    LeadFactory(wechat_id="someone_else", company="别家公司", assigned_to=agent, team=agent.team)
    db.session.commit()
    auth.login("me@example.com")
    html = client.get("/agent/leads?q=liu_factory88").get_data(as_text=True)
    assert "某某精密机械" in html and "别家公司" not in html


def test_a_merged_need_never_takes_a_repeat(client, db):
    """Issue 30 (design §2): a merged need is junk, never a candidate; merged_into_id is no
    longer followed. Its contact asking again is a new need of theirs."""
    site, key = make_site()
    survivor = known_lead(mobile_e164="+8613800138000")
    merged = known_lead(mobile_e164="+8613391219793", status="merged")
    merged.merged_into_id = survivor.id
    db.session.commit()
    response = client.post("/api/v1/inquiries", headers={"X-Api-Key": key},
                           content_type="application/json",
                           data=json.dumps({"contact_name": "刘总", "mobile": "133 9121 9793",
                                            "consent": True}))
    assert response.get_json()["status"] == "new"
    assert db.session.scalars(select(InquiryRepeat)).all() == []
    new = db.session.scalars(select(Lead).order_by(Lead.id.desc()).limit(1)).one()
    assert new.contact_id == merged.contact_id and new.contact_seq == 1
