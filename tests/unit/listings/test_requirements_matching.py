"""Issue 28: matching uses the need's building requirements. A listing that states a value
failing a hard requirement (height, crane, power, load, storeys, standalone) is left out and
the lead page says why; one that does not state it is ranked lower, with what to ask."""
from decimal import Decimal

from sqlalchemy import select

from crm.listings import matching
from crm.models import Listing
from tests.factories import LeadFactory, UserFactory
from tests.unit.listings.test_listings_matching import _listing as listing_in


def _listing(db, **kwargs):
    return listing_in(db, **{"region_code": "330522", **kwargs})


def _lead(**kwargs):
    return LeadFactory(property_type="factory", deal_type="rent", region_code="330522",
                       area_min_sqm=Decimal("3000"), area_max_sqm=Decimal("3000"), needs_eia=False,
                       ceiling_height_m=Decimal("8"), single_storey=True, needs_crane=True,
                       crane_t=Decimal("10"), power_kva=500, floor_load_t=Decimal("3"),
                       standalone=True, **kwargs)


FITS = dict(ceiling_height_m=Decimal("10"), floors=1, crane_t=Decimal("16"), power_kva=800,
            floor_load_t=Decimal("5"), standalone=True)


def test_hard_requirements_exclude_and_say_why(app, db):
    lead = _lead()
    fits = _listing(db, title="合适", **FITS)
    low = _listing(db, title="层高不够", **{**FITS, "ceiling_height_m": Decimal("6")})
    floors = _listing(db, title="多层", **{**FITS, "floors": 3})
    crane = _listing(db, title="行车太小", **{**FITS, "crane_t": Decimal("5")})
    power = _listing(db, title="配电不够", **{**FITS, "power_kva": 315})
    load = _listing(db, title="承重不够", **{**FITS, "floor_load_t": Decimal("1")})
    yard = _listing(db, title="非独院", **{**FITS, "standalone": False})
    unsaid = _listing(db, title="未注明", floors=1)
    with app.test_request_context("/?lang=en"):
        ranked, excluded = matching.fit(lead, limit=10, minimum=0)
        titles = [m.listing.title for m in ranked]
        assert titles == [fits.title, unsaid.title]
        top = ranked[0]
        assert top.score == 100 and not top.warnings
        assert {"Clear height 10 m", "Crane 16 t", "Power 800 kVA", "Floor load 5 t/㎡",
                "Single storey", "Standalone compound"} <= set(top.reasons)
        # Not stated: still shown, lower, with what to ask.
        assert ranked[1].score < top.score
        assert ranked[1].warnings == [
            "Not stated, ask: Clear height, Crane, Power, Floor load, Standalone compound"]
        why = {m.listing.title: m.warnings for m in excluded}
        assert why == {low.title: ["Clear height 6 m, needs 8 m"],
                       floors.title: ["3 storeys, needs single storey"],
                       crane.title: ["Crane 5 t, needs 10 t"],
                       power.title: ["Power 315 kVA, needs 500 kVA"],
                       load.title: ["Floor load 1 t/㎡, needs 3 t/㎡"],
                       yard.title: ["Not a standalone compound"]}
        assert [m.listing.title for m in matching.rank(lead, limit=10, minimum=0)] == titles


def test_a_crane_of_any_size_and_divisible_wanted(app, db):
    lead = LeadFactory(property_type="factory", needs_crane=True, divisible=True)
    crane = _listing(db, title="有行车", crane_t=Decimal("5"), divisible=True)
    none = _listing(db, title="无行车", crane_t=Decimal("0"))
    with app.test_request_context("/?lang=en"):
        ranked, excluded = matching.fit(lead, limit=10, minimum=0)
        assert [m.listing.title for m in ranked] == [crane.title]
        assert "Divisible" in ranked[0].reasons
        assert excluded[0].listing.title == none.title
        assert excluded[0].warnings == ["Not divisible", "No crane"]


def test_a_lead_without_requirements_scores_as_before(app, db):
    lead = LeadFactory(property_type="factory", deal_type="rent", region_code="330522",
                       area_min_sqm=Decimal("3000"), area_max_sqm=Decimal("3000"), needs_eia=False)
    _listing(db, title="普通")
    with app.test_request_context("/?lang=en"):
        ranked, excluded = matching.fit(lead)
        assert ranked[0].score == 100 and excluded == []


def test_the_lead_page_shows_the_requirements_and_the_left_out(client, auth, db):
    me = UserFactory(email="me@example.com")
    lead = _lead(assigned_to=me)
    _listing(db, title="合适", **FITS)
    _listing(db, title="层高不够", **{**FITS, "ceiling_height_m": Decimal("6")})
    auth.login("me@example.com")
    html = client.get(f"/agent/leads/{lead.id}?lang=en").get_data(as_text=True)
    assert "Clear height at least (m): 8 m" in html and "Single storey only" in html
    assert "Crane of at least (t): 10 t" in html and "Standalone compound (独门独院)" in html
    assert "Left out: 1 listings that do not meet a requirement" in html
    assert "Clear height 6 m, needs 8 m" in html
    zh = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert "层高 6 m，需要 8 m" in zh and "层高不低于（米）: 8 m" in zh


def test_the_listing_form_takes_crane_and_standalone_in_the_shared_units(client, auth, db):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    ok = client.post("/agent/listings/new", data={
        "title": "带行车厂房", "property_type": "factory", "deal_type": "rent", "area": "3000",
        "price": "0.8", "ceiling_height_m": "1000cm", "power_kva": "1.25MVA",
        "crane_t": "16T", "standalone": "no", "status": "available"})
    assert ok.status_code == 302
    listing = db.session.scalars(select(Listing)).one()
    assert listing.ceiling_height_m == Decimal("10") and listing.power_kva == 1250
    assert listing.crane_t == Decimal("16") and listing.standalone is False
    edit = client.get(f"/agent/listings/{listing.id}/edit").get_data(as_text=True)
    assert '<input checked id="standalone-1" name="standalone" type="radio" value="no">' in edit
    none = client.post("/agent/listings/new", data={
        "title": "无行车", "property_type": "factory", "deal_type": "rent", "area": "3000",
        "price": "0.8", "crane_t": "0", "status": "available"})
    assert none.status_code == 302
    assert db.session.scalars(select(Listing).where(Listing.title == "无行车")).one().crane_t == 0
    bad = client.post("/agent/listings/new?lang=en", data={
        "title": "x", "property_type": "factory", "deal_type": "rent", "area": "3000",
        "price": "0.8", "ceiling_height_m": "80", "power_kva": "630kW"})
    assert bad.status_code == 422
