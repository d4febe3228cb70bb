"""Issue 28: numbers as people say them, read by one module (crm.inputs.numbers) on every
channel: the public form, the API, agent entry, the importer and the message reader."""
import csv
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.inputs.numbers import NumberError, parse, parse_range, spoken_digits
from crm.intake import importer, message
from crm.models import Lead
from tests.factories import UserFactory, make_site
from tests.unit.intake.test_inquiry_form import GOOD


@pytest.mark.parametrize("text, kind, low, high, unit", [
    ("3万5", "money", "3.5", "3.5", None),            # was 30,005 万元
    ("15万5", "money", "15.5", "15.5", None),         # was 150,005
    ("一万五", "area", "15000", "15000", None),       # was 10,005
    ("1万5平", "area", "15000", "15000", "sqm"),
    ("1万5平米", "area", "15000", "15000", "sqm"),
    ("面积：1,200㎡".split("：")[1], "area", "1200", "1200", "sqm"),
    ("2亿5千万", "money", "25000", "25000", None),
    ("1亿5", "money", "15000", "15000", None),
    ("两亿五", "money", "25000", "25000", None),
    ("一万二平", "area", "12000", "12000", "sqm"),    # was 10,002
    ("3-5千平", "area", "3000", "5000", "sqm"),       # was 3
    ("三四十亩", "area", "30", "40", "mu"),
    ("5000方", "area", "5000", "5000", "sqm"),
    ("2万方", "area", "20000", "20000", "sqm"),
    ("3000-5000平", "area", "3000", "5000", "sqm"),
    ("3000平-5000平", "area", "3000", "5000", "sqm"),
    ("2-3万元", "money", "2", "3", None),
    ("500-1万", "area", "500", "10000", None),       # 500万 would pass 1万: not shared
    ("50元", "money", "0.005", "0.005", None),
    ("叁万伍仟元", "money", "3.5", "3.5", None),
    ("一万零五", "area", "10005", "10005", None),
])
def test_figures_as_people_say_them(text, kind, low, high, unit):
    assert parse_range(text, kind) == (Decimal(low), Decimal(high), unit)


@pytest.mark.parametrize("text, reason", [
    ("万", "万"), ("百平", "百"), ("1,2,3", "ambiguous"), ("12,34", "ambiguous"),
    ("一二", "ambiguous"), ("30亩-5000平", "ambiguous"), ("5000-3000平", "ambiguous"),
])
def test_what_cannot_be_read_is_refused_with_a_reason(text, reason):
    with pytest.raises(NumberError) as caught:
        parse_range(text, "area")
    assert str(caught.value) == reason


def test_one_figure_fields_refuse_a_range():
    with pytest.raises(NumberError, match="range"):
        parse("300-500万", "money")


def test_spoken_mobiles():
    assert spoken_digits("一八六九二三四零七一六") == "18692340716"
    assert spoken_digits("幺三九 幺二三四 五六七八") == "13912345678"
    assert spoken_digits("一八六九二三四零七一六号") is None


# Every channel ------------------------------------------------------------------------

def test_a_spoken_mobile_typed_in_the_mobile_box_is_that_number(client, db):
    data = {**GOOD, "mobile": "一八六九二三四零七一六 仅微信"}
    assert client.post("/inquiry", data=data).status_code == 302
    assert db.session.scalars(select(Lead)).one().mobile_e164 == "+8618692340716"


def test_the_public_form_stores_what_was_meant(client, db):
    data = {**GOOD, "area_min": "一万五", "annual_tax_wan": "3万5", "investment_wan": "2亿5千万"}
    assert client.post("/inquiry", data=data).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.area_min_sqm == Decimal("15000") and lead.annual_tax_wan == Decimal("3.5")
    assert lead.investment_wan == Decimal("25000")


def test_a_range_in_one_box_is_a_range_on_the_form(client, db):
    response = client.post("/inquiry", data={**GOOD, "area_min": "3000-5000平"})
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert (lead.area_min_sqm, lead.area_max_sqm) == (Decimal("3000"), Decimal("5000"))


def test_a_50_yuan_tax_is_not_no_tax(client, db):
    assert client.post("/inquiry", data={**GOOD, "annual_tax_wan": "50元"}).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.annual_tax_wan == Decimal("0.005")
    from crm.formatting import wan
    assert wan(lead.annual_tax_wan) == "0.005"


@pytest.mark.parametrize("typed, words", [("万", "e.g. 5000"), ("1,2,3", "several ways")])
def test_an_unreadable_figure_is_left_empty_and_kept_as_typed(client, db, auth, typed, words):
    # The prospect's form never refuses it: the field empty, the words kept for the agent.
    page = client.post("/inquiry?lang=en", data={**GOOD, "area_min": typed})
    assert page.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.area_min_sqm is None and f"最小面积: {typed}" in lead.message
    # Agent entry says why, next to the field.
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    page = client.post("/agent/leads/new?lang=en", data={
        "contact_name": "周女士", "mobile": "13800138000", "consent": "y", "channel": "phone",
        "area_min": typed})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert words in html and typed in html


def test_the_api_reads_a_range_in_one_field(client, db):
    _site, key = make_site()
    db.session.commit()
    answer = client.post("/api/v1/inquiries", headers={"X-Api-Key": key}, json={
        "contact_name": "刘先生", "mobile": "13391219793", "consent": True,
        "area_min": "3-5千平", "annual_tax_wan": "15万5"})
    assert answer.status_code == 201, answer.get_json()
    lead = db.session.scalars(select(Lead)).one()
    assert (lead.area_min_sqm, lead.area_max_sqm) == (Decimal("3000"), Decimal("5000"))
    assert lead.annual_tax_wan == Decimal("15.5")


