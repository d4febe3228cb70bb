"""Issue 28: the building's requirements on the need (层高, 单层, 行车, 配电, 承重, 独门独院,
可分割) through the public form, the embed, agent entry, lead edit, the API and the importer."""
import json
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.inputs import building
from crm.models import Lead
from tests.conftest import errors_in
from tests.factories import LeadFactory, UserFactory, make_site

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


def test_odd_figures_are_kept_as_typed_on_the_form_and_refused_at_agent_entry(
        client, auth, db):
    odd = {"ceiling_height_m": "80", "power_kva": "5", "floor_load_t": "20kN/㎡", "crane_t": "abc"}
    # The prospect is never refused over a figure: fields empty, the words kept for the agent.
    assert client.post("/inquiry?lang=en", data={**GOOD, **odd}).status_code == 302
    lead = _lead(db)
    assert all(getattr(lead, name) is None for name in odd)
    assert "未能识别（按原文保留）：" in lead.message and "承重不低于（吨/㎡）: 20kN/㎡" in lead.message
    # The agent at the keyboard gets the reason next to the field.
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    response = client.post("/agent/leads/new?lang=en", data={
        "contact_name": "周女士", "mobile": "13800138000", "consent": "y", "channel": "phone",
        **odd})
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
    assert db.session.scalars(select(Lead)).all() == [lead]


def test_the_embed_and_agent_entry_take_them_too(client, auth, db):
    site, _key = make_site()
    html = client.get(f"/embed/inquiry?site={site.public_key}").get_data(as_text=True)
    assert 'id="requirements"' in html
    assert client.post(f"/embed/inquiry?site={site.public_key}",
                       data={**GOOD, "power_kva": "500千伏安"}).status_code == 302
    assert _lead(db).power_kva == 500
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    assert 'id="requirements"' in client.get("/agent/leads/new").get_data(as_text=True)
    response = client.post("/agent/leads/new", data={
        "contact_name": "周女士", "mobile": "13800138000", "consent": "y", "channel": "phone",
        "ceiling_height_m": "800cm", "needs_crane": "y", "single_storey": "any"})
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead).where(Lead.contact_name == "周女士")).one()
    assert lead.ceiling_height_m == Decimal("8") and lead.needs_crane is True
    assert lead.crane_t is None and lead.single_storey is False


def test_the_lead_edit_shows_changes_and_audits_them(client, auth, db):
    me = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=me, mobile_e164="+8613391219793",
                       mobile_display="133 9121 9793", power_kva=630, standalone=True)
    auth.login("me@example.com")
    form = client.get(f"/agent/leads/{lead.id}/edit").get_data(as_text=True)
    assert 'id="requirements" open' in form and 'value="630' in form
    data = {"contact_name": lead.contact_name, "mobile": "133 9121 9793", "needs_eia": "unknown",
            "power_kva": "1250kVA", "floor_load_t": "2吨", "standalone": "y"}
    assert client.post(f"/agent/leads/{lead.id}/edit", data=data).status_code == 302
    db.session.refresh(lead)
    assert lead.power_kva == 1250 and lead.floor_load_t == Decimal("2") and lead.standalone
    page = client.get(f"/agent/leads/{lead.id}?lang=en").get_data(as_text=True)
    assert "Power at least (kVA): 1250 kVA" in page and "Floor load at least (t/㎡): 2 t/㎡" in page
    assert "Standalone compound (独门独院)" in page


# --- the API ------------------------------------------------------------------------------

@pytest.fixture
def api_key(app):
    return make_site()[1]


def _api(client, key, body):
    return client.post("/api/v1/inquiries", data=json.dumps(body), headers={"X-Api-Key": key},
                       content_type="application/json")


