"""The lead page's repeat history: each repeat's differences with "采用" and "作为新需求", the
POSTs behind them, and who may use them (crm/web/agent/repeats.py)."""
from datetime import UTC, datetime
from decimal import Decimal

import time_machine
from sqlalchemy import select

from crm.models import InquiryRepeat, Lead
from tests.factories import LeadFactory, TeamFactory, UserFactory

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


def a_lead_asked_again(db, owner) -> tuple[Lead, InquiryRepeat]:
    lead = LeadFactory(assigned_to=owner, team=owner.team, area_min_sqm=Decimal("2000"),
                       created_at=NOW)
    repeat = InquiryRepeat(original_lead_id=lead.id, matched_on="mobile", created_at=NOW,
                           reference="CF260615-RPT22", contact_name=lead.contact_name,
                           mobile_e164=lead.mobile_e164, message="面积要大一些",
                           details={"area_min_sqm": "3000.00", "area_max_sqm": "5000.00",
                                    "annual_tax_wan": "300"})
    db.session.add(repeat)
    db.session.commit()
    return lead, repeat


def test_differences_and_buttons_render_and_adopt_posts(client, auth, db):
    owner = UserFactory(email="me@example.com")
    lead, repeat = a_lead_asked_again(db, owner)
    with time_machine.travel(NOW, tick=False):
        auth.login("me@example.com")
        page = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
        assert "面积 3,000–5,000 ㎡，原为 ≥ 2,000 ㎡" in page
        assert "年纳税额 300 万元（原未填写）" in page
        assert page.count(">采用</button>") == 2 and ">全部采用</button>" in page
        assert ">作为新需求</button>" in page
        done = client.post(f"/agent/leads/{lead.id}/repeats/{repeat.id}/adopt",
                           data={"field": "area"})
        assert done.status_code == 302
        db.session.expire_all()
        lead = db.session.get(Lead, lead.id)
        assert (lead.area_min_sqm, lead.area_max_sqm, lead.annual_tax_wan) == (
            Decimal("3000"), Decimal("5000"), None)
        client.post(f"/agent/leads/{lead.id}/repeats/{repeat.id}/adopt", data={"field": "all"})
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).annual_tax_wan == Decimal("300")


def test_as_a_new_need_splits_and_the_repeat_then_links_to_it(client, auth, db):
    owner = UserFactory(email="me@example.com")
    lead, repeat = a_lead_asked_again(db, owner)
    with time_machine.travel(NOW, tick=False):
        auth.login("me@example.com")
        done = client.post(f"/agent/leads/{lead.id}/repeats/{repeat.id}/split")
        need = db.session.scalars(select(Lead).where(Lead.from_repeat_id == repeat.id)).one()
        assert done.status_code == 302 and done.headers["Location"].endswith(f"/agent/leads/{need.id}")
        page = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
        own = client.get(f"/agent/leads/{need.id}")
        # A second tap makes nothing more.
        client.post(f"/agent/leads/{lead.id}/repeats/{repeat.id}/split")
    assert need.reference == "CF260615-RPT22"
    assert f'已成为需求 <a href="/agent/leads/{need.id}">CF260615-RPT22</a>' in page
    assert ">作为新需求</button>" not in page and ">采用</button>" not in page
    own_page = own.get_data(as_text=True)
    assert own.status_code == 200 and "CF260615-RPT22" in own_page
    assert f"由再次咨询拆分 (原需求 {lead.reference})" in own_page and "面积要大一些" in own_page
    assert len(db.session.scalars(select(Lead).where(Lead.from_repeat_id == repeat.id)).all()) == 1


def test_an_agent_of_another_team_may_neither_adopt_nor_split(client, auth, db):
    owner = UserFactory(email="me@example.com")
    lead, repeat = a_lead_asked_again(db, owner)
    UserFactory(email="other@example.com", team=TeamFactory(is_default=False))
    auth.login("other@example.com")
    assert client.post(f"/agent/leads/{lead.id}/repeats/{repeat.id}/adopt",
                       data={"field": "all"}).status_code == 403
    assert client.post(f"/agent/leads/{lead.id}/repeats/{repeat.id}/split").status_code == 403
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).annual_tax_wan is None
    assert db.session.scalars(select(Lead).where(Lead.from_repeat_id == repeat.id)).first() is None


def test_a_repeat_of_another_lead_is_not_found(client, auth, db):
    owner = UserFactory(email="me@example.com")
    _lead, repeat = a_lead_asked_again(db, owner)
    mine = LeadFactory(assigned_to=owner, team=owner.team)
    auth.login("me@example.com")
    assert client.post(f"/agent/leads/{mine.id}/repeats/{repeat.id}/split").status_code == 404
    assert client.post(f"/agent/leads/{mine.id}/repeats/{repeat.id}/adopt",
                       data={"field": "all"}).status_code == 404
