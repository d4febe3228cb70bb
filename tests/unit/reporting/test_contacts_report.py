"""Issue 30: new vs returning contacts, needs per contact, and the sources that bring people
back (crm/reporting/contacts.py). The same figures on PostgreSQL:
tests/integration/test_report_contacts_pg.py."""
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import time_machine
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import case, func, select

from crm.choices import JUNK_STATUSES
from crm.extensions import db as _db
from crm.leads.followup import renumber
from crm.models import Contact, InquiryRepeat, Lead, Team, User
from crm.reporting.contacts import MOST, contacts
from crm.reporting.scope import Scope

TZ = "Asia/Shanghai"
NOW = datetime(2026, 11, 30, 16, 10, tzinfo=UTC)
NOV = dict(start=date(2026, 11, 1), end=date(2026, 11, 30), tz=TZ, now=NOW)


def at(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)


def build() -> dict:
    """November 2026. 甲 brings three needs (web, then api twice, the third in 二组); 乙 one
    (web) and asks again through the api; 丙 a second need (web), their first in October;
    a lead of before contacts (agent entry); a spam lead and a December need left out."""
    t1, t2 = Team(name="一组"), Team(name="二组")
    _db.session.add_all([t1, t2])
    _db.session.flush()
    people = {}
    for name in ("甲", "乙", "丙"):  # no mobiles: the figures read only contact ids
        people[name] = Contact(name=name, name_key=name)
    _db.session.add_all(people.values())
    _db.session.flush()
    n = iter(range(1, 100))

    def need(who, seq, when, channel, team=t1, status="new"):
        lead = Lead(reference=f"CF-C{next(n):04d}", created_at=when, contact_name=who or "某",
                    channel=channel, team_id=team.id, status=status,
                    contact_id=people[who].id if who else None, contact_seq=seq)
        _db.session.add(lead)
        _db.session.flush()
        return lead

    need("丙", 1, at(20, 10), "web")                 # October: outside the range
    need("甲", 1, at(3), "web")
    need("甲", 2, at(10), "api")
    need("甲", 3, at(20), "api", team=t2)
    b = need("乙", 1, at(5), "web")
    need("丙", 2, at(12), "web")
    need(None, None, at(14), "agent")               # made before contacts: its own person
    need("乙", 2, at(15), "api", status="spam")     # spam is never a need
    need("乙", 2, at(2, 12), "web")                 # December: outside the range
    _db.session.add(InquiryRepeat(original_lead_id=b.id, created_at=at(18), matched_on="mobile",
                                  channel="api", contact_name="乙", contact_id=people["乙"].id))
    _db.session.commit()
    return {"t1": t1, "t2": t2}


def figures(report) -> dict:
    return {r.key: (r.needs, r.first_needs, r.returning_needs, r.repeats, r.returning)
            for r in report.rows}


def test_returning_contacts(db):
    build()
    report = contacts(Scope(**NOV), "channel")
    # needs, new contacts' needs, returning contacts' needs, repeats, returning (+ repeats)
    assert figures(report) == {"api": (2, 0, 2, 1, 3), "web": (3, 2, 1, 0, 1),
                               "agent": (1, 1, 0, 0, 0)}
    assert [r.key for r in report.rows] == ["api", "web", "agent"]  # most returning first
    total = report.total
    assert (total.needs, total.first_needs, total.returning_needs, total.repeats) == (6, 3, 3, 1)
    assert total.as_dict()["returning_share"] == 4 / 7
    # 甲 three needs in the range; 乙, 丙 and the contactless lead one each.
    assert report.per_contact == {1: 3, 3: 1} and report.average == 6 / 4


def test_returning_contacts_are_counted_in_the_report_scope(db):
    teams = build()
    one = contacts(Scope(**NOV, team_ids=(teams["t1"].id,)), "channel")
    assert figures(one)["api"] == (1, 0, 1, 1, 2)  # 甲's third need is 二组's
    assert one.total.needs == 5 and one.per_contact == {1: 3, 2: 1}
    two = contacts(Scope(**NOV, team_ids=(teams["t2"].id,)), "channel")
    # 乙's repeat belongs to the scope of the need it repeats (一组's).
    assert figures(two) == {"api": (1, 0, 1, 0, 1)} and two.per_contact == {1: 1}


def test_four_needs_or_more_are_one_bucket(db):
    team = Team(name="一组")
    person = Contact(name="同行", name_key="同行", mobile_e164="+8613900000009")
    _db.session.add_all([team, person])
    _db.session.flush()
    for i in range(6):
        _db.session.add(Lead(reference=f"CF-P{i}", created_at=at(2 + i), contact_name="同行",
                             channel="web", team_id=team.id, contact_id=person.id,
                             contact_seq=i + 1))
    _db.session.commit()
    report = contacts(Scope(**NOV), "channel")
    assert report.per_contact == {4: 1} and report.average == 6
    spread = report.tables()[1]
    assert spread.rows[0]["needs"] == "4+" and spread.rows[0]["contacts"] == 1


