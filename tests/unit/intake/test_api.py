"""POST /api/v1/inquiries: every answer the issue promises, and the idempotency key."""
import json

import pytest
from sqlalchemy import func, select

from crm.models import ApiIdempotencyKey, InquiryRepeat, Lead, Listing
from crm.web.api.fields import FIELDS
from tests.factories import UserFactory, make_site

# The names partners rely on, exactly as issue 4 lists them.
ISSUE_FIELDS = """deal_type property_type region area_min area_max area_unit industry usage needs_eia
annual_tax_wan investment_wan company credit_code contact_name mobile wechat email message consent
page_url referrer utm_source utm_medium utm_campaign listing_id"""
# Issue 28: the building's requirements on the need.
REQUIREMENT_FIELDS = """ceiling_height_m single_storey needs_crane crane_t power_kva floor_load_t
standalone divisible"""
GOOD = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": True}


@pytest.fixture
def site_key(app):
    site, key = make_site()
    return key


def post(client, body, key=None, headers=None, **kwargs):
    headers = {**({"X-Api-Key": key} if key else {}), **(headers or {})}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/api/v1/inquiries", data=data, headers=headers,
                       content_type="application/json", **kwargs)


def count(db, model=Lead):
    return db.session.scalar(select(func.count()).select_from(model))


def test_201_with_reference_and_status_and_the_lead_is_structured(client, db, site_key):
    agent = UserFactory()
    db.session.add(Listing(id=42, title="地块", property_type="land", deal_type="buy",
                           status="available", area_sqm=20000))
    db.session.commit()
    body = {**GOOD, "deal_type": "buy", "property_type": "land", "region": "330522",
            "area_min": 30, "area_max": "50亩", "area_unit": "mu", "industry": "nev",
            "usage": "动力电池PACK", "needs_eia": True, "annual_tax_wan": 1200.5,
            "investment_wan": "30,000", "company": "湖州某某科技有限公司",
            "credit_code": "91110000600037341L", "wechat": "liu_wx", "email": "liu@example.com",
            "message": "尽快", "page_url": "https://partner.example.cn/a/1",
            "referrer": "https://www.baidu.com/", "utm_source": "mini", "utm_medium": "app",
            "utm_campaign": "g60", "listing_id": 42}
    response = post(client, body, site_key)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    lead = db.session.scalars(select(Lead)).one()
    assert answer == {"reference": lead.reference, "status": "new", "kind": "new", "understood": {
        "area_min_sqm": 20000.1, "area_max_sqm": 33333.5, "area_unit": "mu",
        "annual_tax_wan": 1200.5, "investment_wan": 30000.0}}
    assert lead.channel == "api" and lead.source_site.name == "浙江站"
    assert lead.region_code == "330522" and lead.needs_eia is True
    # Money is kept to the 元 (four places of 万元, issue 28).
    assert str(lead.area_min_sqm) == "20000.10" and str(lead.annual_tax_wan) == "1200.5000"
    assert lead.wechat_id == "liu_wx" and lead.listing_id == 42 and lead.credit_code_valid
    assert lead.assigned_to_id == agent.id  # routed like a form lead


@pytest.mark.parametrize("sent, stored", [("zj.huzhou.changxing", "330522"),
                                           ("sh.songjiang.g60", "310117P01"), ("3101", "31")])
def test_a_partner_may_still_send_an_old_region_code_and_the_new_one_is_stored(
        client, db, site_key, sent, stored):
    from crm import parks
    parks.seed_defaults()
    assert post(client, {**GOOD, "region": sent}, site_key).status_code == 201
    lead = db.session.scalars(select(Lead)).one()
    assert lead.region_code == stored and lead.region_text == ""


def test_free_text_region_and_unknown_eia(client, db, site_key):
    post(client, {**GOOD, "region": "長興經濟開發區", "needs_eia": None}, site_key)
    lead = db.session.scalars(select(Lead)).one()
    # The county is read; the words beyond it are kept as typed (issue 28).
    assert lead.region_code == "330522" and lead.region_text == "長興經濟開發區"
    assert lead.needs_eia is None and "长兴经济开发区" in lead.search_text


