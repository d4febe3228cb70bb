"""`flask crm seed-demo`: every need has its person, and the issue's people are there
(issue 30: a 同行 with three needs in a week, a company with two contacts, a returning
prospect)."""
from collections import Counter
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from crm.models import Company, Contact, Lead
from tests.unit.demo.conftest import NOW


def test_no_demo_lead_without_its_contact(demo):
    leads = demo.session.scalars(select(Lead)).all()
    assert len(leads) == 42
    assert all(lead.contact_id is not None for lead in leads)
    # Every lead naming a company is filed under one, as intake files it.
    assert all(lead.company_id is not None for lead in leads if lead.company)
    # Needs are numbered per contact in the order they came, from 1.
    by_contact: dict[int, list[Lead]] = {}
    for lead in sorted(leads, key=lambda lead: (lead.created_at, lead.id)):
        by_contact.setdefault(lead.contact_id, []).append(lead)
    for needs in by_contact.values():
        assert [lead.contact_seq for lead in needs] == list(range(1, len(needs) + 1))
    # The contact holds the person the lead names (intake's copy of the columns agrees).
    for lead in leads:
        if lead.mobile_e164:
            assert lead.contact.mobile_e164 == lead.mobile_e164


def test_a_peer_broker_with_three_needs_in_one_week_for_three_companies(demo):
    peers = demo.session.scalars(select(Contact).where(Contact.is_peer.is_(True))).all()
    assert len(peers) == 1
    peer = peers[0]
    needs = demo.session.scalars(select(Lead).where(Lead.contact_id == peer.id)
                                 .order_by(Lead.created_at)).all()
    assert len(needs) == 3
    assert needs[-1].created_at - needs[0].created_at < timedelta(days=7)
    assert len({lead.company_id for lead in needs}) == 3
    # Filed under the broker's own firm, not under a client's company.
    assert peer.company_id not in {lead.company_id for lead in needs}
    assert "经纪" in peer.company.name
    assert all(lead.status not in ("won", "lost", "spam") for lead in needs)


def test_a_company_with_two_people(demo):
    rows = demo.session.execute(
        select(Company.id, Company.name, Contact.id, Contact.mobile_e164)
        .join(Contact, Contact.company_id == Company.id)
        .where(Company.name == "宁波某某智能装备有限公司")).all()
    assert len(rows) == 2
    assert len({row[3] for row in rows}) == 2 and all(row[3] for row in rows)
    # Each of them asked for something, filed under the company.
    for row in rows:
        need = demo.session.scalars(select(Lead).where(Lead.contact_id == row[2])).one()
        assert need.company_id == row[0]


def test_a_returning_prospect_with_an_old_closed_need_and_a_new_open_one(demo):
    returning = [
        contact_id for contact_id, seq in demo.session.execute(
            select(Lead.contact_id, Lead.contact_seq).where(Lead.contact_seq == 2))
        if _closed_first_need(demo, contact_id)]
    assert returning, "no contact whose first need is closed and second open"
    needs = demo.session.scalars(select(Lead).where(Lead.contact_id == returning[0])
                                 .order_by(Lead.contact_seq)).all()
    first, second = needs
    assert first.status in ("won", "lost") and second.status not in ("won", "lost", "spam")
    assert second.created_at - first.created_at > timedelta(days=180)
    assert first.assigned_to_id is not None and second.assigned_to_id is not None


def _closed_first_need(db, contact_id: int) -> bool:
    statuses = db.session.scalars(select(Lead.status).where(Lead.contact_id == contact_id)
                                  .order_by(Lead.contact_seq)).all()
    return len(statuses) == 2 and statuses[0] in ("won", "lost") and statuses[1] not in (
        "won", "lost", "spam")


def test_a_small_demo_still_links_every_lead(runner, db):
    """Fewer leads than the stories need: random ones only, each with its contact."""
    with time_machine.travel(NOW, tick=False):
        assert runner.invoke(args=["crm", "seed-demo", "--leads", "3"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Lead)
                             .where(Lead.contact_id.is_(None))) == 0
    assert db.session.scalar(select(func.count()).select_from(Contact)
                             .where(Contact.is_peer.is_(True))) == 0
    assert Counter(db.session.scalars(select(Lead.contact_seq))) == {1: 5}
