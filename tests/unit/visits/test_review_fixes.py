"""What a review of recommendations and site visits found (each failed before its fix)."""
from datetime import timedelta

import time_machine
from sqlalchemy import select

from crm.leads import followup, merge, recommend, visits
from crm.models import Lead, Notification, VisitRequest
from tests.factories import ChannelFactory, LeadFactory, UserFactory
from tests.unit.visits.support import NOW, lead_with_agent, listing


def test_merge_moves_recommendations_requests_and_visits_to_the_survivor(client, db):
    with time_machine.travel(NOW, tick=False):
        team, agent, dup = lead_with_agent()
        survivor = LeadFactory(assigned_to=agent, team=team, status="contacted")
        a = listing(db)
        rec = recommend.send(dup, agent, [a])
        visits.schedule(dup, agent, visits.Plan(NOW + timedelta(days=1), 60, "北门", "", [a], [agent]))
        merge.merge(survivor, dup, agent)
        # The prospect books from the page they were sent before the merge.
        response = client.post(f"/r/{recommend.link_token(rec)}/visit", data={
            "preferred_date": "2026-12-05", "preferred_time": "14:30", "listing_ids": [str(a.id)]})
        assert response.status_code == 302
        assert db.session.scalars(select(VisitRequest.lead_id)).one() == survivor.id
        assert recommend.of_lead(survivor) and visits.of_lead(survivor)


def test_the_booking_form_offers_only_what_the_page_still_shows(client, db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        kept, gone = listing(db), listing(db, title="已出租的厂房")
        rec = recommend.send(lead, agent, [kept, gone])
        gone.status = "let_or_sold"
        db.session.commit()
        assert "已出租的厂房" not in client.get(f"/r/{recommend.link_token(rec)}").get_data(as_text=True)
        response = client.post(f"/r/{recommend.link_token(rec)}/visit", data={
            "preferred_date": "2026-12-05", "preferred_time": "14:30", "listing_ids": [str(gone.id)]})
        assert response.status_code == 422 and db.session.scalars(select(VisitRequest)).all() == []


def test_listing_numbers_count_a_prospect_once_and_no_junk(client, db):
    from crm.reporting import listing_stats
    with time_machine.travel(NOW, tick=False):
        team, agent, lead = lead_with_agent()
        a = listing(db)
        rec = recommend.send(lead, agent, [a])
        recommend.request_visit(rec, NOW + timedelta(days=2), [a], "")
        recommend.request_visit(rec, NOW + timedelta(days=3), [a], "改个时间")   # asked again
        spam = LeadFactory(team=team, status="spam")
        recommend.send(spam, agent, [a])
        boss = UserFactory(team=team, email="boss@example.com", role="manager")
        numbers = listing_stats.stats(boss)[a.id]
    assert (numbers.sent, numbers.requested) == (1, 1)


def test_feedback_waits_for_the_visit_to_take_place(db):
    with time_machine.travel(NOW, tick=False):
        _team, agent, lead = lead_with_agent()
        a = listing(db)
        visit = visits.schedule(lead, agent, visits.Plan(NOW + timedelta(days=1), 60, "北门", "",
                                                         [a], [agent]))
        assert visits.record_feedback(visit, agent, {a.id: (True, "")}) is False
        assert visit.status == "scheduled" and db.session.get(Lead, lead.id).status != "negotiating"
    with time_machine.travel(NOW + timedelta(days=1, hours=2), tick=False):
        assert visits.record_feedback(visit, agent, {a.id: (True, "层高合适")}) is True
        assert visit.status == "done"


def test_long_overdue_follow_ups_do_not_starve_the_reminders_coming_due(app, db):
    with time_machine.travel(NOW, tick=False):
        team, agent, _lead = lead_with_agent()
        ChannelFactory(user_id=agent.id)
        for _ in range(3):   # overdue for days: the queue's overdue tab has them
            LeadFactory(assigned_to=agent, team=team, status="contacted",
                        next_follow_up_on=(NOW - timedelta(days=3)).date(),
                        next_follow_up_at=NOW - timedelta(days=3))
        due = LeadFactory(assigned_to=agent, team=team, status="contacted",
                          next_follow_up_on=NOW.date(), next_follow_up_at=NOW + timedelta(minutes=10))
        db.session.commit()
        followup.remind_follow_ups()
        told = db.session.scalars(select(Notification.lead_id)
                                  .where(Notification.event.startswith("follow_up_due"))).all()
    assert set(told) == {due.id}