@pytest.mark.parametrize("mobile,message_part", [
    ("400 0123 021", "400/800"),
    ("021-57881234", "landline"),
    ("133912197931339121979413391219795", "one mobile number"),
    ("1339121979", "11 digits"),
])
def test_422_for_a_messy_phone_with_the_forms_message(client, db, site_key, mobile, message_part):
    response = post(client, {**GOOD, "mobile": mobile}, site_key,
                    headers={"Accept-Language": "en"})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == ["mobile"] and message_part in errors["mobile"][0]
    assert count(db) == 0


def test_422_messages_are_chinese_by_default(client, site_key):
    errors = post(client, {**GOOD, "mobile": "400 0123 021"}, site_key).get_json()["errors"]
    assert errors["mobile"] == ["400/800 号码是企业热线，不是手机号码。请输入手机号码。"]


def test_422_for_missing_fields_wrong_types_and_unknown_names(client, db, site_key):
    missing = post(client, {}, site_key, headers={"Accept-Language": "en"}).get_json()["errors"]
    assert set(missing) == {"contact_name", "mobile", "consent"}
    wrong = post(client, {**GOOD, "contact_name": ["刘"], "area_min": True, "needs_eia": "yes",
                          "listing_id": "42", "consent": "true", "phone": "133"}, site_key,
                 headers={"Accept-Language": "en"})
    assert wrong.status_code == 422
    assert set(wrong.get_json()["errors"]) == {"contact_name", "area_min", "needs_eia",
                                               "listing_id", "consent", "phone"}
    refused = post(client, {**GOOD, "consent": False, "wechat": "w" * 61,
                            "region": "区" * 121}, site_key).get_json()["errors"]
    assert set(refused) == {"consent", "wechat", "region"}
    assert count(db) == 0


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"[" * 5000])
def test_422_for_a_body_that_is_not_one_json_object(client, site_key, raw):
    response = post(client, raw, site_key)
    assert response.status_code == 422 and "body" in response.get_json()["errors"]


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": "cfk_wrong"}, {"X-Api-Key": ""}])
def test_401_without_a_valid_key(client, db, headers):
    make_site()
    response = client.post("/api/v1/inquiries", json=GOOD, headers=headers)
    assert response.status_code == 401 and "X-Api-Key" in response.get_json()["error"]
    assert count(db) == 0


def test_401_for_an_inactive_site_and_a_rotated_key(client, db):
    from crm.intake.sites import rotate_api_key
    site, key = make_site()
    new_key = rotate_api_key(site)
    assert post(client, GOOD, key).status_code == 401
    assert post(client, GOOD, new_key).status_code == 201
    _other, inactive_key = make_site("停用站", active=False)
    assert post(client, GOOD, inactive_key).status_code == 401


def test_a_known_key_is_trusted_for_a_while_then_read_again(app, client, db, monkeypatch):
    """What another web process sees after a site is switched off: refused within the TTL."""
    from sqlalchemy import event, update

    from crm.intake import sites
    from crm.models import SourceSite
    site, key = make_site()
    clock = [1000.0]
    monkeypatch.setattr(sites.time, "monotonic", lambda: clock[0])
    seen = []
    listener = lambda *a: seen.append(a[2])  # noqa: E731 - statement text
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert post(client, {**GOOD, "mobile": "13391219701"}, key).status_code == 201
        first = sum("FROM source_site" in s for s in seen)
        assert post(client, {**GOOD, "mobile": "13391219702"}, key).status_code == 201
        assert first == 1 and sum("FROM source_site" in s for s in seen) == 1  # no second lookup
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # Switched off behind this process's back (as by another web process).
    db.session.execute(update(SourceSite).values(active=False))
    db.session.commit()
    assert post(client, {**GOOD, "mobile": "13391219703"}, key).status_code == 201
    clock[0] += app.config["CRM_API_KEY_CACHE_SECONDS"]
    assert post(client, {**GOOD, "mobile": "13391219704"}, key).status_code == 401