def test_agent_entry_reads_spoken_figures(client, auth, db):
    from tests.factories import UserFactory
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    page = client.post("/agent/leads/new", data={
        **GOOD, "channel": "phone", "area_min": "1万5平", "annual_tax_wan": "1亿5"})
    assert page.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.area_min_sqm == Decimal("15000") and lead.annual_tax_wan == Decimal("15000")


def test_the_importer_reads_the_same_range_as_the_form(app):
    mapping = {"contact_name": 0, "mobile": 1, "area_min": 2, "annual_tax_wan": 3}
    form = importer.validate_row(["王经理", "13912345678", "3000-5000平", "3万5"], mapping)
    assert not form.errors
    assert (form.area_min.data, form.area_max.data) == (Decimal("3000"), Decimal("5000"))
    assert form.annual_tax_wan.data == Decimal("3.5")
    refused = importer.validate_row(["王经理", "13912345678", "1,2,3", ""], mapping)
    assert refused.area_min.data is None and refused.area_min.errors


@pytest.mark.parametrize("text, fields", [
    ("面积：1,200㎡ 王先生 13912345678", {"area_min": 1200.0}),
    ("厂房1万5平米 王先生 13912345678", {"area_min": 15000.0}),
    ("投资2亿5千万，王先生 13912345678", {"investment_wan": 25000.0}),
    ("投资1亿5，王先生 13912345678", {"investment_wan": 15000.0}),
    ("要一万二平的厂房", {"area_min": 12000.0}),
    ("找3-5千平厂房", {"area_min": 3000.0, "area_max": 5000.0}),
    ("买三四十亩工业用地", {"area_min": 30.0, "area_max": 40.0, "area_unit": "mu"}),
    ("仓库5000方", {"area_min": 5000.0}), ("仓库2万方", {"area_min": 20000.0}),
    ("电话一八六九二三四零七一六", {"mobile": "18692340716"}),
    ("厂房 万 平", {"area_min": None}), ("厂房1,2,3平", {"area_min": None}),
])
def test_the_message_reader_reads_the_same_figures(app, text, fields):
    got = message.as_fields(message.read(text))
    for name, value in fields.items():
        assert got.get(name) == value, got


def test_areas_are_exported_in_whole_square_metres_as_the_page_shows(client, auth, db):
    assert client.post("/inquiry", data={**GOOD, "area_min": "30亩"}).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.area_min_sqm == Decimal("20000.10")   # 亩 × 666.67, kept exact
    from crm.leads.export import csv_file, headers
    from tests.factories import UserFactory
    handle = csv_file([lead], UserFactory(role="admin"))
    rows = list(csv.reader(io.TextIOWrapper(handle, encoding="utf-8-sig")))
    assert len(rows[0]) == len(headers()) and rows[1][10] == "20000"   # Area from (㎡)
    from crm.reporting.exports import _cell
    assert _cell(20000.1, "sqm") == 20000
    from crm.formatting import area, area_range
    from crm.notifications.outbox import summary
    assert area(lead.area_min_sqm) == "20,000 ㎡" and area(lead.area_min_sqm, "mu") == "30 亩（20,000 ㎡）"
    assert area_range(Decimal("20000.10"), Decimal("33333.50")) == "20,000–33,334 ㎡"
    assert "20,000–" in summary(lead) and "20000.1" not in summary(lead)


# Property: a number said in any of the usual styles reads back as that number -----------

def _styles(n: int) -> list[str]:
    styles = [str(n), f"{n:,}"]
    if n % 10000 == 0:
        styles.append(f"{n // 10000}万")
    elif n > 10000 and n % 1000 == 0 and (n // 1000) % 10:
        styles.append(f"{n // 10000}万{(n // 1000) % 10}")          # 1万5
    if n % 1000 == 0 and n < 10000:
        styles.append(f"{n // 1000}千")
    import cn2an
    styles.append(cn2an.an2cn(n))                                      # 一万五千
    return styles


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.integers(min_value=1, max_value=99_999_999),
       unit=st.sampled_from(["平", "平米", "平方", "㎡", "m²", "方", "亩", ""]))
def test_any_spoken_style_reads_back_the_same_area(n, unit):
    for text in _styles(n):
        low, high, got_unit = parse_range(text + unit, "area")
        assert low == high == n, text + unit
        assert got_unit == ({"亩": "mu", "": None}.get(unit, "sqm"))


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=1, max_value=9_999), magnitude=st.sampled_from(["万", "亿"]))
def test_money_never_reads_a_wrong_magnitude(n, magnitude):
    # n万 is n 万元; n亿 is n × 10,000 万元, however the figure is spelled.
    import cn2an
    want = Decimal(n) * (10000 if magnitude == "亿" else 1)
    for text in (f"{n}{magnitude}", f"{n}{magnitude}元", cn2an.an2cn(n) + magnitude):
        assert parse(text, "money")[0] == want, text


@settings(max_examples=100, deadline=None)
@given(low=st.integers(min_value=1, max_value=9), step=st.integers(min_value=1, max_value=8),
       magnitude=st.sampled_from(["千", "万"]), unit=st.sampled_from(["平", "亩", "方"]))
def test_a_range_shares_its_magnitude_and_unit(low, step, magnitude, unit):
    high = min(low + step, 9)
    if high == low:
        return
    factor = 1000 if magnitude == "千" else 10000
    got = parse_range(f"{low}-{high}{magnitude}{unit}", "area")
    assert got[:2] == (low * factor, high * factor)
