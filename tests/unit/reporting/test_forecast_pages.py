"""The weighted pipeline and forecast over HTTP (who may open it, the CSV matches the figures),
the stage probabilities page (a manager edits their own team's only; bad figures refused) and
a need's expected value and close date on the lead page."""
import io
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.extensions import db
from crm.leads import pipeline
from crm.models import Activity, Lead, StageProbability
from tests import forecast_data
from tests.conftest import errors_in
from tests.unit.reporting.test_report_pages import csv_rows, login

RANGE = "from=2026-12-01&to=2027-01-31"


@pytest.fixture
def data(app):
    with time_machine.travel(forecast_data.NOW, tick=False):
        yield forecast_data.build()


def test_agents_may_not_open_the_forecast(client, data):
    login(client, "jia@example.com")
    assert client.get(f"/reports/forecast?{RANGE}").status_code == 403
    assert client.post(f"/reports/forecast/export.csv?{RANGE}").status_code == 403


def test_the_page_shows_the_weighted_pipeline_in_chinese(client, data):
    login(client, "boss@example.com")
    page = client.get(f"/reports/forecast?{RANGE}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "各阶段加权商机" in html and "按预计成交月份的预测" in html and "赢单概率" in html
    assert "551.025" in html or "551.03" in html  # the total weighted value


def test_the_default_range_is_this_month_and_the_next_five(client, data):
    login(client, "boss@example.com")
    html = client.get("/reports/forecast").get_data(as_text=True)
    assert "2026-12-01 – 2027-05-31" in html


def test_csv_export_matches_the_figures(client, data):
    login(client, "boss@example.com")
    rows = csv_rows(client.post(f"/reports/forecast/export.csv?{RANGE}"))
    by_first = {r[0]: r[1:] for r in rows if r}
    assert by_first["新线索"] == ["2", "2", "110.5", "10.525"]
    assert by_first["洽谈中"] == ["2", "2", "600.0", "480.0"]
    assert by_first["一组"] == ["5", "4", "750.0", "502.5"]
    assert by_first["甲"] == ["3", "3", "700.0", "490.0"]
    assert by_first["2026-12"] == ["4", "3", "270.0", "70.5", "1", "280.0"]
    assert by_first["2027-01"] == ["1", "1", "200.0", "160.0", "0", "0.0"]
    assert ["合计", "7", "6", "880.5", "551.025"] in rows
    assert ["合计", "5", "4", "470.0", "230.5", "1", "280.0"] in rows


def test_a_managers_export_holds_their_team_only(client, data):
    login(client, "m2@example.com")
    rows = csv_rows(client.post(f"/reports/forecast/export.csv?{RANGE}&team={data['one'].id}"))
    firsts = [r[0] for r in rows if r]
    assert "二组" in firsts and "一组" not in firsts and "甲" not in firsts


# --- stage probabilities --------------------------------------------------------------------

def stored(team_id):
    return {p.stage: p.pct for p in pipeline.probabilities(team_id)}


FORM = {"new": "5", "contacted": "10", "qualified": "30", "site_visit": "40", "negotiating": "70"}


def test_a_manager_edits_their_own_teams_probabilities_only(client, data):
    one, two = data["one"].id, data["two"].id
    login(client, "m1@example.com")
    assert client.get(f"/manage/stage-probabilities?team={two}").status_code == 403
    assert client.post(f"/manage/stage-probabilities?team={two}", data=FORM).status_code == 403
    assert stored(two)["qualified"] == 25  # untouched
    page = client.get("/manage/stage-probabilities")  # no team asked: their own
    assert page.status_code == 200 and "一组" in page.get_data(as_text=True)
    assert client.post("/manage/stage-probabilities", data=FORM).status_code == 302
    assert stored(one) == {"new": 5, "contacted": 10, "qualified": 30, "site_visit": 40,
                           "negotiating": 70}
    # Figures equal to the default are not kept as the team's own: a later default reaches them.
    assert {r.stage for r in db.session.scalars(
        select(StageProbability).where(StageProbability.team_id == one))} == {"qualified",
                                                                              "negotiating"}


def test_an_admin_edits_any_team_and_the_defaults(client, data):
    two = data["two"].id
    login(client, "boss@example.com")
    assert client.post(f"/manage/stage-probabilities?team={two}",
                       data={**FORM, "new": "二十"}).status_code == 302
    assert stored(two)["new"] == 20
    assert client.post("/manage/stage-probabilities", data={**FORM, "contacted": "15%"}).status_code == 302
    assert stored(None)["contacted"] == 15 and stored(data["one"].id)["contacted"] == 15


BAD = st.one_of(
    st.integers(min_value=101, max_value=10**9).map(str),
    st.integers(max_value=-1, min_value=-10**9).map(str),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2)
    .filter(lambda d: d != d.to_integral_value()).map(str),
    st.text(alphabet="abcxyz!?#", min_size=1, max_size=12),
    st.just(""), st.just("万"), st.just("1,2,3"))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(stage=st.sampled_from(sorted(FORM)), bad=BAD)
