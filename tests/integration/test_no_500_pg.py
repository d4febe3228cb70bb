"""Junk input on PostgreSQL, which refuses what SQLite lets pass (a NUL in text, a year
the time zone conversion cannot hold): every one answers below 500 (issue 27)."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from crm.extensions import db
from crm.models import SourceSpend
from tests.factories import LeadFactory, UserFactory, make_site
from tests.support.strategies import encoded_query, text_with_junk

pytestmark = pytest.mark.integration

NUL_PUBLIC = ["/listings/?property_type=%00", "/listings/?region=%00&q=%00",
              "/embed/inquiry?site=%00", "/embed/listings?site=%00", "/r/abc%00",
              "/r/%00", "/inquiry?utm_source=%00&page=%00", "/regions/search?q=%00"]
NUL_STAFF = ["/agent/leads/{lead}?listing_q=%00", "/admin/audit?action=%00&entity=%00",
             "/admin/audit?entity_id=%00&date_from=%00", "/manage/routing/preview?reference=%00",
             "/agent/leads?q=%00&source=%00&region=%00", "/agent/leads/poll?q=%00",
             "/agent/listings?status=%00", "/reports/?team=%00&from=%00"]
FAR = ["date_from=0001-01-01", "date_to=9999-12-31"]


@pytest.fixture
def staff(pg_app):
    site, _key = make_site()
    admin = UserFactory(role="admin", email="root@example.com")
    lead = LeadFactory(assigned_to=admin, contact_name="刘先生")
    db.session.commit()
    client = pg_app.test_client()
    client.post("/login", data={"email": "root@example.com", "password": "secret-pass"})
    return client, lead, site


def test_nul_in_query_and_path_is_never_a_5xx_on_postgresql(staff):
    client, lead, _site = staff
    for path in NUL_PUBLIC + [p.format(lead=lead.id) for p in NUL_STAFF]:
        assert client.get(path).status_code < 500, path
    assert client.get("/r/abc%00").status_code == 404


def test_far_dates_on_the_queue_its_poll_exports_and_audit_on_postgresql(staff):
    client, _lead, _site = staff
    for query in FAR:
        assert client.get(f"/agent/leads?tab=all&{query}").status_code == 400
        assert client.get(f"/agent/leads/poll?tab=all&{query}").status_code == 200
        for fmt in ("csv", "xlsx"):
            export = client.post(f"/agent/leads/export.{fmt}?tab=all&{query}", buffered=True)
            assert export.status_code == 400
            assert "刘先生" not in export.get_data().decode("utf-8", "replace")
        assert client.get(f"/admin/audit?{query}").status_code == 400


def test_nul_and_surrogates_in_form_posts_and_json_on_postgresql(staff):
    client, lead, site = staff
    answer = client.post(f"/embed/inquiry?site={site.public_key}",
                         data={"contact_name": "王\x00经理", "mobile": "13912345678",
                               "company": "\x00", "message": "厂房\x00\x01", "consent": "y"})
    assert answer.status_code < 500
    parsed = client.post("/api/v1/parse", data=b'{"text": "\\ud800\\u0000 3000\\u5e73"}',
                         content_type="application/json", headers={"X-Api-Key": "x\x00"})
    assert parsed.status_code == 401


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(junk=text_with_junk())
def test_any_junk_in_queue_and_audit_filters_is_no_5xx_on_postgresql(staff, junk):
    client, _lead, _site = staff
    for path in ("/agent/leads", "/admin/audit", "/listings/", "/manage/routing/preview"):
        for name in ("q", "source", "region", "action", "entity", "entity_id", "reference",
                     "property_type"):
            url = f"{path}?{encoded_query({name: junk})}"
            assert client.get(url).status_code < 500, url


BLANKISH = st.lists(st.sampled_from([" ", "\u3000", "\u200b", "\ufeff", "\x00", "\t", "无"]),
                    min_size=1, max_size=4).map("".join)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(field=st.sampled_from(["month", "amount"]),
       # A form post is UTF-8: a lone surrogate cannot be sent in one (the raw bytes are
       # test_fuzz_pg's), so the test client is given none.
       typed=st.one_of(BLANKISH, text_with_junk(30).map(
           lambda t: "".join(c for c in t if not 0xD800 <= ord(c) <= 0xDFFF))))
def test_a_required_month_or_figure_typed_as_nothing_is_a_message_on_postgresql(staff, field,
                                                                                 typed):
    """The spend form's required month (a day-reading field) and amount (a figure-reading
    one): text read as nothing or junk answers 302 or a field message, never a 5xx, and
    nothing unreadable is stored."""
    client, _lead, _site = staff
    data = {"month": "2026-09", "source": "channel:web", "amount": "1", "note": "", field: typed}
    answer = client.post("/manage/spend/new", data=data)
    assert answer.status_code in (302, 422), (field, typed, answer.status_code)
    if answer.status_code == 302:
        stored = db.session.scalars(select(SourceSpend)).all()
        assert len(stored) == 1 and stored[0].month.isoformat() == "2026-09-01"
        db.session.execute(delete(SourceSpend))
        db.session.commit()
    else:
        assert '<p class="error"' in answer.get_data(as_text=True)
