"""The won form (/agent/leads/<id>/won): the only way to won, its preview, the lead page's
deal section, the listing page, access, and any text in its number fields."""
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.inputs import numbers
from crm.models import Deal, Lead, LeadListing, Listing
from tests.conftest import errors_in
from tests.factories import LeadFactory, TeamFactory, UserFactory

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
PROPERTIES = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])
NUMBER_FIELDS = ["price", "area", "term_months", "rent_free_months", "deposit_wan",
                 "commission_rate", "commission_received_wan", "investment_wan",
                 "annual_tax_wan", "jobs", "shares-0-pct"]


@pytest.fixture
def world(client, auth, db):
    with time_machine.travel(NOW, tick=False):
        team = TeamFactory()
        agent = UserFactory(team=team, email="me@example.com")
        UserFactory(team=TeamFactory(is_default=False), email="other@example.com")
        listing = Listing(title="长兴独栋厂房", property_type="factory", deal_type="rent",
                          area_sqm=D("2000"), status="available", created_by=agent)
        db.session.add(listing)
        lead = LeadFactory(team=team, assigned_to=agent, status="negotiating")
        db.session.add(LeadListing(lead_id=lead.id, listing=listing, kind="site_visit",
                                   author_id=agent.id, created_at=NOW))
        db.session.commit()
        auth.login("me@example.com")
    return {"agent": agent, "lead": lead, "listing": listing}


def _fresh(db, model, row_id):
    db.session.expire_all()  # what the requests wrote, not this session's copy
    return db.session.get(model, row_id)


def _post(client, lead, **kw):
    data = {"listing_id": str(kw.pop("listing_id")), "signed_on": "2026-11-18", "area": "2000",
            "area_unit": "sqm", "price": "0.8", "price_unit": "yuan_sqm_day",
            "term_months": "36", "start_on": "2026-12-01", **kw}
    return client.post(f"/agent/leads/{lead.id}/won?lang=en", data=data)


@time_machine.travel(NOW, tick=False)
def test_signing_on_the_form_wins_the_need_and_lets_the_listing(client, db, world):
    lead, listing = world["lead"], world["listing"]
    page = client.get(f"/agent/leads/{lead.id}/won?lang=en").get_data(as_text=True)
    assert "长兴独栋厂房" in page and "万元 in total" not in page  # a rent need: rent units only
    preview = _post(client, lead, listing_id=listing.id, preview="1")
    assert preview.status_code == 200 and "175.2" in preview.get_data(as_text=True)
    assert db.session.scalars(select(Deal)).all() == []  # a preview saves nothing
    saved = _post(client, lead, listing_id=listing.id, commission_kind="pct_first_year",
                  commission_rate="10")
    assert saved.status_code == 302
    deal = db.session.scalars(select(Deal)).one()
    assert (deal.value_wan, deal.commission_wan) == (D("175.2000"), D("5.8400"))
    assert _fresh(db, Lead, lead.id).status == "won"
    html = client.get(f"/agent/leads/{lead.id}?lang=en").get_data(as_text=True)
    section = html[html.index('id="deal"'):]
    assert "175.2" in section and "5.84" in section
    shown = client.get(f"/agent/listings/{listing.id}?lang=en").get_data(as_text=True)
    assert "Let or sold" in shown and lead.reference in shown[shown.index('id="listing-deals"'):]
    # the edit form and the fall-through action
    edit = client.get(f"/agent/deals/{deal.id}/edit?lang=en").get_data(as_text=True)
    assert 'value="0.8"' in edit and 'id="fall-through"' in edit
    client.post(f"/agent/deals/{deal.id}/edit", data={
        "listing_id": str(listing.id), "signed_on": "2026-11-18", "area": "2000",
        "area_unit": "sqm", "price": "0.8", "price_unit": "yuan_sqm_day", "term_months": "36",
        "rent_free_months": "3", "commission_kind": "pct_first_year", "commission_rate": "10"})
    html = client.get(f"/agent/leads/{lead.id}?lang=en").get_data(as_text=True)
    changes = html[html.index('id="deal-revisions"'):]
    assert "Contract value 175.2 → 160.6" in changes and "Rent-free months (免租期) — → 3" in changes
    client.post(f"/agent/deals/{deal.id}/fall-through", data={"reason": "资金未到位"})
    assert _fresh(db, Lead, lead.id).status == "negotiating"
    assert _fresh(db, Listing, listing.id).status == "available"


@time_machine.travel(NOW, tick=False)
def test_the_status_form_never_wins(client, db, world):
    lead = world["lead"]
    page = client.get(f"/agent/leads/{lead.id}?lang=en").get_data(as_text=True)
    stage = page[page.index('id="stage"'):page.index('id="deal"')]
    assert 'value="won"' not in stage and f"/agent/leads/{lead.id}/won" in page
    refused = client.post(f"/agent/leads/{lead.id}/status?lang=en", data={"status": "won"})
    assert refused.status_code == 422
    assert any("deal form" in e for e in errors_in(refused.get_data(as_text=True)))
    assert _fresh(db, Lead, lead.id).status == "negotiating"


