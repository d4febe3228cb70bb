"""A contact whose needs two teams work: the people and rows the contact tests share."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from crm.models import Company, Contact, Lead, User
from tests.factories import LeadFactory, TeamFactory, UserFactory

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
MOBILE = "+8613912345678"


@dataclass
class Shared:
    contact: Contact
    company: Company
    mine: Lead          # team A's need, held by agent A
    theirs: Lead        # team B's need, held by agent B
    agent_a: User
    agent_b: User
    manager_a: User
    admin: User


def need_of(contact: Contact, company: Company | None = None, **kw) -> Lead:
    """A need of `contact` with its copies of the contact columns (as capture writes them)."""
    return LeadFactory(contact_id=contact.id, company_id=company.id if company else None,
                       contact_name=contact.name, mobile_e164=contact.mobile_e164 or "",
                       mobile_display=contact.mobile_display,
                       company=company.name if company else "", **kw)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def shared(db, frozen) -> Shared:
    team_a, team_b = TeamFactory(name="招商一组"), TeamFactory(name="招商二组", is_default=False)
    agent_a = UserFactory(team=team_a, email="a@example.com", name="李招商")
    agent_b = UserFactory(team=team_b, email="b@example.com", name="赵招商")
    manager_a = UserFactory(team=team_a, email="boss-a@example.com", role="manager")
    admin = UserFactory(team=None, email="root@example.com", role="admin")
    company = Company(name="苏州恒信科技有限公司", name_key="苏州恒信科技",
                      credit_code="91320583MA1XXXXX0K", industry="机械")
    db.session.add(company)
    db.session.flush()
    contact = Contact(name="王经理", name_key="王经理", mobile_e164=MOBILE,
                      mobile_display="139 1234 5678", email="wang@example.cn",
                      company_id=company.id, created_at=NOW - timedelta(days=30))
    db.session.add(contact)
    db.session.commit()
    mine = need_of(contact, company, team=team_a, assigned_to=agent_a, status="contacted",
                   deal_type="rent", property_type="factory", region_code="320583",
                   area_min_sqm=Decimal("2000"), contact_seq=1,
                   created_at=NOW - timedelta(days=30))
    theirs = need_of(contact, company, team=team_b, assigned_to=agent_b, status="qualified",
                     deal_type="buy", property_type="land", region_code="340100",
                     region_text="合肥高新区", annual_tax_wan=Decimal("987"), contact_seq=2,
                     usage="秘密的锂电池项目", created_at=NOW - timedelta(days=2))
    return Shared(contact, company, mine, theirs, agent_a, agent_b, manager_a, admin)


@pytest.fixture
def sent(monkeypatch):
    """Tasks capture would publish (routing, notices), kept instead of published."""
    from crm.intake import capture
    tasks: list = []
    monkeypatch.setattr(capture, "enqueue_routing", lambda lead_id: tasks.append(lead_id))
    monkeypatch.setattr(capture, "enqueue", lambda name, *args: tasks.append(name))
    return tasks


def ask(at: datetime, need: dict, company: str = "苏州恒信科技有限公司") -> int:
    """An inquiry from 王经理's mobile through capture (which links the contact): its lead id."""
    from crm.inputs.phone import parse_mobile
    from crm.intake import capture
    from crm.intake.inquiry import ContactInput, Inquiry, NeedInput, Source
    inquiry = Inquiry(contact=ContactInput(name="王经理", mobile=parse_mobile(MOBILE[3:]),
                                           company=company),
                      need=NeedInput(**need), source=Source(channel="api"), consent=True)
    with time_machine.travel(at, tick=False):
        outcome = capture.capture_inquiry(inquiry)
    assert outcome.status == "new", outcome
    return outcome.lead_id
