"""Issue 30, the API: the answer's kind (new, repeat, new_need) and GET a contact's needs,
scoped to the key's site."""
import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
import time_machine
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from crm.models import ApiIdempotencyKey, Lead
from crm.web.api import needs
from tests.factories import make_site

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
PERSON = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": True}
LAND = {**PERSON, "deal_type": "buy", "property_type": "land", "region": "340100",
        "area_min": 30, "area_unit": "mu"}
# Another need of the same person: rent a factory in 昆山, asked after the repeat window,
# so it is a need of its own whatever the matching's rules for a repeat.
FACTORY = {**PERSON, "company": "昆山精密机械有限公司", "deal_type": "rent",
           "property_type": "factory", "region": "320583", "area_min": 2000, "area_max": 3000,
           "annual_tax_wan": 300}
LATER = timedelta(days=120)


def post(client, key, body, **headers):
    return client.post("/api/v1/inquiries", data=json.dumps(body), content_type="application/json",
                       headers={"X-Api-Key": key, **headers})


def get_needs(client, key, reference, **args):
    return client.get(f"/api/v1/inquiries/{reference}/contact-needs",
                      headers={"X-Api-Key": key}, query_string=args)


@pytest.fixture
def key(app, db):
    _site, api_key = make_site()
    db.session.commit()
    return api_key


def test_answer_says_known_contact(client, db, key):
    """new for a new person, repeat for the same need, new_need for another need of theirs."""
    with time_machine.travel(AT, tick=False):
        first = post(client, key, LAND).get_json()
        again = post(client, key, {**LAND, "mobile": "+86 13391219793"}).get_json()
    with time_machine.travel(AT + LATER, tick=False):
        other = post(client, key, FACTORY).get_json()
    assert (first["status"], first["kind"]) == ("new", "new")
    assert (again["status"], again["kind"]) == ("duplicate", "repeat")
    assert (other["status"], other["kind"]) == ("new", "new_need")
    seq = dict(db.session.execute(select(Lead.reference, Lead.contact_seq)).tuples().all())
    assert seq == {first["reference"]: 1, other["reference"]: 2}


def test_spam_answers_new_and_tells_nothing_of_the_person(client, db, key):
    with time_machine.travel(AT, tick=False):
        post(client, key, LAND)
    with time_machine.travel(AT + LATER, tick=False):
        spam = post(client, key, {**FACTORY, "message": "百家乐 http://x.example"}).get_json()
    assert (spam["status"], spam["kind"]) == ("spam", "new")


def test_a_replay_answers_the_same_body_kind_included(client, db, key):
    with time_machine.travel(AT, tick=False):
        post(client, key, LAND)
    with time_machine.travel(AT + LATER, tick=False):
        first = post(client, key, FACTORY, **{"Idempotency-Key": "order-7"})
        again = post(client, key, FACTORY, **{"Idempotency-Key": "order-7"})
    assert first.get_json()["kind"] == "new_need"
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    stored = db.session.scalars(select(ApiIdempotencyKey)).one()
    assert stored.body == first.get_json()


def test_an_answer_stored_before_kinds_replays_with_the_kind_of_its_status(client, db, key):
    with time_machine.travel(AT, tick=False):
        post(client, key, LAND, **{"Idempotency-Key": "old"})
        stored = db.session.scalars(select(ApiIdempotencyKey)).one()
        stored.body = {k: v for k, v in stored.body.items() if k != "kind"}
        db.session.commit()
        again = post(client, key, LAND, **{"Idempotency-Key": "old"}).get_json()
    assert again["kind"] == "new" and again["status"] == "new"


def _three_needs(client, key, other_key):
    """The person's land need and its repeat, their factory need (both via `key`), and a
    third need via another site."""
    with time_machine.travel(AT, tick=False):
        land = post(client, key, LAND).get_json()["reference"]
        repeat = post(client, key, LAND).get_json()["reference"]
    with time_machine.travel(AT + LATER, tick=False):
        factory = post(client, key, FACTORY).get_json()["reference"]
    with time_machine.travel(AT + 2 * LATER, tick=False):
        elsewhere = post(client, other_key, {**PERSON, "deal_type": "rent",
                                             "property_type": "warehouse",
                                             "region": "330100"}).get_json()["reference"]
    return land, repeat, factory, elsewhere


def test_a_key_lists_the_contacts_needs_of_its_own_site_only(client, db, key):
    _other, other_key = make_site("江苏站", ("https://js.example.cn",))
    land, repeat, factory, elsewhere = _three_needs(client, key, other_key)
    for asked in (land, repeat, factory):  # a need's reference, or its repeat's
        response = get_needs(client, key, asked)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert [n["reference"] for n in body["needs"]] == [land, factory]
        assert body["next_cursor"] is None and body["reference"] == asked
    land_need, factory_need = get_needs(client, key, land).get_json()["needs"]
    assert land_need == {"reference": land, "created_at": AT.isoformat(), "state": "open",
                         "new_need": False, "deal_type": "buy", "property_type": "land",
                         "region": "3401", "area_min_sqm": 20000.1, "area_max_sqm": None}
    assert factory_need["new_need"] is True and factory_need["region"] == "320583"
    # The other site's key sees its own need of the person, and nothing of this site's.
    theirs = get_needs(client, other_key, elsewhere).get_json()["needs"]
    assert [n["reference"] for n in theirs] == [elsewhere]
    # Another site's reference does not exist for this key (404, not 403).
    for key_, asked in ((key, elsewhere), (other_key, land), (other_key, repeat)):
        response = get_needs(client, key_, asked)
        assert response.status_code == 404 and response.get_json()["error"]


