"""Property tests over the filters and the staff forms with dates (issue 27): whatever
arrives (far dates, huge ids, NUL, lone surrogates, odd types) the answer is never a 5xx,
and a filter with junk added never shows or exports more than the valid filter alone."""
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.models import Activity, AuditLog, Lead, Listing, SiteVisit
from tests.factories import LeadFactory, TeamFactory, UserFactory
from tests.support.strategies import date_texts, encoded_query, huge_ids, query_values

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
PROPERTIES = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])
QUEUE_PARAMS = ["q", "status", "need", "deal", "region", "industry", "source", "date_from",
                "date_to", "score_min", "agent_id", "team_id", "tab", "after", "since"]
AUDIT_PARAMS = ["action", "entity", "entity_id", "actor_id", "date_from", "date_to", "before"]
LISTING_PARAMS = ["property_type", "deal_type", "region", "area_min", "area_max", "before"]


def _refs(html: str) -> set[str]:
    section = html[html.index('id="queue"'):] if 'id="queue"' in html else ""
    return set(re.findall(r'class="ref">(CF[^<]+)<', section))


def junk_params(names):
    return st.dictionaries(st.sampled_from(names), st.one_of(query_values(), date_texts(),
                                                              huge_ids().map(str)),
                           min_size=1, max_size=3)


@pytest.fixture
def people(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        team = TeamFactory()
        boss = UserFactory(team=team, role="manager", email="boss@example.com")
        UserFactory(role="admin", email="root@example.com")
        agent = UserFactory(team=team, email="me@example.com")
        land = LeadFactory(team=team, assigned_to=agent, property_type="land", contact_name="刘先生")
        LeadFactory(team=team, assigned_to=agent, property_type="factory", contact_name="王女士")
        for kind in ("factory", "warehouse"):
            db.session.add(Listing(title=f"{kind} 1", property_type=kind, deal_type="rent",
                                   region_code="330522", area_sqm=3000, price=20,
                                   status="available", created_by=boss))
        for entity_id in (111, 222):
            db.session.add(AuditLog(at=NOW, action="reveal_contact", entity="lead",
                                    entity_id=entity_id))
        db.session.commit()
    return {"boss": boss, "land": land, "agent": agent}


@PROPERTIES
@given(extra=junk_params(QUEUE_PARAMS))
def test_queue_page_poll_and_export_never_5xx_and_never_wider(client, auth, people, extra):
    auth.login("boss@example.com")
    base = {"tab": "all", "need": "land"}
    allowed = {people["land"].reference}
    query = encoded_query({**extra, **base})  # the valid filter always applies too
    page = client.get(f"/agent/leads?{query}")
    assert page.status_code in (200, 400)
    assert _refs(page.get_data(as_text=True)) <= allowed
    if page.status_code == 400:
        assert not _refs(page.get_data(as_text=True))
    assert client.get(f"/agent/leads/poll?{query}").status_code < 500
    export = client.post(f"/agent/leads/export.csv?{query}", buffered=True)
    assert export.status_code in (200, 400)
    assert "王女士" not in export.get_data().decode("utf-8", "replace")


@PROPERTIES
@given(extra=junk_params(AUDIT_PARAMS))
def test_audit_filters_never_5xx_and_never_wider(client, auth, people, extra):
    auth.login("root@example.com")
    page = client.get(f"/admin/audit?{encoded_query({**extra, 'entity_id': '111'})}")
    assert page.status_code in (200, 400)
    assert "/agent/leads/222" not in page.get_data(as_text=True)


@PROPERTIES
@given(extra=junk_params(LISTING_PARAMS))
def test_public_listing_filters_never_5xx_and_never_wider(client, people, extra):
    page = client.get(f"/listings/?{encoded_query({**extra, 'property_type': 'factory'})}")
    assert page.status_code in (200, 400)
    assert "warehouse 1" not in page.get_data(as_text=True)


@PROPERTIES
@given(reference=query_values())
def test_routing_preview_never_5xx(client, auth, people, reference):
    auth.login("boss@example.com")
    assert client.get(f"/manage/routing/preview?{encoded_query({'reference': reference})}") \
        .status_code < 500


def _post(client, path, fields):
    return client.post(path, data=encoded_query(fields),
                       content_type="application/x-www-form-urlencoded")


@PROPERTIES
@given(day=date_texts(), clock=st.one_of(st.sampled_from(["09:30", "23:59", "00:00", "25:00", ""]),
                                         query_values()))
def test_staff_forms_with_dates_never_5xx_and_never_store_a_far_day(client, auth, people, db,
                                                                   day, clock):
    auth.login("boss@example.com")
    lead_id = people["land"].id
    with time_machine.travel(NOW, tick=False):
        answers = [
            _post(client, f"/agent/leads/{lead_id}/follow-ups",
                  {"kind": "call", "outcome": "reached", "body": "x", "next_follow_up": day,
                   "next_follow_up_time": clock}),
            _post(client, f"/agent/leads/{lead_id}/visits/new",
                  {"day": day, "start": clock, "duration": "90", "meeting_point": "北门",
                   "listing_ids": "1", "attendee_ids": str(people["agent"].id)}),
            _post(client, "/agent/listings/new",
                  {"title": "厂房", "property_type": "factory", "deal_type": "rent",
                   "area": "3000", "area_unit": "sqm", "price": "20", "available_from": day,
                   "status": "available"}),
        ]
    for answer in answers:
        assert answer.status_code < 500
    db.session.expire_all()
    for stored in [*db.session.scalars(select(Activity.next_follow_up)),
                   *db.session.scalars(select(Lead.next_follow_up_on)),
                   *db.session.scalars(select(Listing.available_from))]:
        assert stored is None or date(2000, 1, 1) <= stored <= date(2100, 12, 31)
    for visit in db.session.scalars(select(SiteVisit)):
        assert 2000 <= visit.starts_at.year <= 2100


@PROPERTIES
@given(day=date_texts(), kind=st.sampled_from(["holiday", "workday", ""]))
def test_calendar_day_form_never_5xx_nor_a_far_day(client, auth, people, db, day, kind):
    from crm.models import CalendarDay
    auth.login("root@example.com")
    assert _post(client, "/admin/calendar/day", {"day": day, "kind": kind, "name": "节"}) \
        .status_code < 500
    for stored in db.session.scalars(select(CalendarDay.day)):
        assert date(2000, 1, 1) <= stored <= date(2100, 12, 31)
