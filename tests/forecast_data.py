"""A small data set for the weighted pipeline and the forecast, worked out by hand.

Team 一组 has its own probabilities (新 10 %, 洽谈 80 %), 二组 reads the defaults (新 5 %,
已联系 10 %, 已确认 25 %, 看厂 40 %, 洽谈 60 %). Range: 2026-12-01 .. 2027-01-31.

ref  team agent stage        value  close       pct  weighted
P1   一组 甲    new          100    2026-12-15  10   10
P2   一组 甲    negotiating  200    2027-01-10  80   160
P3   一组 乙    qualified    50     2026-12-31  25   12.5
P4   一组 乙    contacted    —      2026-12-05  10   (count only)
P5   一组 甲    lost         999    2026-12-20  —    excluded
P6   一组 甲    won          300    —           —    excluded; its deal signed 2026-12-03, 280
P7   一组 甲    negotiating  400    2027-02-01  80   320 (re-opened: its deal of 2026-12-10,
                                                         500, fell through: never counted)
P8   二组 丙    site_visit   120    2026-12-20  40   48
P9   二组 丙    new          10.5   —           5    0.525
P10  二组 丙    spam         70     2026-12-10  —    excluded
"""
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from crm.extensions import db
from crm.inputs.deal_terms import contract_value_wan
from crm.models import Deal, Lead, StageProbability, Team
from tests.report_data import _user

NOW = datetime(2026, 11, 30, 16, 10, tzinfo=UTC)  # 2026-12-01 00:10 in Shanghai
RANGE = dict(start=date(2026, 12, 1), end=date(2027, 1, 31), tz="Asia/Shanghai", now=NOW)


def _lead(n, team, agent, status, value=None, close=None):
    lead = Lead(reference=f"CF-P{n:04d}", created_at=NOW - timedelta(days=40 * n),
                contact_name="刘先生", mobile_e164=f"+8613400000{n:03d}", mobile_display="134",
                channel="web", team_id=team.id, assigned_to_id=agent.id, status=status,
                property_type="factory", expected_close_on=close,
                expected_value_wan=Decimal(value) if value is not None else None)
    db.session.add(lead)
    return lead


def _deal(lead, agent, team, signed_on, value_wan, status="signed"):
    db.session.add(Deal(lead_id=lead.id, agent_id=agent.id, team_id=team.id, status=status,
                        signed_on=signed_on, deal_type="buy", price=Decimal(value_wan),
                        price_unit="wan_total", value_wan=contract_value_wan(Decimal(value_wan),
                                                                            "wan_total")))


def build() -> dict:
    one, two = Team(name="一组"), Team(name="二组", is_default=True)
    db.session.add_all([one, two])
    db.session.flush()
    people = {
        "admin": _user("boss@example.com", "老板", "admin", None),
        "m1": _user("m1@example.com", "一组经理", "manager", one),
        "m2": _user("m2@example.com", "二组经理", "manager", two),
        "jia": _user("jia@example.com", "甲", "agent", one),
        "yi": _user("yi@example.com", "乙", "agent", one),
        "bing": _user("bing@example.com", "丙", "agent", two),
    }
    db.session.flush()
    jia, yi, bing = people["jia"], people["yi"], people["bing"]
    db.session.add_all([StageProbability(team_id=one.id, stage="new", pct=10),
                        StageProbability(team_id=one.id, stage="negotiating", pct=80)])
    _lead(1, one, jia, "new", "100", date(2026, 12, 15))
    _lead(2, one, jia, "negotiating", "200", date(2027, 1, 10))
    _lead(3, one, yi, "qualified", "50", date(2026, 12, 31))
    _lead(4, one, yi, "contacted", None, date(2026, 12, 5))
    _lead(5, one, jia, "lost", "999", date(2026, 12, 20))
    won = _lead(6, one, jia, "won", "300")
    reopened = _lead(7, one, jia, "negotiating", "400", date(2027, 2, 1))
    _lead(8, two, bing, "site_visit", "120", date(2026, 12, 20))
    _lead(9, two, bing, "new", "10.5")
    _lead(10, two, bing, "spam", "70", date(2026, 12, 10))
    db.session.flush()
    _deal(won, jia, one, date(2026, 12, 3), "280")
    _deal(reopened, jia, one, date(2026, 12, 10), "500", status="fallen_through")
    db.session.commit()
    return {**people, "one": one, "two": two}
