"""A small fixed data set whose report figures are worked out by hand (see the tests).

November 2026 in Asia/Shanghai; SLA 30 minutes; "now" is 2026-12-01 00:10 Shanghai.
"""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from crm.extensions import db
from crm.leads.stages import record as record_stage
from crm.models import Lead, Team, User

UTC = UTC
NOW = datetime(2026, 11, 30, 16, 10, tzinfo=UTC)  # 2026-12-01 00:10 in Shanghai


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _user(email, name, role, team):
    user = User(email=email, name=name, role=role, team=team)
    user.set_password("secret-pass")
    db.session.add(user)
    return user


def _lead(n, created, *, team, agent, assign_s=None, contact_s=None, stages=(), status=None,
          region=None, page="", investment=None, tax=None, area=None, lost_reason=""):
    lead = Lead(reference=f"CF-T{n:04d}", created_at=created, contact_name="刘先生",
                mobile_e164=f"+8613300000{n:03d}", mobile_display="133", channel="web",
                team_id=team.id if team else None, assigned_to_id=agent.id if agent else None,
                assigned_at=created + timedelta(seconds=assign_s) if assign_s is not None else None,
                first_contact_at=(created + timedelta(seconds=contact_s)
                                  if contact_s is not None else None),
                region_code=region, page_url=page, lost_reason=lost_reason,
                investment_wan=Decimal(investment) if investment is not None else None,
                annual_tax_wan=Decimal(tax) if tax is not None else None,
                area_max_sqm=Decimal(area) if area is not None else None,
                status=status or "new", property_type="factory", industry="nev")
    db.session.add(lead)
    db.session.flush()
    if lead.status != "spam":
        record_stage(lead, "new", created)
    for stage, when in stages:
        record_stage(lead, stage, when)
    return lead


def build() -> dict:
    t1, t2 = Team(name="一组", is_default=True), Team(name="二组")
    db.session.add_all([t1, t2])
    db.session.flush()
    people = {
        "admin": _user("admin@example.com", "管理员", "admin", None),
        "m1": _user("m1@example.com", "一组经理", "manager", t1),
        "m2": _user("m2@example.com", "二组经理", "manager", t2),
        "a": _user("a@example.com", "甲", "agent", t1),
        "b": _user("b@example.com", "乙", "agent", t1),
        "c": _user("c@example.com", "丙", "agent", t2),
    }
    db.session.flush()
    a, b, c = people["a"], people["b"], people["c"]
    page_a, page_b = "https://zj.example.cn/a", "https://zj.example.cn/b"
    # L1: 00:30 on Nov 1 in Shanghai (Oct 31 in UTC), contacted in 10 min, won on Nov 10.
    c1 = utc(2026, 10, 31, 16, 30)
    _lead(1, c1, team=t1, agent=a, assign_s=60, contact_s=600, region="330522",
          page=page_a, investment=5000, tax=100, area=2000, status="won",
          stages=[("contacted", c1 + timedelta(minutes=10)), ("qualified", utc(2026, 11, 2)),
                  ("site_visit", utc(2026, 11, 5)), ("won", utc(2026, 11, 10))])
    # L2: contacted after 45 min (a breach), lost.
    c2 = utc(2026, 11, 2, 2, 0)
    _lead(2, c2, team=t1, agent=a, assign_s=120, contact_s=2700, region="3304", page=page_a,
          status="lost", lost_reason="价格太高",
          stages=[("contacted", c2 + timedelta(minutes=45)), ("lost", utc(2026, 11, 3))])
    # L3: never contacted, long overdue (a breach).
    _lead(3, utc(2026, 11, 2, 3, 0), team=t1, agent=b, assign_s=30, region="310117",
          page=page_b, investment=2000)
    # L4: qualified on the first call (jumped new → qualified: contacted is implied).
    c4 = utc(2026, 11, 5, 6, 0)
    _lead(4, c4, team=t1, agent=b, assign_s=90, contact_s=1200, status="qualified",
          investment=3000, tax=50, area=1000, stages=[("qualified", c4 + timedelta(minutes=20))])
    # L5: lost, reopened (contacted again: no new row), then on to a site visit.
    c5 = utc(2026, 11, 6, 1, 0)
    _lead(5, c5, team=t2, agent=c, assign_s=10, contact_s=300, region="320576",
          page=page_a, status="site_visit", investment=10000, tax=300, area=5000,
          stages=[("contacted", c5 + timedelta(minutes=5)), ("lost", utc(2026, 11, 7)),
                  ("contacted", utc(2026, 11, 15)), ("qualified", utc(2026, 11, 16)),
                  ("site_visit", utc(2026, 11, 18))])
    # L6: spam, routed to no team.
    _lead(6, utc(2026, 11, 7, 3, 0), team=None, agent=None, status="spam", page=page_b)
    # L7: created and won in October, reopened and won again in November: won counts once.
    c7 = utc(2026, 10, 20, 2, 0)
    _lead(7, c7, team=t2, agent=c, assign_s=20, contact_s=900, status="won", investment=20000,
          tax=800, stages=[("contacted", c7 + timedelta(minutes=15)),
                           ("qualified", utc(2026, 10, 22)), ("negotiating", utc(2026, 10, 25)),
                           ("won", utc(2026, 10, 30)), ("negotiating", utc(2026, 11, 3)),
                           ("won", utc(2026, 11, 12))])
    # L8: 00:00 on Dec 1 in Shanghai: outside November.
    _lead(8, utc(2026, 11, 30, 16, 0), team=t1, agent=a, assign_s=5)
    # L9: 23:59:59 on Nov 30 in Shanghai: inside; 10 minutes old at NOW, so pending, no breach.
    _lead(9, utc(2026, 11, 30, 15, 59, 59), team=t1, agent=b, assign_s=5, region="33")
    db.session.commit()
    return {**people, "t1": t1, "t2": t2}
