"""Issue 28 walkthrough: the booking confirmation did not repeat the time asked for, and the
calendar feed's events had no alarm."""
from datetime import date, timedelta

import time_machine
from icalendar import Calendar

from crm.leads import agenda, recommend, visits
from crm.models import User
from tests.unit.visits.support import NOW, lead_with_agent, listing


def test_the_confirmation_repeats_the_time_and_the_listing(client, db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        a = listing(db, title="嘉兴单层仓库")
        rec = recommend.send(lead, agent, [a])
        other = recommend.send(lead, agent, [a])
        ok = client.post(f"/r/{recommend.link_token(rec)}/visit", data={
            "preferred_date": "2026-12-05", "preferred_time": "14:30", "listing_ids": [str(a.id)]})
        assert ok.status_code == 302
        page = client.get(ok.headers["Location"]).get_data(as_text=True)
        said = page.split('id="requested"')[1].split("</div>")[0]
        assert "2026-12-05 14:30" in said and "嘉兴单层仓库" in said
        # Another page's link cannot show this request's time.
        query = ok.headers["Location"].split("?")[1].split("#")[0]
        elsewhere = client.get(f"/r/{recommend.link_token(other)}?{query}").get_data(as_text=True)
        assert "2026-12-05 14:30" not in elsewhere and 'id="requested"' in elsewhere


def test_feed_events_carry_an_alarm(app, db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        visit = visits.schedule(lead, agent, visits.Plan(NOW + timedelta(days=1), 90, "北门", "",
                                                         [listing(db)], [agent]))
        lead.next_follow_up_on, lead.next_follow_up_at = date(2026, 12, 2), NOW + timedelta(hours=5)
        db.session.commit()
        cal = Calendar.from_ical(agenda.feed(db.session.get(User, agent.id), "crm.example"))
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    alarm = events[f"site-visit-{visit.id}@crm.example"].walk("VALARM")[0]
    assert alarm.decoded("trigger") == -timedelta(hours=1) and str(alarm["action"]) == "DISPLAY"
    alarm = events[f"follow-up-{lead.id}@crm.example"].walk("VALARM")[0]
    assert alarm.decoded("trigger") == -timedelta(minutes=10)