def test_the_api_takes_and_echoes_the_requirements(client, db, api_key):
    body = {"contact_name": "刘先生", "mobile": "13391219793", "consent": True,
            "ceiling_height_m": 8, "single_storey": True, "crane_t": "10吨", "power_kva": "2MVA",
            "floor_load_t": 3, "standalone": True, "divisible": False, "needs_crane": None}
    response = _api(client, api_key, body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["understood"] == {
        "ceiling_height_m": 8.0, "crane_t": 10.0, "power_kva": 2000.0, "floor_load_t": 3.0}
    lead = _lead(db)
    assert (lead.ceiling_height_m, lead.single_storey, lead.needs_crane, lead.crane_t) == (
        Decimal("8"), True, True, Decimal("10"))
    assert (lead.power_kva, lead.floor_load_t, lead.standalone, lead.divisible) == (
        2000, Decimal("3"), True, None)


def test_a_json_number_is_in_the_fields_unit_and_odd_ones_are_kept_as_typed(client, db, api_key):
    # 5 as a JSON number is 5 kVA (the field's unit); "5" as text could be MVA: kept as typed.
    ok = _api(client, api_key, {**GOOD, "consent": True, "power_kva": 5})
    assert ok.status_code == 201 and _lead(db).power_kva == 5
    bad = _api(client, api_key, {**GOOD, "consent": True, "mobile": "13800138000", "power_kva": "5",
                        "ceiling_height_m": 80, "floor_load_t": "500kW", "single_storey": "yes",
                        "standalone": 1})
    assert bad.status_code == 422
    errors = bad.get_json()["errors"]
    assert set(errors) == {"single_storey", "standalone"}  # JSON types first
    kept = _api(client, api_key, {**GOOD, "consent": True, "mobile": "13800138001",
                                  "power_kva": "5", "ceiling_height_m": 80,
                                  "floor_load_t": "20kN/㎡"})
    assert kept.status_code == 201   # never refused over a figure: kept as typed
    assert kept.get_json()["understood"]["unread"] == {
        "power_kva": "5", "ceiling_height_m": "80m", "floor_load_t": "20kN/㎡"}  # a number in its unit


def test_the_openapi_document_describes_them(client):
    schema = client.get("/api/v1/openapi.json").get_json()
    props = schema["components"]["schemas"]["Inquiry"]["properties"]
    assert props["power_kva"]["anyOf"][0] == {"type": "number", "minimum": 1, "maximum": 200000}
    assert props["ceiling_height_m"]["anyOf"][0]["maximum"] == 30
    assert props["standalone"]["type"] == "boolean"
    created = schema["components"]["schemas"]["Created"]["properties"]["understood"]
    assert "power_kva" in created["properties"]


# --- odd values: never a 500, never stored in the wrong unit -----------------------------

_UNITS = {  # written unit → (field, factor to the stored unit)
    "ceiling_height_m": {"": 1, "米": 1, "m": 1, "M": 1, "cm": Decimal("0.01"),
                         "厘米": Decimal("0.01")},
    "crane_t": {"": 1, "吨": 1, "t": 1, "T": 1},
    "power_kva": {"kVA": 1, "KVA": 1, "千伏安": 1, "MVA": 1000, "兆伏安": 1000},
    "floor_load_t": {"": 1, "吨": 1, "t/㎡": 1, "吨/平": 1, "kg/㎡": Decimal("0.001"),
                     "公斤/平米": Decimal("0.001")},
}

figures = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False)
measured = st.sampled_from(sorted(_UNITS)).flatmap(
    lambda name: st.tuples(st.just(name), figures, st.sampled_from(sorted(_UNITS[name]))))
odd_text = st.one_of(st.text(max_size=30), st.sampled_from(
    ["80", "8,0", "８米", "十米", "1万", "1e3", "-8", "NaN", "Infinity", "8-10米", "8米 10米",
     "500kW", "5", "0.001", "3000", "1.5MVA", "2万kVA", "二十吨", "\x00", "8平"]))

REQ_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                        suppress_health_check=[HealthCheck.function_scoped_fixture,
                                               HealthCheck.too_slow])


@REQ_SETTINGS
@given(case=measured)
def test_a_figure_with_its_unit_is_stored_converted_or_kept_as_typed(client, db, case):
    name, figure, unit = case
    db.session.query(Lead).delete()
    db.session.commit()
    response = client.post("/inquiry?lang=en", data={**GOOD, name: f"{figure}{unit}"})
    assert response.status_code == 302
    meant = figure * _UNITS[name][unit]
    measure = building.MEASURES[name]
    step = Decimal(1) if measure.whole else Decimal("0.01")
    rounded = meant.quantize(step, rounding="ROUND_HALF_UP")
    lead = _lead(db)
    if getattr(lead, name) is not None:
        assert getattr(lead, name) == rounded
    else:
        assert not (0 < rounded <= measure.maximum), (name, figure, unit)
        assert f"{figure}{unit}" in lead.message


