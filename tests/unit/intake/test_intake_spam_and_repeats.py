"""The public form's spam judgement and repeat inquiries (SQLite, tasks run in-process)."""
import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from crm.leads import followup
from crm.models import Activity, InquiryRepeat, Lead, Listing
from crm.models.types import utcnow
from tests.factories import LeadFactory, UserFactory, known_lead
from tests.support.sql import statements_run

GOOD = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": "y"}


def leads(db):
    return db.session.scalars(select(Lead).order_by(Lead.id)).all()


def form_token(client, url="/inquiry"):
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="started" type="hidden" value="([^"]+)"', html).group(1)


def test_honeypot_is_hidden_by_a_css_class_not_inline_style(client):
    html = client.get("/inquiry").get_data(as_text=True)
    assert '<div class="hp" aria-hidden="true">' in html and 'name="website"' in html
    assert "style=" not in html


def test_filled_honeypot_is_stored_as_spam_not_routed_and_thanked(client, db):
    UserFactory()  # an agent who would get it if it were routed
    response = client.post("/inquiry", data={**GOOD, "website": "http://buy.example"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/inquiry/thanks")
    lead = leads(db)[0]
    assert lead.status == "spam" and "honeypot" in lead.spam_reasons
    assert lead.assigned_to_id is None and lead.routed_at is None
    assert lead.reference in client.get("/inquiry/thanks").get_data(as_text=True)


@pytest.mark.parametrize("field,value,reason", [
    ("message", "澳門百家樂 真人視訊 最高返水", "words:百家乐|真人视讯"),  # traditional gambling words
    ("message", "看这里 https://x.example/p", "link"),
    ("company", "www.cheap-sex.example", "link"),
    ("usage", "成人网站推广", "words:成人网"),
    ("contact_name", "ＰＯＲＮ", "words:porn"),                        # full-width
])
def test_links_and_spam_words_make_spam(client, db, field, value, reason):
    client.post("/inquiry", data={**GOOD, field: value})
    lead = leads(db)[0]
    assert lead.status == "spam" and reason in lead.spam_reasons.split(",")


@pytest.mark.parametrize("message", [
    "请发资料到 liu@example.com，谢谢",     # an email address is not a link
    "需要2000平厂房，可环评，税收300万",
    "XX公司，做新能源汽车零部件",
])
def test_ordinary_messages_are_not_spam(client, db, message):
    client.post("/inquiry", data={**GOOD, "message": message})
    assert leads(db)[0].status == "new"


def test_a_form_without_its_token_is_spam_and_a_fast_one_is_flagged_not_hidden(app, client,
                                                                              auth, db):
    """Issue 15: an autofilled form sent in 2 s by a person was silently spam while the
    page promised a call. Haste alone routes the lead with a visible flag."""
    agent = UserFactory(email="me@example.com")
    db.session.commit()
    app.config["CRM_SPAM_MIN_FILL_SECONDS"] = 60  # far above how long the test takes
    token = form_token(client)
    client.post("/inquiry", data={**GOOD, "started": token})
    client.post("/inquiry", data={**GOOD, "mobile": "13800138000"})  # no token: a bot's direct post
    client.post("/inquiry", data={**GOOD, "mobile": "13900139000", "started": token + "x"})
    client.post("/inquiry", data={**GOOD, "mobile": "13700137000", "started": token,
                                  "message": "代开发票"})              # haste and spam words
    got = [(one.status, one.spam_reasons) for one in leads(db)]
    assert got[0][0] == "new" and got[0][1].startswith("too_fast:")
    assert got[1:3] == [("spam", "no_fill_token"), ("spam", "no_fill_token")]
    assert got[3][0] == "spam"
    hasty = leads(db)[0]
    assert hasty.assigned_to_id == agent.id                    # routed like any lead
    auth.login("me@example.com")
    page = client.get(f"/agent/leads/{hasty.id}").get_data(as_text=True)
    assert "提交速度快于真人填写（打开表单后 " in page and "需要处理" in page


def test_a_form_filled_at_human_speed_is_not_spam(app, client, db):
    app.config["CRM_SPAM_MIN_FILL_SECONDS"] = 60
    with time_machine.travel(utcnow(), tick=False) as traveller:
        token = form_token(client)
        traveller.shift(timedelta(seconds=75))
        response = client.post("/inquiry", data={**GOOD, "started": token})
    assert response.status_code == 302
    assert leads(db)[0].status == "new"


def test_manager_reviews_spam_and_releases_it_into_routing(client, auth, db):
    agent = UserFactory()
    UserFactory(email="boss@example.com", role="manager", team=agent.team)
    client.post("/inquiry", data={**GOOD, "message": "博彩 www.x.example"})
    lead = leads(db)[0]
    auth.login("boss@example.com")
    page = client.get("/manage/spam").get_data(as_text=True)
    assert lead.reference in page and "含网址链接" in page and "含广告词（博彩）" in page
    assert ">link<" not in page and "words:" not in page    # no internal codes
    assert client.post(f"/manage/spam/{lead.id}/release").status_code == 302
    db.session.refresh(lead)
    assert lead.status == "new" and lead.assigned_to_id == agent.id
    change = db.session.scalars(select(Activity).where(Activity.kind == "status_change")).one()
    assert (change.from_status, change.to_status) == ("spam", "new")
    assert f'id="lead-{lead.id}"' not in client.get("/manage/spam").get_data(as_text=True)


def test_a_released_spam_lead_is_numbered_among_its_contacts_needs(client, auth, db):
    """Spam is numbered as if it were not there: the contact's next need is their first too.
    Released, it counts, and the needs are numbered again (1, 2), never two firsts."""
    agent = UserFactory()
    UserFactory(email="boss@example.com", role="manager", team=agent.team)
    with time_machine.travel(utcnow(), tick=False) as traveller:
        client.post("/inquiry", data={**GOOD, "website": "http://buy.example"})
        traveller.shift(timedelta(minutes=5))
        client.post("/inquiry", data={**GOOD, "message": "想租厂房"})
    spam, real = leads(db)
    assert spam.status == "spam" and real.status == "new" and spam.contact_id == real.contact_id
    assert (spam.contact_seq, real.contact_seq) == (1, 1)
    auth.login("boss@example.com")
    assert client.post(f"/manage/spam/{spam.id}/release").status_code == 302
    db.session.expire_all()
    assert [(lead.status, lead.contact_seq) for lead in leads(db)] == [("new", 1), ("new", 2)]


def test_any_move_across_spam_numbers_the_contacts_needs_again(client, db):
    """The lead page's status form moves spam to new too, and a need may be taken for spam:
    either way the contact's needs are numbered again in the move's transaction."""
    agent = UserFactory()
    boss = UserFactory(email="boss@example.com", role="manager", team=agent.team)
    with time_machine.travel(utcnow(), tick=False) as traveller:
        client.post("/inquiry", data={**GOOD, "website": "http://buy.example"})
        traveller.shift(timedelta(minutes=5))
        client.post("/inquiry", data={**GOOD, "message": "想租厂房"})
    spam, real = leads(db)
    followup.change_status(spam, boss, "new")
    db.session.expire_all()
    assert [(lead.status, lead.contact_seq) for lead in leads(db)] == [("new", 1), ("new", 2)]
    followup.change_status(leads(db)[0], boss, "spam")
    db.session.expire_all()
    assert [(lead.status, lead.contact_seq) for lead in leads(db)] == [("spam", 1), ("new", 1)]


def test_agents_cannot_see_or_release_spam(client, auth, db):
    UserFactory(email="a@example.com")
    spam = LeadFactory(status="spam", spam_reasons="honeypot")
    auth.login("a@example.com")
    assert client.get("/manage/spam").status_code == 403
    assert client.post(f"/manage/spam/{spam.id}/release").status_code == 403
    db.session.refresh(spam)
    assert spam.status == "spam"


def test_same_mobile_within_the_window_is_a_repeat_not_a_second_lead(client, auth, db):
    agent = UserFactory(email="a@example.com")
    client.post("/inquiry", data={**GOOD, "page_url": "https://zj.example.cn/news/1"})
    first = leads(db)[0]
    assert first.assigned_to_id == agent.id
    # The same prospect, typing the number differently, from another article.
    response = client.post("/inquiry", data={**GOOD, "mobile": "+86 133-9121-9793 仅微信",
                                              "page_url": "https://zj.example.cn/news/2",
                                              "message": "还想要一块地"})
    assert response.status_code == 302
    assert len(leads(db)) == 1
    thanks = client.get("/inquiry/thanks").get_data(as_text=True)
    repeat = db.session.scalars(select(InquiryRepeat)).one()
    # Issue 14: the prospect gets the repeat's own reference; the first lead's, which carries
    # its date, would tell whoever typed the number that it inquired before, and when.
    assert repeat.reference in thanks and first.reference not in thanks
    assert (repeat.original_lead_id, repeat.matched_on) == (first.id, "mobile")
    assert repeat.details["mobile_note"] == "仅微信" and repeat.message == "还想要一块地"
    assert repeat.notified_at is not None
    notice = db.session.scalars(select(Activity).where(Activity.kind == "repeat_inquiry")).one()
    assert notice.lead_id == first.id and "https://zj.example.cn/news/2" in notice.body
    # Still exactly one assignment: the repeat was not routed.
    assert db.session.scalar(select(func.count()).select_from(Activity)
                             .where(Activity.kind == "assignment")) == 1
    auth.login("a@example.com")
    page = client.get(f"/agent/leads/{first.id}?lang=en").get_data(as_text=True)
    assert "Asked again 1 times" in page and "https://zj.example.cn/news/2" in page


def test_same_company_and_name_with_another_mobile_is_another_person(client, db):
    """Issue 30: a mobile is the stronger key; company + name never merges two mobiles (it
    used to make the second a repeat). The company is shared all the same."""
    data = {**GOOD, "company": "湖州某某科技有限公司"}
    client.post("/inquiry", data=data)
    client.post("/inquiry", data={**data, "mobile": "13800138000"})
    client.post("/inquiry", data={**data, "mobile": "13900139000", "contact_name": "王女士"})
    rows = leads(db)
    assert len(rows) == 3 and db.session.scalars(select(InquiryRepeat)).all() == []
    assert len({lead.contact_id for lead in rows}) == 3
    assert len({lead.company_id for lead in rows}) == 1 and rows[0].company_id is not None


def test_an_open_need_takes_repeats_at_any_age_spam_and_closed_ones_never(app, client, db):
    """Issue 30: the window no longer decides; an open need is live work, however old."""
    spam = known_lead(mobile_e164="+8613391219793", status="spam")
    lost = known_lead(mobile_e164="+8613391219793", status="lost")
    client.post("/inquiry", data=GOOD)
    assert len(leads(db)) == 3 and leads(db)[-1].status == "new"
    assert leads(db)[-1].contact_id == spam.contact_id == lost.contact_id
    old = known_lead(mobile_e164="+8613800138000", created_at=utcnow() - timedelta(days=400))
    client.post("/inquiry", data={**GOOD, "mobile": "13800138000"})
    assert len(leads(db)) == 4  # a repeat
    assert db.session.scalars(select(InquiryRepeat.original_lead_id)).all() == [old.id]


def test_repeat_notice_is_written_once(app, client, db):
    client.post("/inquiry", data=GOOD)
    client.post("/inquiry", data=GOOD)
    repeat = db.session.scalars(select(InquiryRepeat)).one()
    task = app.extensions["celery"].tasks["workers.tasks.notify_repeat_inquiry"]
    assert task.apply(args=(repeat.original_lead_id, repeat.id)).get() is False  # redelivered
    assert db.session.scalar(select(func.count()).select_from(Activity)
                             .where(Activity.kind == "repeat_inquiry")) == 1


def test_traditional_input_is_found_by_simplified_search(client, auth, db):
    UserFactory(email="boss@example.com", role="manager")
    client.post("/inquiry", data={**GOOD, "company": "長三角精密機械有限公司",
                                  "usage": "數控機床", "message": "需要廠房"})
    lead = leads(db)[0]
    assert lead.company == "長三角精密機械有限公司"  # kept as typed
    assert "长三角精密机械有限公司" in lead.search_text and "厂房" in lead.search_text
    auth.login("boss@example.com")
    for query in ("长三角精密", "廠房", "数控机床", lead.reference, "9793", "133 9121 9793"):
        assert lead.reference in client.get("/agent/leads", query_string={"q": query}).get_data(
            as_text=True), query
    assert lead.reference not in client.get("/agent/leads?q=仓库").get_data(as_text=True)


def test_listing_and_attribution_are_captured_from_the_link(client, db):
    db.session.add(Listing(id=42, title="独栋厂房", property_type="factory", deal_type="rent",
                           status="available", area_sqm=1000))
    db.session.commit()
    html = client.get("/inquiry?listing=42&page=https://zj.example.cn/l/42&utm_source=wx"
                      ).get_data(as_text=True)
    assert 'name="listing_id" type="hidden" value="42"' in html
    client.post("/inquiry", data={**GOOD, "listing_id": "42", "page_url": "https://zj.example.cn/l/42"})
    assert leads(db)[0].listing_id == 42
    # A malformed listing in the link is dropped, not shown as an error the prospect can't fix.
    assert 'name="listing_id" type="hidden" value=""' in client.get(
        "/inquiry?listing=abc").get_data(as_text=True)


def test_a_new_lead_is_scored_without_a_second_look_for_repeats(client, db):
    """find_original has just looked: a new lead has no repeats to count (one statement less
    on every inquiry); the stored score is the one a full count gives."""
    from crm.leads import scoring
    with statements_run(db.engine) as seen:
        response = client.post("/inquiry", data={"contact_name": "刘先生", "mobile": "13391219793",
                                                 "consent": "y", "annual_tax_wan": "300",
                                                 "company": "湖州某某科技有限公司"})
    assert response.status_code == 302
    # One look for a contact with this mobile (crm.intake.match), and no count of repeats.
    assert sum("contact.mobile_e164 = " in statement for statement in seen) == 1
    assert not any("count(" in statement.lower() for statement in seen)
    lead = db.session.scalars(select(Lead)).one()
    assert lead.score == scoring.compute(lead).value > 0
