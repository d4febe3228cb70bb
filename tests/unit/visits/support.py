"""Listings, a lead and its agent, at a fixed moment (Shanghai 2026-12-02 10:00)."""
from datetime import UTC, datetime
from decimal import Decimal

from crm.models import Listing
from tests.factories import LeadFactory, TeamFactory, UserFactory

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Wednesday


def listing(db, **kwargs) -> Listing:
    values = dict(title="长兴独栋厂房 3000㎡", property_type="factory", deal_type="rent",
                  region_code="330522", park="长兴经济开发区",
                  area_sqm=Decimal("3000"), status="available", eia_possible=True,
                  ceiling_height_m=Decimal("9.5"), floor_load_t=Decimal("3"), power_kva=800,
                  price=Decimal("0.9"))
    row = Listing(**{**values, **kwargs})
    db.session.add(row)
    db.session.commit()
    return row


def lead_with_agent(email="me@example.com", **lead_kwargs):
    team = TeamFactory()
    agent = UserFactory(team=team, email=email, name="王顾问", contact_phone="138-0000-1234",
                        contact_wechat="wang_factory")
    lead = LeadFactory(assigned_to=agent, team=team, contact_name="刘先生",
                       mobile_e164="+8613391219793", mobile_display="133 9121 9793",
                       company="湖州新能源汽车零部件有限公司", status="contacted", **lead_kwargs)
    return team, agent, lead