@time_machine.travel(NOW, tick=False)
def test_negotiating_asks_before_reserving(client, db, world):
    listing = world["listing"]
    lead = LeadFactory(team=world["agent"].team, assigned_to=world["agent"], status="site_visit")
    db.session.add(LeadListing(lead_id=lead.id, listing_id=listing.id, kind="site_visit",
                               author_id=world["agent"].id, created_at=NOW))
    db.session.commit()
    client.post(f"/agent/leads/{lead.id}/status", data={"status": "negotiating"})
    assert _fresh(db, Listing, listing.id).status == "available"  # not asked: not reserved
    client.post(f"/agent/leads/{lead.id}/status", data={"status": "site_visit"})
    client.post(f"/agent/leads/{lead.id}/status",
                data={"status": "negotiating", "reserve_listing_id": str(listing.id)})
    assert _fresh(db, Listing, listing.id).status == "reserved"


@time_machine.travel(NOW, tick=False)
def test_an_agent_of_another_team_is_refused(client, auth, db, world):
    lead = world["lead"]
    _post(client, lead, listing_id=world["listing"].id)
    deal = db.session.scalars(select(Deal)).one()
    auth.logout()
    auth.login("other@example.com")
    assert client.get(f"/agent/leads/{lead.id}/won").status_code == 403
    assert client.get(f"/agent/deals/{deal.id}/edit").status_code == 403
    assert client.post(f"/agent/deals/{deal.id}/fall-through",
                       data={"reason": "x"}).status_code == 403
    assert client.get("/agent/deals/999999/edit").status_code == 404
    assert _fresh(db, Deal, deal.id).status == "signed"


def test_mixed_numerals_are_read_by_the_money_reader():
    # "3万5" in a 万元 field: the money reader says 3.5 万元, i.e. 35,000 元.
    assert numbers.parse("3万5", "money") == (D("3.5"), None)


@time_machine.travel(NOW, tick=False)
def test_a_deposit_typed_3wan5_is_stored_as_3_5_wan(client, db, world):
    _post(client, world["lead"], listing_id=world["listing"].id, deposit_wan="3万5")
    assert db.session.scalars(select(Deal.deposit_wan)).one() == D("3.5")


@PROPERTIES
@given(name=st.sampled_from(NUMBER_FIELDS),
       text=st.one_of(st.text(max_size=30), st.sampled_from(
           ["3万5", "1,2,3", "-5", "1e400", "NaN", "Infinity", "９９", "三千五", "0.8元", "99999999999"])))
def test_any_text_in_a_number_field_is_never_a_500(client, db, world, name, text):
    with time_machine.travel(NOW, tick=False):
        answer = _post(client, world["lead"], listing_id=world["listing"].id, preview="1",
                       **{name: text, "shares-0-user_id": str(world["agent"].id)}
                       if name == "shares-0-pct" else {name: text})
        assert answer.status_code in (200, 422)
        body = answer.get_data(as_text=True)
        if answer.status_code == 422:
            assert errors_in(body)  # refused: a message by a field
        else:
            assert 'id="deal-preview"' in body  # read: a value computed
        assert db.session.scalars(select(Deal)).all() == []


@time_machine.travel(NOW, tick=False)
def test_a_price_keeps_four_places(client, db, world):
    _post(client, world["lead"], listing_id=world["listing"].id, price="0.8125")
    assert db.session.scalars(select(Deal.price)).one() == D("0.8125")


@time_machine.travel(NOW, tick=False)
def test_a_won_need_with_its_deal_has_no_stage_moves(client, db, world):
    lead = world["lead"]
    _post(client, lead, listing_id=world["listing"].id)
    page = client.get(f"/agent/leads/{lead.id}?lang=en").get_data(as_text=True)
    assert 'id="stage"' not in page and 'id="edit-deal"' in page
    refused = client.post(f"/agent/leads/{lead.id}/status?lang=en",
                          data={"status": "negotiating"})
    assert refused.status_code == 422
    assert _fresh(db, Lead, lead.id).status == "won"


@PROPERTIES
@given(name=st.sampled_from(["signed_on", "start_on"]),
       text=st.one_of(st.text(max_size=20), st.sampled_from(
           ["\u3000", "\u200b", " ", "\x00", "无", "２０２６－１１－１８", "2026/11/18", "0001-01-01"])))
def test_any_text_in_a_date_field_is_never_a_500(client, db, world, name, text):
    """A required day typed as nothing read (a full-width or zero-width space) was a 500."""
    with time_machine.travel(NOW, tick=False):
        answer = _post(client, world["lead"], listing_id=world["listing"].id, preview="1",
                       **{name: text})
        assert answer.status_code in (200, 422), (name, text)
        if answer.status_code == 422:
            assert errors_in(answer.get_data(as_text=True))
        assert db.session.scalars(select(Deal)).all() == []
