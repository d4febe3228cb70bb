"""One date input for every form, filter and export (crm.inputs.dates): a day outside
2000-2100 is refused with a message, never an OverflowError; far moments stored before
that rule never make a page or a task fail."""
import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from crm.formatting import from_local, local_date, local_time
from crm.inputs.dates import DateError, DayField, parse_day
from crm.inputs.forms import Form
from crm.models import CalendarDay, SiteVisit
from crm.routing import sla
from tests.factories import LeadFactory, TeamFactory, UserFactory

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
FAR = ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"]


@pytest.mark.parametrize("text,day", [("2026-12-06", date(2026, 12, 6)),
                                      (" ２０２６-１２-０６ ", date(2026, 12, 6)),
                                      ("2000-01-01", date(2000, 1, 1)),
                                      ("2100-12-31", date(2100, 12, 31)), ("", None)])
def test_a_day_is_read(text, day):
    assert parse_day(text) == day


@pytest.mark.parametrize("text", [*FAR, "20261206", "2026-W49-7", "2026-02-30", "2026-1-6",
                                  "yesterday", "2026-12-06T00:00"])
def test_anything_else_is_refused_with_a_message(text):
    with pytest.raises(DateError):
        parse_day(text)


def test_the_field_says_why_next_to_it_and_keeps_what_was_typed(app):
    class F(Form):
        class Meta:
            csrf = False
        day = DayField("Day")

    with app.test_request_context("/"):
        form = F(formdata=MultiDict({"day": "0001-01-01"}))
        assert not form.validate()
        assert "2000-01-01" in str(form.day.errors[0]) and "日期" in str(form.day.errors[0])
    with app.test_request_context("/?lang=en"):
        form = F(formdata=MultiDict({"day": "9999-12-31"}))
        assert not form.validate()
        with force_locale("en"):
            assert [str(e) for e in form.day.errors] == [
                "Please give a date between 2000-01-01 and 2100-12-31."]
        assert 'value="9999-12-31"' in form.day()
        assert 'min="2000-01-01"' in form.day()


@pytest.fixture
def manager(db):
    team = TeamFactory()
    boss = UserFactory(team=team, role="manager", email="boss@example.com")
    LeadFactory(team=team, assigned_to=UserFactory(team=team), contact_name="刘先生")
    UserFactory(role="admin", email="root@example.com")
    db.session.commit()
    return boss


@pytest.mark.parametrize("query", [f"date_from={d}" for d in FAR] + [f"date_to={d}" for d in FAR])
def test_far_dates_on_the_queue_and_the_audit_are_a_400_with_the_message(client, auth, manager,
                                                                        query):
    auth.login("boss@example.com")
    for path in ("/agent/leads", "/agent/leads/poll"):
        assert client.get(f"{path}?tab=all&{query}&lang=en").status_code in (200, 400)
    page = client.get(f"/agent/leads?tab=all&{query}&lang=en")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Please give a date between 2000-01-01 and 2100-12-31." in html
    assert "刘先生" not in html
    for fmt in ("csv", "xlsx"):
        assert client.post(f"/agent/leads/export.{fmt}?tab=all&{query}").status_code == 400
    auth.logout()
    auth.login("root@example.com")
    audit = client.get(f"/admin/audit?{query}&lang=en")
    assert audit.status_code == 400
    assert "Please give a date between" in audit.get_data(as_text=True)


@pytest.mark.parametrize("query", ["q=" + "x" * 101, "score_min=101", "score_min=abc",
                                   "date_from=yesterday", "source=" + "y" * 101,
                                   "region=nowhere", "agent_id=99999999999"])
def test_an_invalid_filter_never_exports_the_whole_scope(client, auth, manager, query):
    auth.login("boss@example.com")
    everything = client.post("/agent/leads/export.csv?tab=all", buffered=True)
    assert "刘先生" in everything.get_data().decode("utf-8-sig")  # the valid export has the row
    for fmt in ("csv", "xlsx"):
        response = client.post(f"/agent/leads/export.{fmt}?tab=all&{query}", buffered=True)
        assert response.status_code == 400
        assert "刘先生" not in response.get_data().decode("utf-8", "replace")
    page = client.get(f"/agent/leads?tab=all&{query}")
    assert page.status_code == 400 and "刘先生" not in page.get_data(as_text=True)


