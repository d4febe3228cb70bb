"""Issue 18's SQL on PostgreSQL: the conditional UPDATEs that count opens and claim
reminders, the ON CONFLICT inserts of recommended/visited listings, the FILTER aggregates of
the per-listing numbers, the agenda's subqueries and the feed."""
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import select

from crm.extensions import db
from crm.formatting import local_date
from crm.leads import agenda, recommend, visits
from crm.models import Lead, LeadListing, Listing, SiteVisit
from crm.models.types import utcnow
from crm.reporting import listing_stats
from tests.factories import LeadFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.integration


def test_recommendations_visits_and_numbers_on_postgresql(pg_app):
    team = TeamFactory()
    agent = UserFactory(team=team)
    boss = UserFactory(team=team, role="manager")
    lead = LeadFactory(assigned_to=agent, team=team, status="contacted")
    a = Listing(title="长兴独栋厂房", property_type="factory", deal_type="rent",
                area_sqm=Decimal("3000"))
    b = Listing(title="嘉兴仓库", property_type="warehouse", deal_type="rent",
                area_sqm=Decimal("2000"))
    db.session.add_all([a, b])
    db.session.commit()
    rec = recommend.send(lead, agent, [a, b])
    recommend.send(lead, agent, [a])  # sent again: one recommended link per listing
    assert db.session.scalar(select(db.func.count()).select_from(LeadListing)) == 2
    assert recommend.record_open(rec) and recommend.record_open(rec)
    db.session.refresh(rec)
    assert rec.open_count == 2 and rec.first_opened_at is not None
    recommend.revoke(rec, agent)
    assert not recommend.record_open(rec)  # a withdrawn page counts nothing
    now = utcnow()
    visit = visits.schedule(lead, agent, visits.Plan(now + timedelta(minutes=30), 60, "北门", "",
                                                     [a, b], [agent]))
    assert db.session.get(Lead, lead.id).status == "site_visit"
    assert visits.send_reminders() == 1 and visits.send_reminders() == 0
    assert db.session.get(SiteVisit, visit.id).reminder_sent_at is not None
    with time_machine.travel(now + timedelta(hours=2), tick=False):   # after the visit
        assert visits.record_feedback(visit, agent, {a.id: (True, "层高够"), b.id: (False, "")})
    assert db.session.get(Lead, lead.id).status == "negotiating"
    numbers = listing_stats.stats(boss, [a.id, b.id])
    assert (numbers[a.id].sent, numbers[a.id].opened, numbers[a.id].visited,
            numbers[a.id].liked) == (2, 1, 1, 1)
    assert (numbers[b.id].sent, numbers[b.id].visited, numbers[b.id].liked) == (1, 1, 0)
    days = agenda.agenda(boss, local_date(now + timedelta(minutes=30)), 1)
    assert any(item.visit and item.visit.id == visit.id for items in days.values()
               for item in items)
    cal = Calendar.from_ical(agenda.feed(agent, "crm.example.cn"))
    assert [str(e["uid"]) for e in cal.walk("VEVENT")] == [f"site-visit-{visit.id}@crm.example.cn"]
