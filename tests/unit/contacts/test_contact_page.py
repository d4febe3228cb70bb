"""The contact page (联系人): the person, every need the user may view with its stage and
owner, repeats, visits, recommendations, one timeline, and one audited reveal."""
from datetime import timedelta
from decimal import Decimal

import time_machine
from sqlalchemy import select

from crm.models import Activity, AuditLog, InquiryRepeat, Lead
from tests.factories import UserFactory
from tests.unit.contacts.conftest import NOW, ask, need_of

# Another need, asked long after: a new need under any repeat rule (another type and city).
LATER = NOW + timedelta(days=200)
FACTORY = {"deal_type": "rent", "property_type": "factory", "region_code": "320583",
           "area_min": Decimal("2000"), "industry": "机械"}
LAND = {"deal_type": "buy", "property_type": "land", "region_code": "340100",
        "area_min": Decimal("30"), "area_unit": "mu"}


def _login(auth, user):
    auth.login(user.email)


def test_a_contact_with_two_needs_made_by_capture_shows_both(client, auth, db, sent):
    first = db.session.get(Lead, ask(NOW, FACTORY))
    second = db.session.get(Lead, ask(LATER, LAND, company="合肥新材料有限公司"))
    assert first.contact_id == second.contact_id is not None
    UserFactory(role="admin", team=None, email="root@example.com")
    with time_machine.travel(LATER, tick=False):
        auth.login("root@example.com")
        response = client.get(f"/contacts/{first.contact_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:3000]
    needs = html[html.index('id="need-list"'):html.index('id="contact-timeline"')]
    assert first.reference in needs and second.reference in needs
    # Newest first; the second need carries the 新需求 badge; the stage of each is shown.
    assert needs.index(second.reference) < needs.index(first.reference)
    assert "新需求" in needs and needs.count('class="badge need-stage"') == 2
    assert "王经理" in html and "139 1234 5678" in html  # an admin sees the number
    assert f'/companies/{first.company_id}"' in html


def test_owner_sees_everything_of_the_contact_on_one_page(client, auth, db, shared):
    s = shared
    other = need_of(s.contact, s.company, team=s.mine.team, assigned_to=s.agent_a,
                    status="new", property_type="warehouse", created_at=NOW - timedelta(days=1))
    db.session.add_all([
        Activity(lead_id=s.mine.id, kind="call", author_id=s.agent_a.id, body="第一通电话",
                 created_at=NOW - timedelta(days=3)),
        Activity(lead_id=other.id, kind="note", author_id=s.agent_a.id, body="仓库需求备注",
                 created_at=NOW - timedelta(hours=1)),
        Activity(lead_id=s.theirs.id, kind="note", author_id=s.agent_b.id, body="二组的机密备注",
                 created_at=NOW - timedelta(hours=2)),
        InquiryRepeat(original_lead_id=s.mine.id, matched_on="mobile", reference="CF260614-R0001",
                      message="还在找吗", contact_id=s.contact.id, created_at=NOW - timedelta(days=5)),
        InquiryRepeat(original_lead_id=s.theirs.id, matched_on="mobile",
                      reference="CF260614-R0002", message="二组的再次咨询",
                      contact_id=s.contact.id, created_at=NOW - timedelta(days=1))])
    db.session.commit()
    _login(auth, s.agent_a)
    html = client.get(f"/contacts/{s.contact.id}").get_data(as_text=True)
    timeline = html[html.index('id="contact-timeline"'):]
    # The timeline runs across the needs, newest first, each entry naming its need.
    assert timeline.index("仓库需求备注") < timeline.index("第一通电话")
    assert other.reference in timeline and "CF260614-R0001" in html and "还在找吗" in html
    assert "139 1234 5678" in html and 'href="tel:+8613912345678"' in html  # the owner
    assert "wang@example.cn" in html and s.agent_a.name in html
    for secret in ("二组的机密备注", "CF260614-R0002", "二组的再次咨询"):
        assert secret not in html, secret
    assert db.session.scalars(select(AuditLog)).all() == []  # seeing is not a reveal


def test_one_reveal_for_the_person_audited_once(client, auth, db, shared):
    s = shared
    # Escalated to agent B on team A's need: B may view it, but does not hold it.
    s.mine.escalated_to_id = s.agent_b.id
    db.session.commit()
    _login(auth, s.agent_b)
    html = client.get(f"/contacts/{s.contact.id}").get_data(as_text=True)
    # B holds team B's need, so B sees the number there: move it away to test the reveal.
    assert "139 1234 5678" in html
    s.theirs.assigned_to_id = None
    s.theirs.status = "contacted"
    db.session.commit()
    html = client.get(f"/contacts/{s.contact.id}").get_data(as_text=True)
    assert "139****5678" in html and "139 1234 5678" not in html and "tel:" not in html
    assert "w***@example.cn" in html and "wang@example.cn" not in html
    assert client.get(f"/contacts/{s.contact.id}/reveal").status_code == 405
    revealed = client.post(f"/contacts/{s.contact.id}/reveal").get_data(as_text=True)
    assert "139 1234 5678" in revealed and "wang@example.cn" in revealed
    entry = db.session.scalars(select(AuditLog)).one()  # one row for the person, not per need
    assert (entry.action, entry.entity, entry.entity_id, entry.actor_id) == (
        "reveal_contact", "contact", s.contact.id, s.agent_b.id)


def test_a_reveal_on_a_contact_one_may_not_see_is_a_404_and_not_audited(client, auth, db,
                                                                       shared):
    s = shared
    s.mine.assigned_to_id = s.agent_b.id  # A now holds nothing of this contact
    db.session.commit()
    _login(auth, s.agent_a)
    assert client.post(f"/contacts/{s.contact.id}/reveal").status_code == 404
    assert db.session.scalars(select(AuditLog)).all() == []


def test_the_lead_page_links_the_contact_and_the_company(client, auth, db, shared):
    _login(auth, shared.agent_a)
    html = client.get(f"/agent/leads/{shared.mine.id}").get_data(as_text=True)
    assert f'href="/contacts/{shared.contact.id}"' in html
    assert f'href="/companies/{shared.company.id}"' in html


def test_a_wechat_only_contact_is_masked_and_revealed_by_its_wechat_id(client, auth, db, shared):
    s = shared
    s.contact.mobile_e164, s.contact.mobile_display, s.contact.wechat_id = None, "", "wang_wx01"
    s.mine.assigned_to_id, s.mine.escalated_to_id = None, s.agent_b.id
    s.mine.status = "contacted"
    db.session.commit()
    auth.login(s.manager_a.email)
    assert "wang_wx01" in client.get(f"/contacts/{s.contact.id}").get_data(as_text=True)
    auth.logout()
    auth.login(s.agent_b.email)
    s.theirs.assigned_to_id = None
    db.session.commit()
    html = client.get(f"/contacts/{s.contact.id}").get_data(as_text=True)
    assert "wa****01" in html and "wang_wx01" not in html and "仅微信" in html
    assert "显示微信号" in html
    assert "wang_wx01" in client.post(f"/contacts/{s.contact.id}/reveal").get_data(as_text=True)
