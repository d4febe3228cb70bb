"""A need's history on its page comes a page at a time (newest first, keyset on time and
id), so a long-worked need renders as fast as a new one; every entry is reachable."""
import re
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.leads import timeline
from crm.models import Activity
from tests.factories import LeadFactory, UserFactory

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def _history(db, lead, times):
    for n, minutes in enumerate(times):
        db.session.add(Activity(lead_id=lead.id, kind="note", body=f"entry {n}",
                                created_at=NOW - timedelta(minutes=minutes)))
    db.session.commit()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(times=st.lists(st.integers(0, 5), min_size=0, max_size=12),
       size=st.integers(1, 5))
def test_paging_walks_every_entry_once_newest_first(db, times, size):
    """Ties in time included (back-dated entries share a minute): no entry is lost or shown
    twice across the pages."""
    db.session.query(Activity).delete()
    lead = LeadFactory()
    _history(db, lead, times)
    seen, before = [], None
    while True:
        page = timeline.page(lead.id, before, size=size)
        assert len(page.rows) <= size
        seen += page.rows
        if page.older is None:
            break
        before = page.older
    everything = db.session.query(Activity).filter_by(lead_id=lead.id).all()
    assert sorted(a.id for a in seen) == sorted(a.id for a in everything)
    assert [(a.created_at, a.id) for a in seen] == sorted(
        ((a.created_at, a.id) for a in seen), reverse=True)


def test_the_lead_page_shows_the_newest_entries_and_links_to_the_rest(client, auth, db,
                                                                        monkeypatch):
    monkeypatch.setattr(timeline.page, "__defaults__", (None, 3))
    agent = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=agent)
    _history(db, lead, [50, 40, 30, 20, 10])   # entry 4 is the newest
    auth.login("me@example.com")
    html = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    history = html[html.index('id="timeline"'):]
    assert "entry 4" in history and "entry 2" in history and "entry 1" not in history
    assert "更早的记录" in history
    older = re.search(r'href="([^"]*history_before=\d+)[^"]*"', history).group(1)
    html = client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    history = html[html.index('id="timeline"'):]
    assert "entry 1" in history and "entry 0" in history and "entry 4" not in history
    assert "更早的记录" not in history
    # A junk or foreign id starts from the newest, never a 500.
    for junk in ("abc", "99999999999999999999", "-1"):
        assert client.get(f"/agent/leads/{lead.id}?history_before={junk}").status_code == 200
