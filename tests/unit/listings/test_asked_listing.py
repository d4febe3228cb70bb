"""Issue 15: an inquiry sent from a listing's page names the listing, prefills the need
from it, and the lead shows the listing and ranks it first among suggestions."""
from decimal import Decimal

from sqlalchemy import select

from crm.models import Lead, Listing
from tests.factories import UserFactory

GOOD = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": "y"}


def _listing(db, **kwargs):
    values = dict(title="长兴独栋厂房 3000㎡", property_type="warehouse", deal_type="buy",
                  region_code="330522", park="长兴经济开发区",
                  area_sqm=Decimal("3000"), status="available")
    listing = Listing(**{**values, **kwargs})
    db.session.add(listing)
    db.session.commit()
    return listing


def test_the_form_names_the_listing_and_the_lead_carries_it(client, auth, db):
    agent = UserFactory(email="me@example.com")
    listing = _listing(db)
    _listing(db, title="另一处仓库", area_sqm=Decimal("3000"))       # a closer score, not asked
    page = client.get(f"/inquiry?listing={listing.id}").get_data(as_text=True)
    assert 'id="about-listing"' in page and "长兴独栋厂房 3000㎡" in page
    assert 'checked id="property_type-1" name="property_type" type="radio" value="warehouse"' in page
    assert 'checked id="deal_type-1" name="deal_type" type="radio" value="buy"' in page
    assert 'value="浙江 / 湖州 / 长兴县"' in page  # the region box shows the place's path

    refused = client.post("/inquiry", data={**GOOD, "mobile": "400 800 1234",
                                            "listing_id": str(listing.id)})
    assert refused.status_code == 422 and "长兴独栋厂房 3000㎡" in refused.get_data(as_text=True)

    # The prospect only gave a name and a number (an API client, a stripped-down form).
    assert client.post("/inquiry", data={**GOOD, "listing_id": str(listing.id)}).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert (lead.deal_type, lead.property_type, lead.region_code) == (
        "buy", "warehouse", "330522")

    auth.login("me@example.com")
    assert lead.assigned_to_id == agent.id
    html = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert 'id="asked-listing"' in html and f"#{listing.id}" not in html
    suggestions = html.split('id="listings"')[1]
    assert suggestions.index("长兴独栋厂房 3000㎡") < suggestions.index("另一处仓库")
    assert "客户从该房源页面咨询" in suggestions


def test_a_let_listing_is_not_offered(client, db):
    listing = _listing(db, status="let_or_sold")
    page = client.get(f"/inquiry?listing={listing.id}").get_data(as_text=True)
    assert 'id="about-listing"' not in page
    assert 'checked id="deal_type-1"' not in page
