"""Issue 16, what happens on 2027 dates (frozen clock): without 2027 data deadlines are
provisional Monday–Friday and admins see a banner; after the 2027 notice is pasted and
confirmed, open leads' deadlines move past the Spring Festival, on-duty decisions follow,
and closed or contacted leads are untouched."""
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from crm.models import Activity, AuditLog, CalendarDay, Lead
from crm.routing import engine, sla
from crm.workdays import days, edit, notice
from tests.factories import LeadFactory, RuleFactory, TeamFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")
NOTICE_2027 = (Path(__file__).resolve().parents[2] / "fixtures" / "notices"
               / "2027-test.txt").read_text()
MONDAY = datetime(2027, 2, 8, 10, 0, tzinfo=SH)  # inside the 2027 Spring Festival


def _team():
    team = TeamFactory()
    agent = UserFactory(team=team, name="甲", work_start=time(9), work_end=time(18))
    RuleFactory(team=team, sla_minutes=30)
    return team, agent


def test_2027_without_data_then_with_the_pasted_notice(client, auth, db):
    team, agent = _team()
    UserFactory(email="root@example.com", role="admin")
    db.session.commit()
    with time_machine.travel(MONDAY, tick=False):
        lead = LeadFactory()
        assert engine.route_lead(lead.id) == agent.id          # on duty: Monday–Friday assumed
        db.session.refresh(lead)
        assert lead.sla_provisional
        assert lead.sla_due_at == MONDAY + timedelta(minutes=30)
        won = LeadFactory(status="won", assigned_to=agent, team=team, sla_due_at=lead.sla_due_at,
                          sla_provisional=True)
        called = LeadFactory(assigned_to=agent, team=team, sla_due_at=lead.sla_due_at,
                             sla_provisional=True, first_contact_at=MONDAY)
        db.session.commit()

        auth.login("root@example.com")
        page = client.get("/admin/users").get_data(as_text=True)
        assert "2027 年节假日安排尚未录入" in page
        assert client.get("/readyz").get_json()["checks"]["calendar"] == "missing holidays for 2027"

        preview = client.post("/admin/calendar/notice", data={"year": 2027, "text": NOTICE_2027})
        assert preview.status_code == 200
        text = preview.get_data(as_text=True)
        spring = text.split("<th scope=\"row\">春节</th>")[1].split("</tr>")[0]
        assert 'datetime="2027-02-05"' in spring and 'datetime="2027-02-13"' in spring
        assert "共 9 天" in spring and 'datetime="2027-02-14"' in spring
        assert db.session.scalar(select(CalendarDay).limit(1)) is None    # nothing saved yet
        saved = client.post("/admin/calendar/notice",
                            data={"year": 2027, "text": NOTICE_2027, "confirm": "yes"})
        assert saved.status_code == 302

    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    # Feb 8–13 are days off, Sunday Feb 14 a make-up workday: 30 working minutes from 09:00.
    assert lead.sla_due_at == datetime(2027, 2, 14, 9, 30, tzinfo=SH)
    assert not lead.sla_provisional
    assert "首次联系时限" in db.session.scalars(
        select(Activity.body).where(Activity.lead_id == lead.id, Activity.kind == "note")).one()
    for untouched in (won.id, called.id):                    # closed or contacted: as they were
        row = db.session.get(Lead, untouched)
        assert row.sla_due_at == MONDAY + timedelta(minutes=30) and row.sla_provisional
    assert db.session.scalars(select(AuditLog.action)).all()[-1] == "calendar_import"

    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        assert "2027 年节假日安排尚未录入" not in client.get("/admin/users").get_data(as_text=True)
        assert client.get("/readyz").get_json()["checks"]["calendar"] == "ok"
        later = LeadFactory()
        db.session.commit()
        assert engine.route_lead(later.id) is None               # the agent is on holiday
        assert engine.availability(agent, later, MONDAY, 0) == "非工作时间"


def test_recompute_is_idempotent_and_next_years_change_spares_closed_leads(db):
    team, agent = _team()
    db.session.commit()
    with time_machine.travel(MONDAY, tick=False):
        lead = LeadFactory()
        engine.route_lead(lead.id)
        closed = LeadFactory(status="lost", assigned_to=agent, team=team,
                             sla_due_at=MONDAY + timedelta(minutes=30))
        db.session.commit()
        edit.import_notice(2027, notice.parse(NOTICE_2027, 2027), None)  # task runs in-process
        first = db.session.get(Lead, lead.id).sla_due_at
        assert first == datetime(2027, 2, 14, 9, 30, tzinfo=SH)
        assert sla.recompute_deadlines([date(2027, 2, 8)]) == 0   # again: nothing moves
        assert db.session.get(Lead, lead.id).sla_due_at == first
        assert db.session.get(Lead, closed.id).sla_due_at == MONDAY + timedelta(minutes=30)


def test_one_day_edit_copies_the_package_year_and_is_audited(client, auth, db):
    UserFactory(email="root@example.com", role="admin")
    db.session.commit()
    auth.login("root@example.com")
    assert days.source_of(2026) == "package"
    response = client.post("/admin/calendar/day", data={"day": "2026-12-31", "kind": "holiday",
                                                         "name": "公司年会"})
    assert response.status_code == 302
    assert days.source_of(2026) == "table"
    assert not days.is_workday(date(2026, 12, 31))
    assert not days.is_workday(date(2026, 10, 1))            # the package's days came along
    assert db.session.scalar(select(CalendarDay.source).where(
        CalendarDay.day == date(2026, 10, 1))) == "package"
    page = client.get("/admin/calendar/?year=2026").get_data(as_text=True)
    assert "公司年会" in page and "国庆节" in page
    bad = client.post("/admin/calendar/day", data={"day": "2026-13-40", "kind": "holiday"})
    assert bad.status_code == 422


def test_team_hours_with_lunch_shape_deadlines_and_duty(app, db):
    team = TeamFactory(work_start=time(8, 30), work_end=time(17, 30), lunch_start=time(12),
                       lunch_end=time(13))
    agent = UserFactory(team=team)
    db.session.commit()
    start = datetime(2026, 11, 23, 11, 50, tzinfo=SH)        # a Monday, 10 minutes to lunch
    deadlines = engine.sla_deadlines(start, 30, team)
    assert deadlines["sla_due_at"] == datetime(2026, 11, 23, 13, 20, tzinfo=SH)
    assert not deadlines["sla_provisional"]
    assert engine.availability(agent, LeadFactory(), datetime(2026, 11, 23, 12, 30, tzinfo=SH), 0)
    assert engine.availability(agent, LeadFactory(), datetime(2026, 11, 23, 13, 30, tzinfo=SH), 0) is None


def test_a_few_days_edited_by_hand_do_not_make_a_missing_year_entered(client, auth, db):
    UserFactory(email="root@example.com", role="admin")
    db.session.commit()
    auth.login("root@example.com")
    assert client.post("/admin/calendar/day", data={"day": "2031-10-01", "kind": "holiday",
                                                     "name": "国庆节"}).status_code == 302
    assert not days.is_workday(date(2031, 10, 1))          # the edit counts
    assert days.is_provisional(date(2031, 10, 8))          # the year is still not entered
    assert days.missing_years(date(2031, 11, 5)) == [2031, 2032]
    bad = client.post("/admin/calendar/notice", data={"year": 2031,
                                                      "text": "二、春节：2月31日至3月2日放假。"})
    assert bad.status_code == 422
