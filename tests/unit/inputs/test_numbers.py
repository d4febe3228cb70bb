"""Figures as people type them (issue 15: "30亩" stored as 30 ㎡, "5000000元" as 500 亿)."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.inputs.numbers import NumberError, parse
from crm.models import Lead
from tests.unit.intake.test_inquiry_form import GOOD


@pytest.mark.parametrize("text, kind, value, unit", [
    ("3000", "area", "3000", None), ("3,000平", "area", "3000", "sqm"),
    ("３０００㎡", "area", "3000", "sqm"), ("3000m²", "area", "3000", "sqm"),
    ("三千", "area", "3000", None), ("2千", "area", "2000", None),
    ("1.5万平", "area", "15000", "sqm"), ("三千五平米", "area", "3500", "sqm"),
    ("30亩", "area", "30", "mu"), ("五十亩", "area", "50", "mu"),
    ("一万二千", "area", "12000", None), ("3000左右", "area", "3000", None),
    ("5000000元", "money", "500", None), ("300万", "money", "300", None),
    ("300万元", "money", "300", None), ("1.2亿", "money", "12000", None),
    ("三千万元", "money", "3000", None), ("500", "money", "500", None),
])
def test_understood(text, kind, value, unit):
    got, got_unit = parse(text, kind)
    assert got == Decimal(value) and got_unit == unit


@pytest.mark.parametrize("text", ["abc", "一千多", "3.5.5", "1" + "," * 38 + "0000", "-5"])
def test_refused(text):
    with pytest.raises(NumberError):
        parse(text, "area")


def test_a_unit_written_in_the_field_wins_over_the_radio(client, db):
    data = {**GOOD, "area_min": "30亩", "area_max": "50亩", "area_unit": "sqm",
            "annual_tax_wan": "5000000元", "investment_wan": "1.2亿"}
    assert client.post("/inquiry", data=data).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.area_unit == "mu" and lead.area_min_sqm == Decimal("20000.10")
    assert lead.annual_tax_wan == Decimal("500") and lead.investment_wan == Decimal("12000")


def test_land_is_measured_in_mu_unless_a_unit_is_given(client, db):
    data = {k: v for k, v in GOOD.items() if k != "area_unit"}
    client.post("/inquiry", data={**data, "property_type": "land", "area_min": "30"})
    lead = db.session.scalars(select(Lead)).one()
    assert lead.area_unit == "mu" and lead.area_min_sqm == Decimal("20000.10")


def test_implausible_money_is_never_stored_but_kept_as_typed(client, db):
    # The prospect's form keeps it for the agent (issue 28); agent entry refuses it (the
    # same field and bound, crm.inputs.fields.LooseDecimalField).
    assert client.post("/inquiry?lang=en",
                       data={**GOOD, "annual_tax_wan": "5000000"}).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.annual_tax_wan is None and ": 5000000" in lead.message
