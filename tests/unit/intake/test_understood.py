"""Issue 15: the prospect and the API client see what their numbers were taken to mean
("30亩" → 30 亩 = 20,000 ㎡; "500万元" → 500 万元), next to the reference."""
from tests.factories import make_site

FORM = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": "y",
        "property_type": "land", "area_min": "30亩", "area_max": "", "area_unit": "sqm",
        "annual_tax_wan": "5000000元"}


def test_the_thank_you_page_says_what_was_understood(client, db):
    assert client.post("/inquiry", data=FORM).status_code == 302
    page = client.get("/inquiry/thanks").get_data(as_text=True)
    assert 'id="understood"' in page
    assert "≥ 30 亩（20,000 ㎡）" in page and "500 万元" in page


def test_the_api_answer_says_what_was_understood(client, db):
    _site, key = make_site()
    body = {"contact_name": "刘先生", "mobile": "13391219793", "consent": True,
            "property_type": "factory", "area_min": "2千平", "area_max": "1.5万平",
            "investment_wan": "1亿"}
    answer = client.post("/api/v1/inquiries", json=body, headers={"X-Api-Key": key})
    assert answer.status_code == 201
    assert answer.get_json()["understood"] == {
        "area_min_sqm": 2000.0, "area_max_sqm": 15000.0, "area_unit": "sqm",
        "investment_wan": 10000.0}
    plain = client.post("/api/v1/inquiries", headers={"X-Api-Key": key},
                        json={"contact_name": "王", "mobile": "13800138000", "consent": True})
    assert "understood" not in plain.get_json()