@REQ_SETTINGS
@given(values=st.dictionaries(st.sampled_from(sorted(building.MEASURES)), odd_text, min_size=1))
def test_odd_text_never_fails_and_never_stores_out_of_bounds(client, db, values):
    response = client.post("/inquiry", data={**GOOD, **values})
    assert response.status_code in (302, 422)
    for lead in db.session.scalars(select(Lead)):
        for name, measure in building.MEASURES.items():
            value = getattr(lead, name)
            assert value is None or 0 < value <= measure.maximum


@REQ_SETTINGS
@given(body=st.dictionaries(
    st.sampled_from(["ceiling_height_m", "single_storey", "needs_crane", "crane_t", "power_kva",
                     "floor_load_t", "standalone", "divisible"]),
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), odd_text,
              st.lists(st.integers(), max_size=2)), min_size=1))
def test_the_api_never_fails_on_odd_requirements(client, db, api_key, body):
    response = _api(client, api_key, {"contact_name": "刘先生", "mobile": "13391219793",
                                      "consent": True, **body})
    assert response.status_code in (201, 422), response.get_data(as_text=True)[:300]
    for lead in db.session.scalars(select(Lead)):
        for name, measure in building.MEASURES.items():
            value = getattr(lead, name)
            assert value is None or 0 < value <= measure.maximum


# --- the importer ------------------------------------------------------------------------

def test_the_importer_reads_the_requirement_columns_through_the_form(client, auth, db):
    from crm.intake import importer
    headers = ["联系人", "手机", "层高(米)", "单层/多层", "行车", "配电(kVA)", "承重", "独门独院", "可分割",
               "备注"]
    mapping = importer.guess_mapping(headers)
    assert {k: mapping[k] for k in ("ceiling_height_m", "single_storey", "crane_t", "power_kva",
                                    "floor_load_t", "standalone", "divisible")} == {
        "ceiling_height_m": 2, "single_storey": 3, "crane_t": 4, "power_kva": 5,
        "floor_load_t": 6, "standalone": 7, "divisible": 8}
    boss = UserFactory(email="boss@example.com", role="manager")
    csv = ("联系人,手机,层高(米),单层/多层,行车,配电(kVA),承重,独门独院,可分割,备注\n"
           "刘先生,13391219793,8米,单层,10吨,2MVA,3吨/平,是,否,急\n"
           "王女士,13391219794,80,多层也可,有,5,,否,是,\n"
           "赵总,13391219795,,,不需要,500kW,20kN,,,\n")
    job = importer.create_job("req.csv", csv.encode(), boss)
    auth.login("boss@example.com")
    page = client.get(f"/manage/import/{job.id}/mapping").get_data(as_text=True)
    assert "层高不低于（米）" in page and "独门独院" in page   # the form's own labels
    importer.save_mapping(job, mapping, "link", route=False)
    assert importer.dry_run(job).errors == []   # an unread figure never fails the row
    importer.start(job)
    liu, wang, zhao = db.session.scalars(select(Lead).order_by(Lead.id)).all()
    assert (liu.ceiling_height_m, liu.single_storey, liu.needs_crane, liu.crane_t,
            liu.power_kva, liu.floor_load_t, liu.standalone, liu.divisible) == (
        Decimal("8"), True, True, Decimal("10"), 2000, Decimal("3"), True, None)
    assert liu.message == "急"
    # 80 m and a bare 5 (kVA or MVA?) are not stored: kept as typed for the agent.
    assert wang.ceiling_height_m is None and wang.power_kva is None
    assert wang.needs_crane is True and wang.crane_t is None and wang.single_storey is False
    assert wang.standalone is None and wang.divisible is True
    assert "未能识别（按原文保留）：层高不低于（米）: 80; 配电不低于（kVA）: 5" in wang.message
    assert zhao.needs_crane is None and zhao.power_kva is None and zhao.floor_load_t is None
    assert "500kW" in zhao.message and "20kN" in zhao.message


