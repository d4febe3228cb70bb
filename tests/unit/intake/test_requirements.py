"""Issue 28: the building's requirements on the need (层高, 单层, 行车, 配电, 承重, 独门独院,
可分割) through the public form, the embed, agent entry, lead edit, the API and the importer."""
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.inputs import building
from crm.models import Lead
from tests.conftest import errors_in

GOOD = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": "y"}
REQUIREMENTS = {"ceiling_height_m": "8米以上", "single_storey": "single", "crane_t": "10T",
                "power_kva": "2MVA", "floor_load_t": "3000kg/㎡", "standalone": "y",
                "divisible": "y"}


def _lead(db):
    return db.session.scalars(select(Lead)).one()


def test_the_form_offers_the_requirements_folded_in_both_languages(client):
    zh = client.get("/inquiry").get_data(as_text=True)
    assert '<details class="group requirements fold-narrow" id="requirements">' in zh
    assert "更多要求" in zh and "独门独院" in zh
    en = client.get("/inquiry?lang=en").get_data(as_text=True)
    assert "More requirements (optional)" in en and "Standalone compound" in en


def test_the_form_stores_the_requirements_in_the_listing_units(client, db):
    assert client.post("/inquiry", data={**GOOD, **REQUIREMENTS}).status_code == 302
    lead = _lead(db)
    assert lead.ceiling_height_m == Decimal("8") and lead.single_storey is True
    assert lead.needs_crane is True and lead.crane_t == Decimal("10")
    assert lead.power_kva == 2000 and lead.floor_load_t == Decimal("3")
    assert lead.standalone is True and lead.divisible is True


def test_no_requirements_stay_unsaid(client, db):
    assert client.post("/inquiry", data=GOOD).status_code == 302
    lead = _lead(db)
    assert all(getattr(lead, name) is None for name in building.REQUIREMENTS)


def test_odd_figures_are_refused_next_to_the_field_and_kept(client, db):
    response = client.post("/inquiry?lang=en", data={
        **GOOD, "ceiling_height_m": "80", "power_kva": "5", "floor_load_t": "20kN/㎡",
        "crane_t": "abc"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    errors = errors_in(html)
    assert "This figure is too large for m; please check it." in errors
    assert "Please write the unit: 630kVA / 2MVA." in errors
    assert "Please give the floor load in t/㎡ (e.g. 3吨 or 3000kg/㎡)." in errors
    assert "Please enter a number, e.g. 10吨." in errors
    assert 'value="80"' in html and 'value="20kN/㎡"' in html
    # The group opens by itself when something in it is wrong.
    assert 'id="requirements" open' in html
    assert db.session.scalars(select(Lead)).all() == []
