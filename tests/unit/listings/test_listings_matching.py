"""Listings: validation like the inquiry form, matching with reasons, recommendations."""
from decimal import Decimal

from sqlalchemy import select

from crm.listings import matching
from crm.models import Activity, LeadListing, Listing
from tests.conftest import errors_in
from tests.factories import LeadFactory, UserFactory


def _listing(db, **kwargs):
    values = dict(title="厂房", property_type="factory", deal_type="rent", region_code="3305",
                  area_sqm=Decimal("3000"), price=Decimal("0.8"), status="available")
    values.update(kwargs)
    listing = Listing(**values)
    db.session.add(listing)
    db.session.commit()
    return listing


def test_ranking_by_fit_with_reasons(app, db):
    lead = LeadFactory(property_type="factory", deal_type="rent", region_code="3305",
                       area_min_sqm=Decimal("2000"), area_max_sqm=Decimal("4000"), needs_eia=True)
    best = _listing(db, title="长兴独栋", region_code="330522", eia_possible=True)
    near = _listing(db, title="嘉兴厂房", region_code="3304", eia_possible=True)
    big = _listing(db, title="大厂房可分", area_sqm=Decimal("9000"), divisible=True, eia_possible=True)
    no_eia = _listing(db, title="不能环评", eia_possible=False)
    sale = _listing(db, title="出售厂房", deal_type="buy", eia_possible=True)
    _listing(db, title="仓库", property_type="warehouse", eia_possible=True)
    _listing(db, title="已出租", status="let_or_sold", eia_possible=True)
    with app.test_request_context("/?lang=en"):
        ranked = matching.rank(lead, limit=10, minimum=0, include_blocked=True)
        titles = [m.listing.title for m in ranked]
        assert titles[0] == best.title
        assert "仓库" not in titles and "已出租" not in titles
        assert titles.index(near.title) < titles.index(sale.title)
        assert titles.index(big.title) < titles.index(sale.title)
        assert titles[-1] == no_eia.title
        top = ranked[0]
        assert top.score == 100
        assert {"Same property type", "For rent, as wanted", "In the wanted region",
                "Area within the wanted range", "Environmental assessment possible"} == set(top.reasons)
        by_title = {m.listing.title: m for m in ranked}
        assert "Larger, but divisible" in by_title[big.title].reasons
        assert "Same province" in by_title[near.title].reasons
        assert "Needs environmental assessment, not possible here" in by_title[no_eia.title].warnings
        # The default cut-off hides the listings that do not fit.
        assert no_eia.title not in [m.listing.title for m in matching.rank(lead)]


def test_listing_form_validates_like_the_inquiry_form(client, auth, db):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    bad = client.post("/agent/listings/new?lang=en", data={
        "title": "", "property_type": "castle", "deal_type": "rent", "area": "abc",
        "floors": "2.5", "price": "", "region_code": "mars"})
    assert bad.status_code == 422
    errors = errors_in(bad.get_data(as_text=True))
    for message in ("Please give the listing a title.", "Please enter a number, e.g. 5000.",
                    "Please enter a whole number.", "Please enter a price, or tick negotiable.",
                    "No place called “mars”: type a city or county name (e.g. 昆山) and pick it"
                    " from the suggestions."):
        assert message in errors, message
    rent = client.post("/agent/listings/new?lang=en", data={
        "title": "x", "property_type": "factory", "deal_type": "rent", "area": "1000",
        "price": "35000"})
    assert "Rent is in yuan per ㎡ per day; please check the figure." in errors_in(rent.get_data(as_text=True))
    ok = client.post("/agent/listings/new", data={
        "title": "长兴土地", "property_type": "land", "deal_type": "buy", "region_code": "330522",
        "area": "１７.８亩", "area_unit": "mu", "price": "1,104万", "eia_possible": "y",
        "floors": "", "status": "available"})
    assert ok.status_code == 302
    listing = db.session.scalars(select(Listing)).one()
    assert listing.area_sqm == Decimal("11866.73") and listing.area_unit == "mu"
    assert listing.price == Decimal("1104.00") and listing.eia_possible
    edit = client.get(f"/agent/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="17.80"' in edit  # shown in the unit it was entered in
    negotiable = client.post("/agent/listings/new", data={
        "title": "面议厂房", "property_type": "factory", "deal_type": "rent", "area": "800",
        "price_negotiable": "y", "status": "available"})
    assert negotiable.status_code == 302


def test_recommend_and_site_visit_show_on_both_pages(client, auth, db):
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me, property_type="factory", deal_type="rent",
                       region_code="3305", area_min_sqm=Decimal("2000"), area_max_sqm=Decimal("4000"))
    listing = _listing(db, title="长兴独栋厂房")
    auth.login("me@example.com")
    page = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert "长兴独栋厂房" in page[page.index('id="listings"'):]
    for kind in ("recommended", "recommended", "site_visit"):  # a double tap records once
        assert client.post(f"/agent/leads/{lead.id}/listings/{listing.id}/{kind}").status_code == 302
    kinds = db.session.scalars(select(LeadListing.kind).order_by(LeadListing.id)).all()
    assert kinds == ["recommended", "site_visit"]
    assert len(db.session.scalars(select(Activity).where(Activity.kind == "listing")).all()) == 2
    detail = client.get(f"/agent/listings/{listing.id}").get_data(as_text=True)
    assert lead.reference in detail
    assert client.post(f"/agent/leads/{lead.id}/listings/{listing.id}/bogus").status_code == 404
    # Another agent sees the listing but not whom it was shown to.
    auth.logout()
    UserFactory(email="other@example.com")
    auth.login("other@example.com")
    assert lead.reference not in client.get(f"/agent/listings/{listing.id}").get_data(as_text=True)


def test_public_listing_page_carries_the_inquiry_form(client, db):
    listing = _listing(db, title="松江G60厂房")
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "松江G60厂房" in html
    assert f'name="listing_id" type="hidden" value="{listing.id}"' in html
    gone = _listing(db, title="已租出", status="let_or_sold")
    assert client.get(f"/listings/{gone.id}").status_code == 404
    assert client.get("/listings/99999").status_code == 404


def test_the_recommend_button_says_what_it_will_do_until_it_is_done(client, auth, db):
    """Issue 15: the button read "Recommended" (已推荐) before it was pressed."""
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me, property_type="factory", deal_type="rent",
                       region_code="3305", area_min_sqm=Decimal("2000"), area_max_sqm=Decimal("4000"))
    listing = _listing(db, title="长兴独栋厂房")
    auth.login("me@example.com")
    before = client.get(f"/agent/leads/{lead.id}?lang=en").get_data(as_text=True)
    assert "Recommend it" in before and "✓ Recommended" not in before
    client.post(f"/agent/leads/{lead.id}/listings/{listing.id}/recommended")
    after = client.get(f"/agent/leads/{lead.id}?lang=en").get_data(as_text=True)
    assert "✓ Recommended" in after and "Book a site visit" in after
