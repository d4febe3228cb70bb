"""Property tests: arbitrary input at the form and the API never gives a 500, never stores
a row that breaks the form's rules, and markup always comes back escaped."""
import json
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm import choices, regions
from crm.inputs.text import clean_text, search_key
from crm.models import Lead
from crm.web.api.fields import FIELDS
from tests.factories import make_site

MARKUP = "<x-evil onload=alert(1)>"
FORM_FIELDS = ["contact_name", "mobile", "consent", "company", "usage", "region_code",
               "region_text", "area_min", "area_max", "area_unit", "deal_type", "property_type",
               "industry", "needs_eia", "annual_tax_wan", "investment_wan", "credit_code",
               "wechat_id", "email", "message", "page_url", "referrer", "utm_source",
               "listing_id", "website", "started", "csrf_token", "unknown_field"]
MOBILES = ["13391219793", "+86 133 9121 9793", "１３３９１２１９７９３ 仅微信", "400 0123 021",
           "021-57881234", "133912197931339121979413391219795", "13800138000", "0086 13912345678"]

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                    HealthCheck.too_slow])

messy_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(["", " ", "\u200b", "\x00", "廠房", MARKUP, "1,000亩", "３０", "-5", "1e9",
                     "NaN", "91110000600037341L", "3305", "yes", "mu", "y", "<b>x</b>"]),
    st.builds(lambda s, n: s * n, st.sampled_from(["厂", "a", MARKUP, "9"]),
              st.integers(100, 20000)),  # huge strings
)

form_data = st.dictionaries(st.sampled_from(FORM_FIELDS), messy_text, max_size=12).flatmap(
    lambda d: st.builds(lambda mobile, name: {"mobile": mobile, "contact_name": name,
                                              "consent": "y", **d},
                        st.one_of(st.sampled_from(MOBILES), messy_text),
                        st.one_of(st.just("刘先生"), messy_text)))

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), messy_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=5)
api_body = st.dictionaries(st.one_of(st.sampled_from(sorted(FIELDS)), st.text(max_size=8)),
                           json_values, max_size=10).flatmap(
    lambda d: st.builds(lambda mobile, name, consent: {"mobile": mobile, "contact_name": name,
                                                       "consent": consent, **d},
                        st.one_of(st.sampled_from(MOBILES), json_values),
                        st.one_of(st.just("刘先生"), json_values),
                        st.one_of(st.just(True), json_values)))


def assert_every_row_is_valid(db):
    """What the form guarantees, checked on every stored lead."""
    for lead in db.session.scalars(select(Lead)):
        assert re.fullmatch(r"\+861[3-9]\d{9}", lead.mobile_e164)
        assert lead.contact_name and lead.contact_name == clean_text(lead.contact_name)
        assert len(lead.contact_name) <= 60 and len(lead.company) <= 120
        assert len(lead.usage) <= 500 and len(lead.region_text) <= 120
        assert len(lead.message) <= 2000 and len(lead.wechat_id) <= 60
        for text in (lead.contact_name, lead.company, lead.usage, lead.region_text):
            assert not any(unicodedata.category(ch)[0] == "C" for ch in text)
        assert lead.consent is True and lead.consent_version and lead.consent_at
        assert lead.status in ("new", "spam")
        assert lead.region_code is None or lead.region_code in regions.REGIONS
        assert lead.deal_type in (None, *choices.DEAL_TYPES)
        assert lead.property_type in (None, *choices.PROPERTY_TYPES)
        assert lead.industry in (None, *choices.INDUSTRIES)
        assert lead.area_unit in choices.AREA_UNITS
        if lead.area_min_sqm is not None and lead.area_max_sqm is not None:
            assert lead.area_min_sqm <= lead.area_max_sqm
        for amount in (lead.area_min_sqm, lead.area_max_sqm, lead.annual_tax_wan,
                       lead.investment_wan):
            assert amount is None or amount >= 0
        assert lead.listing_id is None or 0 < lead.listing_id < 2**31
        assert lead.search_text == search_key(lead.contact_name, lead.company, lead.usage,
                                              lead.region_text, lead.message)


@PROPERTY_SETTINGS
@given(data=form_data)
def test_the_form_never_fails_and_escapes_markup(client, db, data):
    response = client.post("/inquiry", data=data)
    assert response.status_code in (302, 422)
    if response.status_code == 422:
        html = response.get_data(as_text=True)
        assert "<x-evil" not in html and "<b>x</b>" not in html
        assert "Traceback" not in html
    assert_every_row_is_valid(db)


@pytest.fixture
def api_key(app):
    return make_site()[1]


@PROPERTY_SETTINGS
@given(body=api_body)
def test_the_api_never_fails_and_answers_json(client, db, api_key, body):
    response = client.post("/api/v1/inquiries", data=json.dumps(body),
                           headers={"X-Api-Key": api_key}, content_type="application/json")
    assert response.status_code in (201, 413, 422), response.get_data(as_text=True)[:300]
    answer = response.get_json()
    if response.status_code == 201:
        assert answer["status"] in ("new", "duplicate", "spam") and answer["reference"]
    elif response.status_code == 422:
        assert all(isinstance(m, str) for msgs in answer["errors"].values() for m in msgs)
    assert response.mimetype == "application/json"
    assert_every_row_is_valid(db)