# --- the paste / message reader ----------------------------------------------------------

def _read(text):
    from crm.intake import message
    return message.as_fields(message.read(text))


def test_the_reader_finds_the_requirements_as_people_write_them(app):
    got = _read("要10T行车，配电500kVA，承重3吨，层高8米以上，单层，独门独院，可分割")
    assert {k: got[k] for k in ("crane_t", "needs_crane", "power_kva", "floor_load_t",
                                "ceiling_height_m", "single_storey", "standalone",
                                "divisible")} == {
        "crane_t": 10, "needs_crane": True, "power_kva": 500, "floor_load_t": 3,
        "ceiling_height_m": 8, "single_storey": True, "standalone": True, "divisible": True}
    assert _read("配电500千伏安，8米层高，行车10吨")["power_kva"] == 500
    assert _read("2MVA变压器")["power_kva"] == 2000
    assert _read("单层多层都可以")["single_storey"] is False
    assert _read("承重500公斤每平")["floor_load_t"] == 0.5


def test_the_reader_leaves_what_the_form_would_refuse(app):
    # 80 m is no clear height, kW is not kVA, a bare 5 could be MVA, a crane refused is none.
    assert _read("层高80米 配电5 用电500kw 不需要行车") == {}
    assert "power_kva" not in _read("配电一千千瓦")


def test_the_paste_page_fills_the_requirement_fields(client, auth, db):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    text = "求租单层厂房，层高8米，10吨行车，配电630kVA，独门独院。王经理 13905721234"
    page = client.post("/agent/leads/new/paste?lang=en", data={"pasted": text})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="requirements" open' in html
    for name, value in (("ceiling_height_m", "8"), ("crane_t", "10"), ("power_kva", "630")):
        assert re.search(rf'name="{name}"[^>]*value="{value}"', html), name
    assert re.search(r'checked[^>]*value="single"|value="single"[^>]*checked', html)
    assert re.search(r'checked[^>]*name="standalone"|name="standalone"[^>]*checked', html)
    assert "from: “独门独院”" in html and "from: “层高8米”" in html


def test_a_repeat_keeps_its_requirements_and_a_merge_fills_them(client, db):
    from crm.leads import merge
    from crm.models import InquiryRepeat
    assert client.post("/inquiry", data=GOOD).status_code == 302
    assert client.post("/inquiry", data={**GOOD, "crane_t": "10吨"}).status_code == 302
    repeat = db.session.scalars(select(InquiryRepeat)).one()
    assert repeat.details["crane_t"] == "10.00" and repeat.details["needs_crane"] is True
    survivor = _lead(db)
    duplicate = LeadFactory(power_kva=630, standalone=True, single_storey=False)
    merge.merge(survivor, duplicate, UserFactory(role="manager"))
    assert (survivor.power_kva, survivor.standalone, survivor.single_storey) == (630, True, False)


@REQ_SETTINGS
@given(data=st.data())
def test_every_text_the_schema_promises_is_taken(app, data):
    """The OpenAPI string patterns promise only what the form takes (Schemathesis's
    positive data must never be refused)."""
    from crm.web.api.openapi import _MEASURE_TEXT
    name = data.draw(st.sampled_from(sorted(_MEASURE_TEXT)))
    text = data.draw(st.from_regex(_MEASURE_TEXT[name], fullmatch=True))
    try:
        value = building.read(text, name)
    except building.MeasureError as exc:
        raise AssertionError((name, text, str(exc))) from None
    assert value is None or 0 < value <= building.MEASURES[name].maximum


def test_qualifiers_and_units_read_in_the_field(app):
    assert building.read("8米及以上", "ceiling_height_m") == Decimal("8.00")
    assert building.read("层高 ８Ｍ", "ceiling_height_m") == Decimal("8.00")
    assert building.read("1万千伏安", "power_kva") == Decimal("10000")
    assert building.read("0", "crane_t", allow_zero=True) == 0
    for text, name in (("0", "crane_t"), ("8平", "ceiling_height_m"), ("5", "power_kva"),
                       ("3000", "floor_load_t"), ("20kN/㎡", "floor_load_t")):
        try:
            building.read(text, name)
        except building.MeasureError:
            continue
        raise AssertionError((text, name))