def test_the_key_is_stored_only_as_a_hash(db, site_key):
    from crm.models import SourceSite
    site = db.session.scalars(select(SourceSite)).one()
    assert site_key not in (site.api_key_hash, site.public_key, site.api_key_hint)
    assert len(site.api_key_hash) == 64


def test_413_for_an_oversized_body(app, client, db, site_key):
    app.config["CRM_API_MAX_BODY_BYTES"] = 1000
    response = post(client, {**GOOD, "message": "厂" * 2000}, site_key)
    assert response.status_code == 413 and response.is_json and response.get_json()["error"]
    assert count(db) == 0
    app.config["MAX_CONTENT_LENGTH"] = 2000  # beyond the app-wide cap werkzeug refuses it
    response = post(client, {**GOOD, "message": "厂" * 2000}, site_key)
    assert response.status_code == 413 and response.is_json


def test_idempotency_key_replays_the_first_answer(client, db, site_key):
    first = post(client, GOOD, site_key, headers={"Idempotency-Key": "order-1"})
    again = post(client, GOOD, site_key, headers={"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert count(db) == 1 and count(db, InquiryRepeat) == 0  # no second lead, not even a repeat
    other = post(client, GOOD, site_key, headers={"Idempotency-Key": "order-2"})
    assert other.get_json()["status"] == "duplicate"  # a new key: a real second submission


def test_a_refused_request_is_not_remembered_so_a_corrected_retry_succeeds(client, db, site_key):
    """Issue 15: a 422 was stored under its key, so the corrected retry was refused."""
    bad = {**GOOD, "mobile": "400 0123 021"}
    first = post(client, bad, site_key, headers={"Idempotency-Key": "k"})
    assert first.status_code == 422 and count(db, ApiIdempotencyKey) == 0
    corrected = post(client, GOOD, site_key, headers={"Idempotency-Key": "k"})
    assert corrected.status_code == 201 and count(db) == 1
    changed = post(client, {**GOOD, "company": "别的公司"}, site_key,
                   headers={"Idempotency-Key": "k"})
    assert changed.status_code == 422 and "Idempotency-Key" in changed.get_json()["errors"]
    assert count(db) == 1


def test_the_same_json_differently_spaced_or_ordered_is_the_same_request(client, db, site_key):
    first = post(client, GOOD, site_key, headers={"Idempotency-Key": "order-9"})
    respaced = json.dumps(dict(reversed(list(GOOD.items()))), indent=4, ensure_ascii=False)
    again = post(client, respaced, site_key, headers={"Idempotency-Key": "order-9"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and count(db) == 1


def test_idempotency_keys_belong_to_their_site(client, db, site_key):
    _other, other_key = make_site("江苏站")
    post(client, GOOD, site_key, headers={"Idempotency-Key": "same"})
    second = post(client, {**GOOD, "mobile": "13800138000"}, other_key,
                  headers={"Idempotency-Key": "same"})
    assert second.status_code == 201 and count(db) == 2
    assert count(db, ApiIdempotencyKey) == 2


@pytest.mark.parametrize("bad_key", ["", " ", "x" * 101, "键"])
def test_a_malformed_idempotency_key_is_a_422(client, db, site_key, bad_key):
    response = post(client, GOOD, site_key, headers={"Idempotency-Key": bad_key.encode().decode("latin-1")})
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["errors"]
    assert count(db) == 0


def test_duplicate_and_spam_statuses(client, db, site_key):
    first = post(client, GOOD, site_key).get_json()
    repeat = post(client, {**GOOD, "mobile": "+8613391219793"}, site_key).get_json()
    # Issue 14: its own reference, so the answer does not reveal the first inquiry's date.
    assert repeat["status"] == "duplicate" and repeat["reference"] != first["reference"]
    stored = db.session.scalars(select(InquiryRepeat)).one()
    assert stored.reference == repeat["reference"]
    spam = post(client, {**GOOD, "mobile": "13800138000", "message": "百家乐 http://x.example"},
                site_key).get_json()
    assert spam["status"] == "spam"
    assert db.session.scalars(select(Lead.status).order_by(Lead.id)).all() == ["new", "spam"]


def test_api_is_exempt_from_csrf(app, client, db, site_key):
    app.config["WTF_CSRF_ENABLED"] = True
    assert post(client, GOOD, site_key).status_code == 201


def test_openapi_document_lists_exactly_the_api_fields(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    schema = doc["components"]["schemas"]["Inquiry"]
    assert set(schema["properties"]) == set(FIELDS) == set(ISSUE_FIELDS.split()) | set(
        REQUIREMENT_FIELDS.split())
    assert schema["required"] == ["contact_name", "consent"]
    assert schema["anyOf"] == [{"required": ["mobile"]}, {"required": ["wechat"]}]
    post_op = doc["paths"]["/inquiries"]["post"]
    assert set(post_op["responses"]) == {"201", "401", "405", "413", "422", "429"}
    assert post_op["parameters"][0]["name"] == "Idempotency-Key"
    assert doc["components"]["securitySchemes"]["ApiKey"]["name"] == "X-Api-Key"


def test_idempotency_answers_are_forgotten_after_the_window(app, client, db, site_key):
    from datetime import timedelta

    from crm.intake import idempotency
    from crm.models.types import utcnow
    post(client, GOOD, site_key, headers={"Idempotency-Key": "old"})
    post(client, {**GOOD, "mobile": "13391219794"}, site_key, headers={"Idempotency-Key": "new"})
    old = db.session.scalars(select(ApiIdempotencyKey).where(ApiIdempotencyKey.key == "old")).one()
    old.created_at = utcnow() - timedelta(days=app.config["CRM_IDEMPOTENCY_DAYS"], minutes=1)
    db.session.commit()
    assert idempotency.purge_expired() == 1
    assert idempotency.purge_expired() == 0  # idempotent itself
    keys = db.session.scalars(select(ApiIdempotencyKey.key)).all()
    assert keys == ["new"]
    # Within the window the answer is still replayed.
    again = post(client, {**GOOD, "mobile": "13391219794"}, site_key,
                 headers={"Idempotency-Key": "new"})
    assert again.headers["Idempotent-Replayed"] == "true"


def test_wtforms_own_messages_follow_each_requests_language(client, db, site_key, monkeypatch):
    # WTForms' catalog is read once per language and process, not from disk per request.
    from babel import support
    loads = []
    original = support.Translations.load
    monkeypatch.setattr(support.Translations, "load",
                        classmethod(lambda cls, *a, **k: loads.append(a) or original(*a, **k)))
    answers = [post(client, {**GOOD, "deal_type": "lease"}, site_key, query_string=query)
               for query in ({}, {"lang": "en"}, {}, {"lang": "en"})]
    assert [a.get_json()["errors"]["deal_type"] for a in answers] == [
        ["不是有效的选择。"], ["Not a valid choice."], ["不是有效的选择。"], ["Not a valid choice."]]
    assert len([a for a in loads if "wtforms" in str(a)]) <= 2


def test_a_reference_already_taken_is_drawn_again(app, client, db, monkeypatch, site_key):
    from tests.support.collisions import post_with_colliding_references
    saved = post_with_colliding_references(app, monkeypatch, client, site_key)
    assert [(lead.reference, lead.mobile_e164) for lead in saved] == [
        ("CF261123-AAAAA", "+8613391219711"), ("CF261123-BBBBB", "+8613391219712"),
        ("CF261123-CCCCC", "+8613391219713")]


def test_attribution_longer_than_the_schema_says_is_refused_not_cut(client, db, site_key):
    """Issue 15: page_url and UTM values were cut silently; the API answers 422 with the
    schema's maxLength, together with the form's other messages."""
    response = post(client, {**GOOD, "page_url": "https://zj.example.cn/" + "a" * 1000,
                             "utm_source": "s" * 101, "consent": False}, site_key)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"page_url", "utm_source", "consent"}
    assert count(db) == 0
