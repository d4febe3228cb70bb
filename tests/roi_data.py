"""A small data set for the Source ROI report, counted by hand (tests/unit/reporting/test_roi.py).

Period: November and December 2026 (Asia/Shanghai). Two sites (浙江站 A, 江苏站 B), spend on
one channel (phone), a month with spend and no deal (B in November), deals with no spend
(the leads of no site; the wechat channel), a fallen-through deal, a spam lead, a lead
created at 00:30 on 1 November in Shanghai (still 31 October in UTC) and spend outside the
period.
"""
from datetime import UTC, date, datetime
from decimal import Decimal

from crm.extensions import db
from crm.models import Deal, Lead, SiteVisit, SourceSite, SourceSpend, Team, User


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def build() -> dict:
    t1, t2 = Team(name="一组", is_default=True), Team(name="二组")
    db.session.add_all([t1, t2])
    admin = User(email="admin@example.com", name="管理员", role="admin", team=t1)
    manager = User(email="m1@example.com", name="经理", role="manager", team=t1)
    agent = User(email="a@example.com", name="甲", role="agent", team=t1)
    for user in (admin, manager, agent):
        user.set_password("secret-pass")
    a = SourceSite(name="浙江站", public_key="sa", api_key_hint="a")
    b = SourceSite(name="江苏站", public_key="sb", api_key_hint="b")
    db.session.add_all([admin, manager, agent, a, b])
    db.session.flush()
    n = iter(range(1, 100))

    def lead(created, site, channel, team=t1, status="new"):
        row = Lead(reference=f"CF-R{next(n):04d}", created_at=created, contact_name="刘先生",
                   mobile_e164="+8613300000000", mobile_display="133", channel=channel,
                   source_site_id=site.id if site else None, team_id=team.id,
                   assigned_to_id=agent.id, status=status, property_type="factory")
        db.session.add(row)
        db.session.flush()
        return row

    def visit(of, starts, status="done"):
        db.session.add(SiteVisit(lead_id=of.id, starts_at=starts, status=status))

    def deal(of, signed_on, value, status="signed"):
        db.session.add(Deal(lead_id=of.id, signed_on=signed_on, status=status, deal_type="rent",
                            price=Decimal(1), price_unit="wan_total", value_wan=Decimal(value),
                            team_id=of.team_id, agent_id=agent.id, channel=of.channel,
                            source_site_id=of.source_site_id))

    l1 = lead(utc(2026, 11, 5, 2), a, "web")
    visit(l1, utc(2026, 11, 10, 2))
    deal(l1, date(2026, 11, 20), "120")
    l2 = lead(utc(2026, 12, 3, 2), a, "web")
    visit(l2, utc(2026, 12, 5, 2))
    visit(l2, utc(2026, 12, 20, 2), status="scheduled")     # not done: not counted
    lead(utc(2026, 11, 30, 15, 30), a, "api")                # 23:30 on 30 Nov in Shanghai
    l4 = lead(utc(2026, 11, 2, 2), b, "web")
    visit(l4, utc(2026, 11, 3, 2))
    deal(l4, date(2026, 11, 15), "999", status="fallen_through")  # never counted
    l5 = lead(utc(2026, 11, 8, 2), None, "phone")
    deal(l5, date(2026, 12, 1), "30")
    l6 = lead(utc(2026, 11, 9, 2), None, "wechat", team=t2)
    deal(l6, date(2026, 11, 25), "50")
    lead(utc(2026, 11, 9, 3), a, "web", status="spam")       # junk: not a lead
    lead(utc(2026, 10, 31, 16, 30), a, "web")               # 1 Nov 00:30 in Shanghai
    lead(utc(2026, 10, 20, 2), a, "web")                    # October: outside
    visit(l1, utc(2027, 1, 3, 2))                           # January: outside
    deal(l2, date(2027, 1, 2), "700")                       # January: outside

    def spend(month, amount, site=None, channel=None, team=None):
        db.session.add(SourceSpend(month=month, amount_yuan=Decimal(amount), note="",
                                   source_site_id=site.id if site else None, channel=channel,
                                   team_id=team.id if team else None))
    spend(date(2026, 11, 1), "10000", site=a)
    spend(date(2026, 12, 1), "5000", site=a)
    spend(date(2026, 11, 1), "8000", site=b, team=t1)      # spend, no deal
    spend(date(2026, 11, 1), "2000", channel="phone")
    spend(date(2026, 10, 1), "99999", site=a)              # October: outside
    spend(date(2027, 1, 1), "77777", channel="phone")      # January: outside
    db.session.commit()
    return {"t1": t1, "t2": t2, "a": a, "b": b, "admin": admin, "manager": manager,
            "agent": agent}