def test_the_page_is_for_managers_and_speaks_chinese(client, auth, db):
    teams = build()
    boss = User(email="boss@example.com", name="王经理", role="manager", team=teams["t1"])
    agent = User(email="agent@example.com", name="李", role="agent", team=teams["t1"])
    for user in (boss, agent):
        user.set_password("secret-pass")
    _db.session.add_all([boss, agent])
    _db.session.commit()
    with time_machine.travel(NOW, tick=False):
        auth.login("agent@example.com", "secret-pass")
        assert client.get("/reports/contacts").status_code == 403
        auth.logout()
        auth.login("boss@example.com", "secret-pass")
        html = client.get("/reports/contacts?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
        assert "新老联系人" in html and "老联系人的新需求" in html and "每位联系人的需求数" in html
        assert 'href="/reports/contacts' in client.get("/reports/sources").get_data(as_text=True)
        csv = client.post("/reports/contacts/export.csv?from=2026-11-01&to=2026-11-30")
    assert csv.status_code == 200
    text = csv.data.decode("utf-8-sig")
    assert "再次咨询" in text and "平均：1.25 个需求" in text  # 5 needs of 一组, 4 people


# -- needs per contact, from the returning needs only, equals grouping every need ---------

STATUSES = st.sampled_from(["new", "new", "contacted", "lost", "won", "spam", "merged"])
NEED = st.tuples(st.integers(0, 5),                      # the contact (0: none, its own person)
                 st.integers(-20, 50),                   # days after 1 November
                 STATUSES, st.booleans())                # status, in the second team


def _exact(scope: Scope) -> dict[int, int]:
    """Every need of the range grouped by its person: what _per_contact must equal."""
    who = func.coalesce(Lead.contact_id, -Lead.id).label("who")
    each = select(who, func.count().label("n")).where(*scope.leads()).group_by(who).subquery()
    bucket = case((each.c.n >= MOST, MOST), else_=each.c.n)
    return {int(n): c for n, c in _db.session.execute(
        select(bucket, func.count()).group_by(bucket)).tuples()}


def check_per_contact(needs: list, released: list, whole: bool) -> None:
    """Needs numbered as intake numbers them (1 + the contact's non-junk needs before), some
    spam then released by a manager, in and out of the range, in two teams, contactless;
    the figures of the two new teams (and of every team when `whole`: a database of its
    own) equal grouping every need of the range by person."""
    t1, t2 = Team(name=f"一组{uuid4().hex[:6]}"), Team(name=f"二组{uuid4().hex[:6]}")
    people = [Contact(name=f"人{i}", name_key=f"人{i}") for i in range(5)]
    _db.session.add_all([t1, t2, *people])
    _db.session.flush()
    leads = []
    for i, (who, day, status, second) in enumerate(needs):
        contact = people[who - 1] if who else None
        before = sum(1 for other in leads if contact and other.contact_id == contact.id
                     and other.status not in JUNK_STATUSES)
        lead = Lead(reference=f"CF-H{uuid4().hex[:10]}",
                    created_at=at(1) + timedelta(days=day, minutes=i),
                    contact_name="某", channel="web", status=status,
                    team_id=(t2 if second else t1).id, contact_id=contact and contact.id,
                    contact_seq=before + 1 if contact else None)
        _db.session.add(lead)
        _db.session.flush()
        leads.append(lead)
    for at_ in released:  # a manager releases a false positive: numbered again
        spam = [lead for lead in leads if lead.status == "spam"]
        if spam:
            lead = spam[at_ % len(spam)]
            lead.status = "new"
            if lead.contact_id:
                renumber(lead.contact_id)
    _db.session.commit()
    scopes = [Scope(**NOV, team_ids=(t1.id, t2.id)), Scope(**NOV, team_ids=(t1.id,))]
    for scope in scopes + ([Scope(**NOV), Scope(**NOV, team_ids=())] if whole else []):
        exact = _exact(scope)
        report = contacts(scope, "channel")
        assert report.per_contact == {n: c for n, c in exact.items() if c}
        assert report.contacts == sum(exact.values())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(needs=st.lists(NEED, max_size=25), released=st.lists(st.integers(0, 24), max_size=3))
# A contact's first inquiry taken for spam, a real need after it (numbered 1 too), and the
# spam released: numbered again, else that contact's two needs would count as two people.
@example(needs=[(1, 2, "spam", False), (1, 3, "new", False)], released=[0])
def test_needs_per_contact_equal_grouping_every_need(db, needs, released):
    for table in (Lead.__table__, Contact.__table__, Team.__table__):
        _db.session.execute(table.delete())
    check_per_contact(needs, released, whole=True)