def test_the_answer_holds_no_personal_data(client, db, key):
    with time_machine.travel(AT, tick=False):
        reference = post(client, key, {**LAND, "company": "合肥某某科技有限公司",
                                       "wechat": "liu_wx", "email": "liu@example.com",
                                       "message": "尽快看地"}).get_json()["reference"]
    text = get_needs(client, key, reference).get_data(as_text=True)
    for personal in ("刘", "13391219793", "9793", "liu_wx", "liu@example.com", "合肥某某",
                     "尽快"):
        assert personal not in text and personal not in json.dumps(json.loads(text),
                                                                   ensure_ascii=False)


def test_spam_and_merged_needs_are_left_out(client, db, key):
    with time_machine.travel(AT, tick=False):
        land = post(client, key, LAND).get_json()["reference"]
    with time_machine.travel(AT + LATER, tick=False):
        factory = post(client, key, FACTORY).get_json()["reference"]
    db.session.execute(Lead.__table__.update().where(Lead.reference == factory)
                       .values(status="merged"))
    db.session.commit()
    assert [n["reference"] for n in get_needs(client, key, land).get_json()["needs"]] == [land]


def test_keyset_pages_walk_every_need_once(client, db, key):
    made = []
    kinds = [("rent", "factory"), ("buy", "factory"), ("rent", "warehouse"), ("rent", "office"),
             ("buy", "land")]
    for i, (deal, kind) in enumerate(kinds):  # five different needs of one person
        with time_machine.travel(AT + i * LATER, tick=False):
            body = {**PERSON, "deal_type": deal, "property_type": kind, "area_min": 1000 + i}
            made.append(post(client, key, body).get_json()["reference"])
    seen, cursor, pages = [], None, 0
    while True:
        args = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = get_needs(client, key, made[0], **args).get_json()
        seen += [n["reference"] for n in body["needs"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == made and pages == 3


@pytest.mark.parametrize("args, field", [({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"),
                                         ({"limit": "9" * 5000}, "limit"),
                                         ({"limit": "１"}, "limit"),
                                         ({"cursor": "nope!"}, "cursor"),
                                         ({"cursor": "bm9wZQ"}, "cursor")])
def test_a_bad_limit_or_cursor_is_a_422(client, db, key, args, field):
    response = get_needs(client, key, "CF260302-ABCDE", **args)
    assert response.status_code == 422 and field in response.get_json()["errors"]


@pytest.mark.parametrize("asked", ["x", "CF260302-ABCDE", "a" * 21, "CF%00", "刘先生", "CF'--"])
def test_any_other_reference_is_a_404(client, db, key, asked):
    with time_machine.travel(AT, tick=False):
        post(client, key, LAND)
    response = get_needs(client, key, asked)
    assert response.status_code == 404 and response.get_json()["error"]


def test_a_read_needs_a_valid_key(client, db, key):
    with time_machine.travel(AT, tick=False):
        reference = post(client, key, LAND).get_json()["reference"]
    for headers in ({}, {"X-Api-Key": "cfk_wrong"}):
        response = client.get(f"/api/v1/inquiries/{reference}/contact-needs", headers=headers)
        assert response.status_code == 401


def test_a_real_page_keeps_the_documents_promises(app, client, db, key):
    """Schemathesis' own checks on a 200 (the fuzz run only meets 404s: it cannot guess a
    reference)."""
    with time_machine.travel(AT, tick=False):
        land = post(client, key, LAND).get_json()["reference"]
    with time_machine.travel(AT + LATER, tick=False):
        post(client, key, FACTORY)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema["/inquiries/{reference}/contact-needs"]["GET"]
    for query in ({}, {"limit": 1}):
        case = operation.Case(path_parameters={"reference": land}, query=query)
        response = case.call_and_validate(headers={"X-Api-Key": key})
        assert response.status_code == 200


@given(at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1),
                       timezones=st.just(UTC)),
       lead_id=st.integers(min_value=1, max_value=2**63 - 1))
def test_a_cursor_gives_back_what_it_was_made_of(at, lead_id):
    assert needs.decode_cursor(needs.encode_cursor(at, lead_id)) == (at, lead_id)


@given(st.one_of(st.text(max_size=60),
                 st.binary(max_size=28).map(lambda b: base64.urlsafe_b64encode(b).decode())))
def test_any_other_cursor_is_refused_as_bad_never_a_crash(text):
    """A cursor is the client's text: anything not made here is BadCursor (422), never
    another exception (500)."""
    try:
        at, lead_id = needs.decode_cursor(text)
    except needs.BadCursor:
        return
    assert at.tzinfo is UTC and lead_id >= 0
