"""A figure a prospect types that cannot be stored as meant never refuses the inquiry on the
prospect's channels (form, embed, API): the field is left empty, the words kept as typed on
the lead ("未能识别（按原文保留）", as the importer does) and echoed back. Agent entry still
gives the message next to the field."""
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.inputs.fields import clean
from crm.intake.forms import FIGURES
from crm.models import InquiryRepeat, Lead
from tests.conftest import errors_in
from tests.factories import UserFactory, make_site

GOOD = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": "y"}
COLUMN = {"area_min": "area_min_sqm", "area_max": "area_max_sqm"}
NOTE = "未能识别（按原文保留）："

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# Words with no figure in them (no digit, numeral or unit), and figures out of every bound.
junk = st.one_of(
    st.text(alphabet="xyzqQ!?#&@好的谢谢问一下厂房面议很", min_size=1, max_size=40)
    .filter(lambda t: not set(t) <= set("一")),
    st.sampled_from(["面议", "一千多", "1,2,3", "-5", "99999999999999", "很大", "3000-",
                     "abc", "500kW", "20kN/㎡", "若干"]))


@pytest.fixture
def api_key(app):
    return make_site()[1]


def _fresh(db):
    db.session.query(InquiryRepeat).delete()
    db.session.query(Lead).delete()
    db.session.commit()


def _lead(db):
    return db.session.scalars(select(Lead)).one()


def _kept(lead, name, typed):
    typed = clean(typed).strip()[:120]
    assert getattr(lead, COLUMN.get(name, name)) is None
    assert NOTE in lead.message and f": {typed}" in lead.message


@SETTINGS
@given(name=st.sampled_from(FIGURES), typed=junk)
def test_the_public_form_keeps_junk_in_any_figure_field(client, db, name, typed):
    _fresh(db)
    response = client.post("/inquiry", data={**GOOD, name: typed})
    assert response.status_code == 302, errors_in(response.get_data(as_text=True))
    _kept(_lead(db), name, typed)


@SETTINGS
@given(name=st.sampled_from(FIGURES), typed=junk)
def test_the_api_keeps_junk_in_any_figure_field(client, db, api_key, name, typed):
    _fresh(db)
    response = client.post("/api/v1/inquiries", headers={"X-Api-Key": api_key},
                           data=json.dumps({**GOOD, "consent": True, name: typed}),
                           content_type="application/json")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["understood"]["unread"] == {name: clean(typed).strip()[:120]}
    _kept(_lead(db), name, typed)


@SETTINGS
@given(name=st.sampled_from(["area_min", "area_max", "annual_tax_wan", "investment_wan"]),
       figure=st.integers(min_value=1, max_value=99999))
def test_a_readable_figure_is_still_stored_as_read(client, db, name, figure):
    _fresh(db)
    assert client.post("/inquiry", data={**GOOD, name: str(figure)}).status_code == 302
    lead = _lead(db)
    assert getattr(lead, COLUMN.get(name, name)) == Decimal(figure)
    assert NOTE not in lead.message


def test_the_thank_you_page_says_which_figures_were_kept(client, db):
    client.post("/inquiry", data={**GOOD, "area_min": "一千多", "annual_tax_wan": "面议",
                                  "message": "尽快"})
    lead = _lead(db)
    assert lead.message.startswith(f"尽快\n{NOTE}最小面积: 一千多; ")
    assert lead.message.endswith(": 面议") and lead.area_min_sqm is lead.annual_tax_wan is None
    page = client.get("/inquiry/thanks").get_data(as_text=True)
    assert 'id="unread"' in page and "一千多" in page and "面议" in page
    english = client.get("/inquiry/thanks?lang=en").get_data(as_text=True)
    assert "Kept as you typed them" in english and "Area from：一千多" in english


def test_the_embed_keeps_them_too(client, db):
    site, _key = make_site()
    db.session.commit()
    response = client.post(f"/embed/inquiry?site={site.public_key}",
                           data={**GOOD, "crane_t": "很大的"})
    assert response.status_code == 302
    _kept(_lead(db), "crane_t", "很大的")
    assert "很大的" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_agent_entry_still_refuses_next_to_the_field(client, auth, db):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    response = client.post("/agent/leads/new", data={
        "contact_name": "周女士", "mobile": "13800138000", "consent": "y", "channel": "phone",
        "area_min": "一千多", "area_max": "5000", "annual_tax_wan": "100"})
    assert response.status_code == 422
    assert "请输入数字，例如 5000。" in errors_in(response.get_data(as_text=True))
    response = client.post("/agent/leads/new", data={
        "contact_name": "周女士", "mobile": "13800138000", "consent": "y", "channel": "phone",
        "area_min": "5000", "area_max": "1000"})
    assert "上限不能小于下限。" in errors_in(response.get_data(as_text=True))
    assert db.session.scalars(select(Lead)).all() == []


def test_still_refused_for_what_is_not_a_figure(client, db):
    response = client.post("/inquiry", data={**GOOD, "area_min": "面议", "mobile": "12345"})
    assert response.status_code == 422
    assert db.session.scalars(select(Lead)).all() == []