def test_the_probability_form_refuses_what_is_not_a_whole_percent(client, data, stage, bad):
    one = data["one"].id
    login(client, "m1@example.com")
    before = stored(one)
    response = client.post(f"/manage/stage-probabilities?team={one}", data={**FORM, stage: bad})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert len(errors_in(html)) == 1
    assert f'value="{bad}"'.replace("&", "&amp;") in html or bad == ""  # kept as typed
    assert stored(one) == before


# --- a need's expected value and close date -------------------------------------------------

def need(ref):
    return db.session.scalar(select(Lead).where(Lead.reference == ref))


def test_the_owner_sets_the_expected_value_as_typed(client, data):
    lead = need("CF-P0001")
    login(client, "jia@example.com")
    page = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert "预计金额与成交日期" in page and 'id="pipeline"' in page
    response = client.post(f"/agent/leads/{lead.id}/pipeline",
                           data={"expected_value": "3万5", "expected_close_on": "2027-03-01"})
    assert response.status_code == 302
    db.session.expire_all()
    lead = need("CF-P0001")
    assert lead.expected_value_wan == Decimal("3.5") and lead.expected_close_on == date(2027, 3, 1)
    assert db.session.scalar(select(Activity.body).where(Activity.lead_id == lead.id))


@pytest.mark.parametrize("value, close", [("abc", "2027-03-01"), ("-5", ""), ("100", "2027-13-01"),
                                          ("1,2,3", "")])
def test_a_bad_value_is_refused_next_to_the_field_and_kept(client, data, value, close):
    lead = need("CF-P0001")
    login(client, "jia@example.com")
    response = client.post(f"/agent/leads/{lead.id}/pipeline",
                           data={"expected_value": value, "expected_close_on": close})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert errors_in(html) and re.search(r'value="' + re.escape(value) + '"', html)
    db.session.expire_all()
    assert need("CF-P0001").expected_value_wan == Decimal("100")


def test_someone_elses_need_cannot_be_valued(client, data):
    lead = need("CF-P0008")  # 二组's
    login(client, "jia@example.com")
    assert client.post(f"/agent/leads/{lead.id}/pipeline",
                       data={"expected_value": "1"}).status_code == 403
    login(client, "m1@example.com")
    assert client.post(f"/agent/leads/{lead.id}/pipeline",
                       data={"expected_value": "1"}).status_code == 403


def test_a_value_is_suggested_from_the_listing_asked_about_and_never_stored(client, data):
    from crm.models import Listing
    listing = Listing(title="南浔厂房", property_type="factory", deal_type="rent",
                      area_sqm=Decimal("3000"), price=Decimal("0.8"))
    db.session.add(listing)
    db.session.flush()
    lead = need("CF-P0001")
    lead.listing_id, lead.area_max_sqm = listing.id, Decimal("2000")
    db.session.commit()
    # 0.8 元/㎡/天 × 2,000 ㎡ × 365/12 × 36 / 10,000 = 175.2 万元 (docs/deals.md).
    assert pipeline.suggested_value(lead) == Decimal("175.2")
    login(client, "jia@example.com")
    html = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert 'id="pipeline-suggested"' in html and "175.2" in html
    db.session.expire_all()
    assert need("CF-P0001").expected_value_wan == Decimal("100")
    listing.price_negotiable, listing.price = True, None
    db.session.commit()
    assert pipeline.suggested_value(need("CF-P0001")) is None


def test_xlsx_export_has_a_sheet_per_table(client, data):
    from openpyxl import load_workbook
    login(client, "boss@example.com")
    book = load_workbook(io.BytesIO(client.post(f"/reports/forecast/export.xlsx?{RANGE}").data))
    assert book.sheetnames == ["各阶段加权商机", "各团队加权商机", "各顾问加权商机", "按预计成交月份的预测"]
    months = list(book["按预计成交月份的预测"].iter_rows(values_only=True))
    assert months[1] == ("2026-12", 4, 3, 270.0, 70.5, 1, 280.0)


def test_a_closed_need_shows_its_figures_without_a_form(client, data):
    lead = need("CF-P0006")  # won
    login(client, "jia@example.com")
    html = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert 'id="pipeline"' in html and 'name="expected_value"' not in html and "300" in html
    response = client.post(f"/agent/leads/{lead.id}/pipeline", data={"expected_value": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert need("CF-P0006").expected_value_wan == Decimal("300")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=st.one_of(st.text(max_size=20), st.decimals(min_value=0, max_value=10**7, places=4)
                       .map(str), st.sampled_from(["3万5", "35000元", "1.2亿", "三千", "-1", "1,2,3"])),
       close=st.one_of(st.just(""), st.dates().map(date.isoformat), st.text(max_size=12)))
def test_the_expectation_form_takes_a_figure_or_says_why_not(app, value, close):
    from werkzeug.datastructures import MultiDict

    from crm.inputs import numbers
    from crm.web.agent.pipeline import ExpectationForm
    with app.test_request_context("/", method="POST"):
        form = ExpectationForm(formdata=MultiDict({"expected_value": value,
                                                   "expected_close_on": close}))
        if form.validate():
            data = form.to_input()
            parsed = numbers.parse(value, "money")[0]
            assert data.value_wan == (None if parsed is None else parsed.quantize(Decimal("0.0001")))
        else:
            assert form.errors and all(form.errors.values())
