"""Issue 18: site visits (看厂) scheduled from the lead page, reminded once before, and
their feedback; timed follow-ups; the agenda and the private calendar feed."""
import re
from datetime import date, time, timedelta

import time_machine
from icalendar import Calendar
from sqlalchemy import select

from crm.formatting import from_local
from crm.leads import recommend, visits
from crm.models import Activity, LeadListing, LeadStage, Notification, SiteVisit, User
from tests.conftest import errors_in
from tests.factories import ChannelFactory, LeadFactory, TeamFactory, UserFactory
from tests.unit.visits.support import NOW, lead_with_agent, listing
from workers import tasks


def _schedule(client, lead, listings, attendees, **extra):
    data = {"day": "2026-12-04", "start": "09:30", "duration": "120",
            "meeting_point": "长兴经济开发区北门", "map_url": "https://uri.amap.com/marker?x=1",
            "listing_ids": [str(x.id) for x in listings],
            "attendee_ids": [str(u.id) for u in attendees], **extra}
    return client.post(f"/agent/leads/{lead.id}/visits/new", data=data)


def test_scheduling_a_visit_moves_the_stage_and_validates(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        team, agent, lead = lead_with_agent()
        colleague = UserFactory(team=team, email="li@example.com", name="李顾问")
        a, b = listing(db), listing(db, title="嘉兴单层仓库")
        recommend.send(lead, agent, [a, b])
        auth.login("me@example.com")
        form = client.get(f"/agent/leads/{lead.id}/visits/new").get_data(as_text=True)
        assert "嘉兴单层仓库" in form and "李顾问" in form
        # From a listing's "book a site visit" tap: that listing is ticked.
        one = client.get(f"/agent/leads/{lead.id}/visits/new?listing={b.id}").get_data(as_text=True)
        assert re.findall(r'<input checked[^>]*name="listing_ids"[^>]*value="(\d+)"', one) == [
            str(b.id)]
        bad = _schedule(client, lead, [], [], meeting_point="", map_url="javascript:alert(1)")
        assert bad.status_code == 422
        assert set(errors_in(bad.get_data(as_text=True))) >= {
            "请填写集合地点。", "地图链接应以 https:// 开头", "请至少勾选一处房源。", "请勾选陪同人员。"}
        assert _schedule(client, lead, [b], [agent, colleague]).status_code == 302
        visit = db.session.scalars(select(SiteVisit)).one()
        assert visit.starts_at.isoformat() == "2026-12-04T01:30:00+00:00"  # 09:30 Shanghai
        assert visit.duration_minutes == 120 and visit.meeting_point == "长兴经济开发区北门"
        assert {u.id for u in visit.attendees} == {agent.id, colleague.id}
        assert [s.listing_id for s in visit.stops] == [b.id]
        db.session.refresh(lead)
        assert lead.status == "site_visit"
        assert db.session.scalar(select(LeadStage.reached_at).where(
            LeadStage.lead_id == lead.id, LeadStage.stage == "site_visit")) == NOW
        page = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
        assert "2026-12-04 09:30" in page and "已安排看厂" in page


def test_a_visit_request_prefills_the_visit_and_is_then_closed(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        a, b = listing(db), listing(db, title="嘉兴单层仓库")
        rec = recommend.send(lead, agent, [a, b])
        asked = recommend.request_visit(rec, from_local(date(2026, 12, 5), time(14, 30)), [b],
                                        "带两位工程师")
        auth.login("me@example.com")
        form = client.get(f"/agent/leads/{lead.id}/visits/new?request={asked.id}") \
            .get_data(as_text=True)
        assert 'value="2026-12-05"' in form and 'value="14:30"' in form
        ticked = re.findall(r'<input checked[^>]*name="listing_ids"[^>]*value="(\d+)"', form)
        assert ticked == [str(b.id)]
        assert _schedule(client, lead, [b], [agent], request_id=str(asked.id),
                         day="2026-12-05", start="14:30").status_code == 302
        db.session.refresh(asked)
        assert asked.site_visit_id is not None
        assert recommend.open_requests(lead) == []


def test_the_reminder_goes_once_to_the_agents_going(app, db):
    with time_machine.travel(NOW, tick=False):
        team, agent, lead = lead_with_agent()
        colleague = UserFactory(team=team, email="li@example.com")
        ChannelFactory(user_id=agent.id)
        ChannelFactory(user_id=colleague.id)
        visit = visits.schedule(lead, agent, visits.Plan(
            NOW + timedelta(minutes=90), 60, "北门", "", [listing(db)], [agent, colleague]))
        far = visits.schedule(lead, agent, visits.Plan(
            NOW + timedelta(days=2), 60, "北门", "", [listing(db)], [agent]))
        assert tasks.visit_reminders.apply().get()["visits"] == 0  # 90 min ahead: not yet
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        assert tasks.visit_reminders.apply().get()["visits"] == 1
        assert tasks.visit_reminders.apply().get()["visits"] == 0  # the second run: nothing
    notes = db.session.scalars(select(Notification).where(
        Notification.event == f"visit_reminder:{visit.id}")).all()
    assert {n.channel.user_id for n in notes} == {agent.id, colleague.id}
    assert "11:30" in notes[0].body and "北门" in notes[0].body
    assert "13391219793" not in notes[0].body
    db.session.refresh(far)
    assert far.reminder_sent_at is None


def test_feedback_marks_done_moves_to_negotiating_and_counts(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        a, b = listing(db), listing(db, title="嘉兴单层仓库")
        visit = visits.schedule(lead, agent, visits.Plan(NOW + timedelta(hours=3), 90, "北门", "",
                                                         [a, b], [agent]))
    with time_machine.travel(NOW + timedelta(hours=5), tick=False):
        auth.login("me@example.com")
        response = client.post(f"/agent/visits/{visit.id}", data={
            f"liked_{a.id}": "1", f"reason_{a.id}": "层高够",
            f"liked_{b.id}": "0", f"reason_{b.id}": "承重不够"})
        assert response.status_code == 302
    db.session.refresh(visit)
    db.session.refresh(lead)
    assert visit.status == "done" and lead.status == "negotiating"
    assert {(s.listing_id, s.liked, s.reason) for s in visit.stops} == {
        (a.id, True, "层高够"), (b.id, False, "承重不够")}
    assert set(db.session.scalars(select(LeadListing.listing_id).where(
        LeadListing.kind == "site_visit"))) == {a.id, b.id}
    body = db.session.scalars(select(Activity.body).where(Activity.kind == "visit_feedback")).one()
    assert "承重不够" in body


def test_feedback_with_nothing_liked_leaves_the_stage(db):
    _team, agent, lead = lead_with_agent()
    a = listing(db)
    visit = visits.schedule(lead, agent, visits.Plan(NOW, 90, "北门", "", [a], [agent]))
    assert visits.record_feedback(visit, agent, {a.id: (False, "太远")})
    db.session.refresh(lead)
    assert lead.status == "site_visit" and visit.status == "done"


def test_a_follow_up_takes_a_time_of_day_in_shanghai(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        ChannelFactory(user_id=agent.id)
        auth.login("me@example.com")
        missing_day = client.post(f"/agent/leads/{lead.id}/follow-ups", data={
            "kind": "call", "outcome": "reached", "next_follow_up_time": "15:00"})
        assert "请同时选择跟进日期。" in errors_in(missing_day.get_data(as_text=True))
        client.post(f"/agent/leads/{lead.id}/follow-ups", data={
            "kind": "call", "outcome": "reached", "next_follow_up": "2026-12-02",
            "next_follow_up_time": "15:00"})
        db.session.refresh(lead)
        assert lead.next_follow_up_on == date(2026, 12, 2)
        assert lead.next_follow_up_at.isoformat() == "2026-12-02T07:00:00+00:00"
        assert "2026-12-02 15:00" in client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
        assert tasks.follow_up_reminders.apply().get() == 0  # 15:00 is hours away
    with time_machine.travel(NOW + timedelta(hours=4, minutes=50), tick=False):  # 14:50
        assert tasks.follow_up_reminders.apply().get() == 1
        assert tasks.follow_up_reminders.apply().get() == 0
        assert tasks.follow_up_reminders.apply().get() == 0  # not again as a date-only one


def test_the_agenda_lists_today_and_the_week_in_time_order(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        team, agent, lead = lead_with_agent()
        LeadFactory(assigned_to=agent, team=team, company="嘉兴物流有限公司",
                            next_follow_up_on=date(2026, 12, 2))
        timed = LeadFactory(assigned_to=agent, team=team, company="苏州精密机械有限公司",
                            next_follow_up_on=date(2026, 12, 2),
                            next_follow_up_at=NOW + timedelta(hours=1))  # 11:00
        visits.schedule(lead, agent, visits.Plan(NOW + timedelta(hours=4), 90, "北门", "",
                                                 [listing(db)], [agent]))  # 14:00
        visits.schedule(lead, agent, visits.Plan(NOW + timedelta(days=3), 90, "南门", "",
                                                 [listing(db)], [agent]))
        stranger_team = TeamFactory()
        UserFactory(team=stranger_team, email="other@example.com")
        auth.login("me@example.com")
        today = client.get("/agent/agenda").get_data(as_text=True)
        order = [today.index(x) for x in ("11:00", "苏州精密机械有限公司", "14:00", "北门",
                                          "嘉兴物流有限公司")]
        assert order == sorted(order)
        assert "南门" not in today
        week = client.get("/agent/agenda?view=week").get_data(as_text=True)
        assert "南门" in week and "2026-12-05" in week
        auth.logout()
        auth.login("other@example.com")
        theirs = client.get("/agent/agenda?view=week").get_data(as_text=True)
        assert "北门" not in theirs and "苏州精密机械有限公司" not in theirs
        auth.logout()
        UserFactory(team=team, email="boss@example.com", role="manager")
        auth.login("boss@example.com")
        boss = client.get("/agent/agenda").get_data(as_text=True)
        assert "北门" in boss and timed.company in boss


def test_the_calendar_feed_parses_and_holds_the_visit_without_the_mobile(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        team, agent, lead = lead_with_agent()
        visit = visits.schedule(lead, agent, visits.Plan(NOW + timedelta(days=1), 90,
                                                         "长兴经济开发区北门", "", [listing(db)],
                                                         [agent]))
        lead.next_follow_up_on, lead.next_follow_up_at = date(2026, 12, 2), NOW + timedelta(hours=5)
        db.session.commit()
        auth.login("me@example.com")
        page = client.post("/account/calendar", data={"action": "new"}).get_data(as_text=True)
        url = page.split('id="feed-url" type="text" readonly value="')[1].split('"')[0]
        path = url.replace("http://localhost", "")
        assert path.startswith("/calendar/") and path.endswith(".ics")
        token = path[len("/calendar/"):-len(".ics")]
        assert token not in (db.session.get(User, agent.id).calendar_token_hash or "")
        auth.logout()
        feed = client.get(path)
        assert feed.status_code == 200 and feed.mimetype == "text/calendar"
        cal = Calendar.from_ical(feed.data)
        events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
        event = events[f"site-visit-{visit.id}@127.0.0.1"]
        assert str(event["location"]) == "长兴经济开发区北门"
        assert event.decoded("dtstart").isoformat() == "2026-12-03T10:00:00+08:00"
        assert lead.reference in str(event["summary"]) and lead.company in str(event["summary"])
        assert f"follow-up-{lead.id}@127.0.0.1" in events
        text = feed.data.decode()
        assert "13391219793" not in text and "9793" not in text and "刘先生" not in text
        # The same URL again: the same UIDs (calendar apps update, not duplicate).
        again = Calendar.from_ical(client.get(path).data)
        assert {str(e["uid"]) for e in again.walk("VEVENT")} == set(events)
        auth.login("me@example.com")
        client.post("/account/calendar", data={"action": "revoke"})
        auth.logout()
        assert client.get(path).status_code == 404
        assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_the_account_page_edits_the_contact_prospects_see(client, auth, db):
    _team, agent, _lead = lead_with_agent()
    auth.login("me@example.com")
    bad = client.post("/account", data={"contact_phone": "call me", "contact_wechat": "wx"})
    assert bad.status_code == 422 and "请输入电话号码（数字、+ 和 -）。" in errors_in(
        bad.get_data(as_text=True))
    client.post("/account", data={"contact_phone": "0572-6000000", "contact_wechat": "wang_2"})
    db.session.refresh(agent)
    assert (agent.contact_phone, agent.contact_wechat) == ("0572-6000000", "wang_2")


def test_per_listing_numbers_sent_opened_asked_visited_liked_in_scope(app, client, auth, db):
    from crm.reporting import listing_stats
    with time_machine.travel(NOW, tick=False):
        team, agent, lead = lead_with_agent()
        second = LeadFactory(assigned_to=agent, team=team)
        outsider_team = TeamFactory()
        outsider = UserFactory(team=outsider_team, email="out@example.com")
        foreign = LeadFactory(assigned_to=outsider, team=outsider_team)
        a, b = listing(db), listing(db, title="嘉兴单层仓库")
        first = recommend.send(lead, agent, [a, b])
        recommend.send(second, agent, [a])
        recommend.send(foreign, outsider, [a])  # another team's: not in the manager's numbers
        recommend.record_open(first)
        recommend.record_open(first)  # the same page opened twice counts once per listing
        recommend.request_visit(first, NOW + timedelta(days=2), [a], "")
        visit = visits.schedule(lead, agent, visits.Plan(NOW, 60, "北门", "", [a, b], [agent]))
        visits.record_feedback(visit, agent, {a.id: (True, ""), b.id: (False, "远")})
        visits.schedule(second, agent, visits.Plan(NOW, 60, "北门", "", [a], [agent]))  # not done
        boss = UserFactory(team=team, email="boss@example.com", role="manager")
        numbers = listing_stats.stats(boss)
        assert (numbers[a.id].sent, numbers[a.id].opened, numbers[a.id].requested,
                numbers[a.id].visited, numbers[a.id].liked) == (2, 1, 1, 1, 1)
        assert (numbers[b.id].sent, numbers[b.id].opened, numbers[b.id].requested,
                numbers[b.id].visited, numbers[b.id].liked) == (1, 1, 0, 1, 0)
        admin = UserFactory(team=team, email="root@example.com", role="admin")
        assert listing_stats.stats(admin)[a.id].sent == 3
        assert listing_stats.stats(agent) == {}  # an agent does not see the report
        auth.login("boss@example.com")
        page = client.get(f"/agent/listings/{a.id}").get_data(as_text=True)
        assert '<dd class="stat-sent">2</dd>' in page and '<dd class="stat-liked">1</dd>' in page
        assert "嘉兴单层仓库" in client.get("/agent/listings/stats").get_data(as_text=True)
        auth.logout()
        auth.login("me@example.com")
        assert client.get("/agent/listings/stats").status_code == 403
        assert 'id="listing-stats"' not in client.get(f"/agent/listings/{a.id}").get_data(
            as_text=True)