def test_a_valid_filter_still_exports_its_rows(client, auth, manager):
    auth.login("boss@example.com")
    response = client.post("/agent/leads/export.csv?tab=all&date_from=2000-01-01"
                           "&date_to=2100-12-31", buffered=True)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert any("刘先生" in cell for row in rows for cell in row)


@pytest.mark.parametrize("query", ["entity_id=abc", "entity_id=99999999999", "actor_id=x",
                                   "date_to=9999-12-31"])
def test_an_invalid_audit_filter_shows_no_rows(client, auth, manager, query):
    auth.login("root@example.com")
    client.get("/admin/audit")  # nothing to see yet; a login is audited though
    response = client.get(f"/admin/audit?{query}&lang=en")
    assert response.status_code == 400
    assert "<tbody></tbody>" in "".join(response.get_data(as_text=True).split()) or \
        "login" not in response.get_data(as_text=True).split('id="audit"')[-1]


def test_a_visit_stored_at_the_end_of_time_opens(client, auth, db):
    agent = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=agent)
    db.session.flush()
    # 9999-12-31 23:59 in Shanghai: stored before far days were refused.
    visit = SiteVisit(lead_id=lead.id, starts_at=datetime(9999, 12, 31, 15, 59, tzinfo=UTC),
                      meeting_point="北门", created_by_id=agent.id)
    visit.attendees.append(agent)
    db.session.add(visit)
    db.session.commit()
    auth.login("me@example.com")
    response = client.get(f"/agent/visits/{visit.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "9999-12-31 23:59" in html and "17:29 UTC" in html  # its end is in year 10000 locally


def test_formatting_copes_with_the_edges_of_time(app):
    with app.app_context():
        assert local_time(datetime(9999, 12, 31, 17, 29, tzinfo=UTC)) == \
            "9999-12-31 17:29 UTC"
        assert local_time(datetime(1, 1, 1, 3, tzinfo=UTC)).endswith("-01-01 11:05")  # LMT
        assert local_date(datetime(9999, 12, 31, 20, tzinfo=UTC)) == date.max
        assert from_local(date(1, 1, 1), time(0, 0)).year == 1
        assert from_local(date(9999, 12, 31), time(23, 59)) == \
            datetime(9999, 12, 31, 15, 59, tzinfo=UTC)
        assert from_local(date(2026, 12, 6), time(9)) == datetime(2026, 12, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize("day", [date(1, 1, 1), date(9999, 12, 31)])
def test_a_calendar_day_at_the_edge_of_time_does_not_stop_the_sla_task(db, day):
    with time_machine.travel(NOW, tick=False):
        LeadFactory(sla_due_at=NOW + timedelta(hours=2), sla_provisional=True)
        db.session.add(CalendarDay(day=day, year=day.year, kind="holiday", name="far"))
        db.session.commit()
        assert sla.recompute_deadlines([day, date(2026, 12, 7)]) >= 0
        assert sla.recompute_deadlines([day]) >= 0


def test_a_follow_up_stored_at_the_end_of_time_keeps_the_calendar_feed(client, db):
    from crm.leads import agenda
    with time_machine.travel(NOW, tick=False):
        agent = UserFactory(email="me@example.com")
        LeadFactory(assigned_to=agent, next_follow_up_on=date(9999, 12, 31),
                    next_follow_up_at=datetime(9999, 12, 31, 15, 59, tzinfo=UTC))
        soon = LeadFactory(assigned_to=agent, next_follow_up_on=date(2026, 12, 8),
                           next_follow_up_at=datetime(2026, 12, 8, 2, tzinfo=UTC))
        db.session.commit()
        token = agenda.regenerate_feed_token(agent)
        response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f"follow-up-{soon.id}@" in body and "9999" not in body
