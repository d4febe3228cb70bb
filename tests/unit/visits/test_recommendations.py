"""Issue 18: listings sent to a prospect on a private page they open from WeChat; opens and
visit requests on the lead's timeline, in its score, and told to the agent."""
import re
from datetime import timedelta
from decimal import Decimal

import time_machine
from sqlalchemy import select

from crm.leads import recommend, scoring
from crm.models import Activity, LeadListing, Notification, Recommendation, VisitRequest
from tests.conftest import errors_in
from tests.factories import ChannelFactory, TeamFactory, UserFactory
from tests.unit.visits.support import NOW, lead_with_agent, listing


def _send(client, lead, *listings):
    return client.post(f"/agent/leads/{lead.id}/recommendations",
                       data={"listing_ids": [str(x.id) for x in listings]})


def test_sending_makes_an_unguessable_expiring_page_and_records_the_listings(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        a, b = listing(db), listing(db, title="南太湖工业用地", property_type="land",
                                        deal_type="buy", area_sqm=Decimal("20000"),
                                        area_unit="mu", price=None, price_negotiable=True)
        auth.login("me@example.com")
        assert _send(client, lead, b, a).status_code == 302
        rec = db.session.scalars(select(Recommendation)).one()
        assert [x.id for x in rec.listings] == [b.id, a.id]  # the agent's order
        token = recommend.link_token(rec)
        assert len(token) >= 40 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
        assert rec.expires_at == NOW + timedelta(days=30)
        other = recommend.link_token(recommend.send(lead, agent, [a]))
        assert other != token and token not in (rec.token_hash, rec.token_nonce)
        kinds = set(db.session.execute(select(LeadListing.listing_id, LeadListing.kind)))
        assert kinds == {(a.id, "recommended"), (b.id, "recommended")}
        page = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
        assert f"/r/{recommend.link_token(rec)}" in page and f"/agent/recommendations/{rec.id}/qr.svg" in page
        qr = client.get(f"/agent/recommendations/{rec.id}/qr.svg")
        assert qr.mimetype == "image/svg+xml"
    with time_machine.travel(NOW + timedelta(days=30, seconds=1), tick=False):
        assert client.get(f"/r/{recommend.link_token(rec)}").status_code == 410  # expired
    with time_machine.travel(NOW + timedelta(days=29), tick=False):
        auth.logout()
        assert client.get(f"/r/{recommend.link_token(rec)}").status_code == 200
        assert client.get(f"/r/{recommend.link_token(rec)[:-1]}x").status_code == 404


def test_the_share_page_shows_listings_and_agent_never_the_prospect(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        lead.wechat_id, lead.email = "liu_wx_2026", "liu@example.cn"
        db.session.commit()
        land = listing(db, title="南太湖工业用地", property_type="land", deal_type="buy",
                       area_sqm=Decimal("20000.10"), area_unit="mu", price=None,
                       price_negotiable=True)
        rec = recommend.send(lead, agent, [listing(db), land])
        response = client.get(f"/r/{recommend.link_token(rec)}")
        html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex, nofollow">' in html
    for shown in ("长兴独栋厂房 3000㎡", "30 亩（20,000 ㎡）", "9.5 m", "3 t/㎡", "800 kVA", "面议",
                  "王顾问", "138-0000-1234", "wang_factory", "uri.amap.com/search?keyword=",
                  f'href="/listings/{land.id}"'):
        assert shown in html, shown
    for secret in ("刘先生", "13391219793", "133 9121 9793", "9793", "湖州新能源汽车零部件有限公司",
                   lead.reference, "liu_wx_2026", "liu@example.cn"):
        assert secret not in html, secret


def test_a_revoked_page_is_gone_with_a_friendly_page(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        rec = recommend.send(lead, agent, [listing(db)])
        auth.login("me@example.com")
        assert client.post(f"/agent/recommendations/{rec.id}/revoke").status_code == 302
        auth.logout()
        gone = client.get(f"/r/{recommend.link_token(rec)}")
        assert gone.status_code == 410 and "链接已失效" in gone.get_data(as_text=True)
        assert gone.headers["Referrer-Policy"] == "no-referrer"
        assert client.post(f"/r/{recommend.link_token(rec)}/visit", data={}).status_code == 410


def test_another_teams_agent_cannot_send_revoke_or_see_the_link(client, auth, db):
    _team, agent, lead = lead_with_agent()
    rec = recommend.send(lead, agent, [listing(db)])
    UserFactory(team=TeamFactory(), email="other@example.com")
    UserFactory(team=TeamFactory(), email="boss@example.com", role="manager")
    for who in ("other@example.com", "boss@example.com"):
        auth.login(who)
        assert _send(client, lead, rec.listings[0]).status_code == 403
        assert client.post(f"/agent/recommendations/{rec.id}/revoke").status_code == 403
        assert client.get(f"/agent/recommendations/{rec.id}/qr.svg").status_code == 403
        assert client.get(f"/agent/leads/{lead.id}").status_code == 403
        auth.logout()
    assert db.session.scalar(select(Recommendation.revoked_at)) is None
    assert db.session.query(Recommendation).count() == 1


def test_an_open_counts_once_per_browser_per_window_and_lands_on_timeline_and_score(
        app, client, auth, db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        ChannelFactory(user_id=agent.id, kind="webhook")
        rec = recommend.send(lead, agent, [listing(db)])
        before = scoring.compute(lead)
        assert any(f.name == "engagement" and f.points == 0 for f in before.factors)
        client.get(f"/r/{recommend.link_token(rec)}")
        client.get(f"/r/{recommend.link_token(rec)}")  # the same browser, within the window
        db.session.refresh(rec)
        assert rec.open_count == 1
        other_browser = app.test_client()
        other_browser.get(f"/r/{recommend.link_token(rec)}")
        db.session.refresh(rec)
        assert rec.open_count == 2
        opened = db.session.scalars(select(Activity).where(
            Activity.lead_id == lead.id, Activity.kind == "recommendation_open")).all()
        assert len(opened) == 2
        db.session.refresh(lead)
        after = scoring.compute(lead)
        assert after.value > before.value and lead.score == after.value
        # The agent is told once, at the first open.
        notes = db.session.scalars(select(Notification).where(
            Notification.event.like("recommendation_opened:%"))).all()
        assert len(notes) == 1 and lead.reference in notes[0].body
        assert "13391219793" not in notes[0].body
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        client.get(f"/r/{recommend.link_token(rec)}")  # the cookie has expired: a new open
        db.session.refresh(rec)
        assert rec.open_count == 3
    with time_machine.travel(NOW + timedelta(minutes=40), tick=False):
        auth.login("me@example.com")
        staff = client.get(f"/r/{recommend.link_token(rec)}")  # the agent previewing is not an open
        assert staff.status_code == 200
        db.session.refresh(rec)
        assert rec.open_count == 3
        timeline = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
        assert "客户打开了推荐房源" in timeline


def test_a_visit_request_is_validated_then_recorded_told_and_scored(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        ChannelFactory(user_id=agent.id, kind="webhook")
        a, b = listing(db), listing(db, title="嘉兴单层仓库")
        rec = recommend.send(lead, agent, [a, b])
        bad = client.post(f"/r/{recommend.link_token(rec)}/visit",
                          data={"preferred_date": "2026-11-30", "preferred_time": "",
                                "note": "下午方便"})
        html = bad.get_data(as_text=True)
        assert bad.status_code == 422
        assert set(errors_in(html)) >= {"请选择今天或以后的日期。", "请选择时间。",
                                        "请至少勾选一处房源。"}
        assert "下午方便" in html  # what was typed is kept
        assert db.session.query(VisitRequest).count() == 0
        ok = client.post(f"/r/{recommend.link_token(rec)}/visit",
                         data={"preferred_date": "2026-12-05", "preferred_time": "14:30",
                               "listing_ids": [str(b.id)], "note": "带两位工程师"})
        assert ok.status_code == 302 and "requested=1" in ok.headers["Location"]
        request = db.session.scalars(select(VisitRequest)).one()
        assert request.preferred_at.isoformat() == "2026-12-05T06:30:00+00:00"  # 14:30 Shanghai
        assert [x.id for x in request.listings] == [b.id]
        activity = db.session.scalars(select(Activity).where(
            Activity.kind == "visit_request")).one()
        assert "2026-12-05 14:30" in activity.body and "嘉兴单层仓库" in activity.body
        note = db.session.scalars(select(Notification).where(
            Notification.event == f"visit_requested:{request.id}")).one()
        assert "2026-12-05 14:30" in note.body and note.channel.user_id == agent.id
        db.session.refresh(lead)
        factor = next(f for f in scoring.compute(lead).factors if f.name == "engagement")
        assert factor.points == factor.weight
        thanks = client.get(ok.headers["Location"]).get_data(as_text=True)
        assert 'id="requested"' in thanks


def test_visit_requests_are_rate_limited_like_the_public_form(app, client, db):
    app.config["CRM_RATELIMIT_PER_IP"] = "2 per minute"
    app.extensions["crm_intake_limiter"].enabled = True
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        rec = recommend.send(lead, agent, [listing(db)])
        data = {"preferred_date": "2026-12-05", "preferred_time": "10:00", "note": "第三次"}
        codes = [client.post(f"/r/{recommend.link_token(rec)}/visit", data=data).status_code for _ in range(3)]
        assert codes[:2] == [422, 422] and codes[2] == 429
        limited = client.post(f"/r/{recommend.link_token(rec)}/visit", data=data)
        assert limited.status_code == 429 and "第三次" in limited.get_data(as_text=True)


def test_erasing_the_prospect_ends_their_pages_and_forgets_what_they_typed(client, db):
    from crm.privacy import rights
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        rec = recommend.send(lead, agent, [listing(db)])
        recommend.request_visit(rec, NOW + timedelta(days=1), list(rec.listings), "我叫刘强 手机尾号9793")
        rights.erase_person(lead.mobile_e164, None)
        assert db.session.scalar(select(VisitRequest.note)) == ""
        assert client.get(f"/r/{recommend.link_token(rec)}").status_code == 410


def test_the_share_page_shows_each_listings_cover_photo_and_where_it_is(client, db):
    from crm.models import ListingImage
    _team, agent, lead = lead_with_agent()
    shown, bare = listing(db), listing(db, title="嘉兴仓库", region_code="3304", park="")
    db.session.add(ListingImage(listing_id=shown.id, position=0, is_cover=True, status="ready",
                                sha256="a" * 64, content_type="image/jpeg", bytes=1000,
                                web_key=f"listings/{shown.id}/1-w.jpg",
                                thumb_key=f"listings/{shown.id}/1-t.jpg", width=1600,
                                height=1200, thumb_width=400, thumb_height=300))
    db.session.commit()
    rec = recommend.send(lead, agent, [shown, bare])
    html = client.get(f"/r/{recommend.link_token(rec)}").get_data(as_text=True)
    cards = html.split('class="card listing-card"')[1:]
    assert 'class="list-cover"' in cards[0] and "1-t.jpg" in cards[0]
    assert 'class="list-cover"' not in cards[1]
    # The nearest place and the park as people read them; the map gets the whole path.
    assert "长兴县 长兴经济开发区" in cards[0] and "· 嘉兴</p>" in cards[1]
    assert "keyword=%E6%B5%99%E6%B1%9F" in cards[0]   # 浙江… run together for the map search


def test_after_a_transfer_only_who_may_work_the_lead_hears_and_the_note_is_masked(client, db):
    """Issue 27: the agent who sent the page stops receiving the lead's data once the lead
    moved to another team; the prospect's note reaches chat robots with its contacts masked."""
    with time_machine.travel(NOW, tick=False):
        _team, sender, lead = lead_with_agent()
        ChannelFactory(user_id=sender.id, kind="wecom")
        rec = recommend.send(lead, sender, [listing(db)])
        other_team = TeamFactory()
        new_owner = UserFactory(team=other_team, email="new@example.com")
        ChannelFactory(user_id=new_owner.id, kind="wecom")
        lead.assigned_to, lead.team = new_owner, other_team
        db.session.commit()
        assert recommend.record_open(rec)
        recommend.request_visit(rec, NOW + timedelta(days=1), list(rec.listings),
                                "请打 139 1234 5678 或 liu.qiang@example.cn")
        notes = db.session.scalars(select(Notification)).all()
        assert {n.channel.user_id for n in notes} == {new_owner.id}
        assert len(notes) == 2  # the open and the visit request
        visit = next(n for n in notes if n.event.startswith("visit_requested"))
        assert "139****5678" in visit.body and "l***@example.cn" in visit.body
        assert "1234" not in visit.body and "liu.qiang" not in visit.body
        # The lead's own timeline keeps what the prospect typed.
        activity = db.session.scalars(select(Activity).where(
            Activity.kind == "visit_request")).one()
        assert "139 1234 5678" in activity.body
