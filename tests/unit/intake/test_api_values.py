"""The API's values as its OpenAPI document says (issue 27): null, names, the example, listings."""
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from crm.intake.forms import InquiryForm
from crm.models import Lead, Listing
from tests.conftest import errors_in
from tests.factories import make_site

GOOD = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": True}


def _post(client, key, body):
    return client.post("/api/v1/inquiries", data=json.dumps(body), headers={"X-Api-Key": key},
                       content_type="application/json")


def _key(db):
    _site, key = make_site()
    db.session.commit()
    return key


def _leads(db):
    return db.session.scalars(select(Lead)).all()


def _inquiry_schema(client):
    return client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Inquiry"]


def test_null_for_an_optional_field_is_not_given_and_the_document_says_so(client, db):
    key = _key(db)
    props = _inquiry_schema(client)["properties"]
    assert props["wechat"]["nullable"] is True and props["deal_type"]["nullable"] is True
    assert None in props["deal_type"]["enum"]
    body = {**GOOD, "wechat": None, "company": None, "deal_type": None, "region": None}
    assert _post(client, key, body).status_code == 201
    lead = _leads(db)[0]
    assert (lead.wechat_id, lead.company, lead.deal_type, lead.region_code) == ("", "", None, None)


def test_null_for_a_required_field_is_refused_as_the_document_says(client, db):
    key = _key(db)
    props = _inquiry_schema(client)["properties"]
    assert "nullable" not in props["contact_name"] and "nullable" not in props["consent"]
    for name in ("contact_name", "consent"):
        response = _post(client, key, {**GOOD, name: None})
        assert response.status_code == 422 and list(response.get_json()["errors"]) == [name]
    assert _leads(db) == []


def test_an_emoji_only_name_is_refused_by_the_api_and_the_form(client, db):
    key = _key(db)
    response = _post(client, key, {**GOOD, "contact_name": "😀🙏"})
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["contact_name"]
    html = client.post("/inquiry?lang=en", data={**GOOD, "consent": "y",
                                                 "contact_name": "★ ☆"}).get_data(as_text=True)
    assert "Please write a name in letters or characters, e.g. 王经理." in errors_in(html)
    assert _leads(db) == []


# Names an API user may send: letters of several scripts, emoji, symbols, invisible marks.
NAMES = st.text(st.sampled_from(list("王Aé1Жπあ가Ｗ😀★-·.　\u200b_!") + ["\U0001f600"]),
                min_size=1, max_size=8)


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(name=NAMES)
def test_the_document_s_pattern_and_the_form_agree_on_every_name(app, name):
    pattern = _inquiry_schema(app.test_client())["properties"]["contact_name"]["pattern"]
    with app.test_request_context():
        form = InquiryForm(formdata=MultiDict({"contact_name": name, "mobile": "13391219793",
                                               "consent": "y"}), meta={"csrf": False})
        form.validate()
    assert (re.search(pattern, name) is not None) == ("contact_name" not in form.errors)


def test_the_document_s_example_is_what_the_server_answers_for_30_mu(client, db):
    key = _key(db)
    created = _post(client, key, {**GOOD, "area_min": "30亩"}).get_json()
    area = created["understood"]["area_min_sqm"]
    assert area == 20000.1  # 30 × 666.67, to the cent
    understood = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"][
        "Created"]["properties"]["understood"]["description"]
    assert f"\"30亩\" → {area}" in understood and "20000.01" not in understood


def test_an_unknown_listing_is_refused_by_the_api_and_nothing_is_stored(client, db):
    key = _key(db)
    for listing_id in (42, 2**31 - 1):
        response = _post(client, key, {**GOOD, "listing_id": listing_id})
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["listing_id"]
    assert _leads(db) == []
    db.session.add(Listing(id=42, title="独栋厂房", property_type="factory", deal_type="rent",
                           status="let", area_sqm=1000))
    db.session.commit()
    assert _post(client, key, {**GOOD, "listing_id": 42}).status_code == 201  # let, but real
    assert _leads(db)[0].listing_id == 42


def test_the_form_says_the_listing_is_gone_and_sends_without_it_the_second_time(client, db):
    data = {**GOOD, "consent": "y", "listing_id": "77", "company": "湖州某某科技有限公司"}
    response = client.post("/inquiry?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The listing you asked about is no longer on our site" in html
    assert 'name="listing_id" type="hidden" value=""' in html and "湖州某某科技有限公司" in html
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0
    again = dict(re.findall(r'name="(listing_id)" type="hidden" value="([^"]*)"', html))
    assert client.post("/inquiry", data={**data, **again}).status_code == 302
    assert _leads(db)[0].listing_id is None


def test_a_link_to_an_unknown_listing_opens_the_form_without_it(client, db):
    html = client.get("/inquiry?listing=77").get_data(as_text=True)
    assert 'name="listing_id" type="hidden" value=""' in html
