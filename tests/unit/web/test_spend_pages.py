"""The source spend pages (manage) and the Source ROI report page: who may, what a typed
amount becomes, duplicates refused, no 500s."""
import csv
import io
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import delete, select

from crm.extensions import db
from crm.inputs import numbers
from crm.inputs.spend import MAX_WAN
from crm.models import AuditLog, SourceSpend
from tests import roi_data
from tests.conftest import errors_in

NOW = roi_data.utc(2027, 1, 10, 4)


@pytest.fixture
def data(app):
    with time_machine.travel(NOW, tick=False):
        yield roi_data.build()


def login(client, email):
    assert client.post("/login", data={"email": email, "password": "secret-pass"}).status_code == 302


def post(client, **fields):
    return client.post("/manage/spend/new", data={"month": "2026-09", "source": "channel:web",
                                                   "amount": "1", "note": "", **fields})


@pytest.mark.parametrize("path, method", [("/manage/spend", "GET"), ("/manage/spend/new", "GET"),
                                          ("/manage/spend/new", "POST"), ("/manage/spend/1", "GET"),
                                          ("/manage/spend/1/delete", "POST"),
                                          ("/reports/roi", "GET"),
                                          ("/reports/roi/export.csv", "POST")])
def test_an_agent_cannot_open_the_spend_pages_nor_the_report(client, data, path, method):
    login(client, "a@example.com")
    assert client.open(path, method=method).status_code == 403


def test_an_admin_enters_edits_and_deletes_spend_audited(client, data):
    login(client, "admin@example.com")
    page = client.get("/manage/spend/new")
    assert page.status_code == 200 and 'type="month"' in page.get_data(as_text=True)
    assert 'value="2027-01"' in page.get_data(as_text=True)   # this month (the frozen clock)
    response = post(client, month="2026-09", source=f"site:{data['b'].id}", amount="3万5",
                    note="百度推广")
    assert response.status_code == 302 and "month=2026-09" in response.headers["Location"]
    row = db.session.scalars(select(SourceSpend).where(SourceSpend.note == "百度推广")).one()
    assert (row.month.isoformat(), row.amount_yuan, row.team_id) == ("2026-09-01", Decimal("35000"), None)
    listed = client.get("/manage/spend?month=2026-09").get_data(as_text=True)
    assert "35,000.00" in listed and "江苏站" in listed and "全公司" in listed
    edit = client.get(f"/manage/spend/{row.id}").get_data(as_text=True)
    assert 'value="2026-09"' in edit and 'value="3.5000"' in edit
    assert client.post(f"/manage/spend/{row.id}", data={
        "month": "2026-09", "source": f"site:{data['b'].id}", "amount": "8000元",
        "team": str(data["t2"].id), "note": ""}).status_code == 302
    db.session.expire_all()
    assert (row.amount_yuan, row.team_id) == (Decimal("8000"), data["t2"].id)
    row_id = row.id
    assert client.post(f"/manage/spend/{row_id}/delete").status_code == 302
    db.session.expunge_all()
    assert db.session.get(SourceSpend, row_id) is None
    actions = [(e.action, e.entity_id) for e in db.session.scalars(
        select(AuditLog).where(AuditLog.entity == "source_spend").order_by(AuditLog.id))]
    assert actions == [("spend_create", row_id), ("spend_edit", row_id), ("spend_delete", row_id)]
    entries = db.session.scalars(select(AuditLog).where(AuditLog.entity == "source_spend")
                                 .order_by(AuditLog.id)).all()
    assert entries[1].old["amount_yuan"] == "35000.00" and entries[1].new["amount_yuan"] == "8000.00"


def test_a_duplicate_is_refused_with_a_message_and_the_form_keeps_the_input(client, data):
    login(client, "admin@example.com")
    # 浙江站 already has the company's November spend (tests/roi_data.py).
    response = post(client, month="2026-11", source=f"site:{data['a'].id}", amount="1.2万",
                    note="重复")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "该来源当月已有投入记录" in "".join(errors_in(html))
    assert 'value="1.2万"' in html and 'value="重复"' in html
    # The same source for one team is another row; then that team's row is a duplicate too.
    assert post(client, month="2026-11", source=f"site:{data['a'].id}", amount="1",
                team=str(data["t1"].id)).status_code == 302
    assert post(client, month="2026-11", source=f"site:{data['a'].id}", amount="2",
                team=str(data["t1"].id)).status_code == 422
    # Editing a row into another's month and source is refused too.
    other = db.session.scalars(select(SourceSpend).where(SourceSpend.channel == "phone")).first()
    response = client.post(f"/manage/spend/{other.id}", data={
        "month": "2026-11", "source": f"site:{data['a'].id}", "amount": "1", "team": ""})
    assert response.status_code == 422 and "该来源当月已有投入记录" in response.get_data(as_text=True)


@pytest.mark.parametrize("month, message", [("2026-13", "YYYY-MM"), ("26-11", "YYYY-MM"),
                                            ("2026-11-05", "YYYY-MM"), ("1999-12", "2000-01-01"),
                                            ("", "YYYY-MM"), ("\u3000", "YYYY-MM"),
                                            ("\u200b", "YYYY-MM"), ("２０２６－１１", None)])
def test_the_month_picker(client, data, month, message):
    login(client, "admin@example.com")
    response = post(client, month=month, source="channel:api")
    if message is None:   # full-width digits are read
        assert response.status_code == 302
        assert db.session.scalars(select(SourceSpend.month).where(
            SourceSpend.channel == "api")).one().isoformat() == "2026-11-01"
    else:
        assert response.status_code == 422
        assert any(message in e for e in errors_in(response.get_data(as_text=True)))


def test_a_manager_enters_their_teams_spend_only(client, data):
    login(client, "m1@example.com")
    listed = client.get("/manage/spend").get_data(as_text=True)
    assert "8,000.00" in listed and "10,000.00" not in listed   # the company's rows are not theirs
    # The team is theirs whatever is posted.
    assert post(client, source="channel:api", team=str(data["t2"].id)).status_code == 302
    row = db.session.scalars(select(SourceSpend).where(SourceSpend.channel == "api")).one()
    assert row.team_id == data["t1"].id
    company = db.session.scalars(select(SourceSpend).where(SourceSpend.team_id.is_(None))).first()
    assert client.get(f"/manage/spend/{company.id}").status_code == 403
    assert client.post(f"/manage/spend/{company.id}/delete").status_code == 403


def test_unknown_source_and_row_are_field_errors_and_404(client, data):
    login(client, "admin@example.com")
    assert post(client, source="site:99999").status_code == 422
    assert post(client, source="channel:fax").status_code == 422
    assert post(client, source="").status_code == 422
    assert client.get("/manage/spend/99999").status_code == 404


def _expected_yuan(text: str) -> Decimal | None:
    """What the money reader makes of it, in 元; None when the field must refuse it."""
    try:
        low, high, _unit = numbers.parse_range(text, "money")
    except numbers.NumberError:
        return None
    if low is None or low != high or high > MAX_WAN:
        return None
    return (low.quantize(numbers.MONEY_PLACES) * 10000).quantize(Decimal("0.01"))


AMOUNTS = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="0123456789.,-万元亿千百十三五两块 ", max_size=10),
    st.decimals(min_value=-10**12, max_value=10**12, places=4, allow_nan=False).map(str),
    st.integers(min_value=-10**15, max_value=10**15).map(str),
    st.sampled_from(["3万5", "8000元", "0", "-1", "1e99", "NaN", "inf", "万", "1,2,3",
                     "3-5万", "1亿", "10000", "10001", "一万二", "０.８"]))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=AMOUNTS)
def test_an_amount_is_a_field_error_or_the_right_value_never_a_500(client, data, text):
    login(client, "admin@example.com")
    response = post(client, amount=text)
    expected = _expected_yuan(text)
    if response.status_code == 302:
        stored = db.session.scalars(select(SourceSpend.amount_yuan).where(
            SourceSpend.channel == "web", SourceSpend.month == roi_data.date(2026, 9, 1))).one()
        assert stored == expected and stored >= 0
        db.session.execute(delete(SourceSpend).where(SourceSpend.channel == "web"))
        db.session.commit()
    else:
        assert response.status_code == 422, (text, response.status_code)
        assert expected is None or not text.strip(), text
        errors = errors_in(response.get_data(as_text=True))
        assert errors, text


@pytest.mark.parametrize("text, yuan", [("3万5", "35000"), ("8000元", "8000"), ("0.8", "8000"),
                                        ("一万二元", "12000"), ("1亿", "100000000"), ("0", "0")])
def test_amounts_as_typed(client, data, text, yuan):
    login(client, "admin@example.com")
    assert post(client, amount=text).status_code == 302
    assert db.session.scalars(select(SourceSpend.amount_yuan).where(
        SourceSpend.channel == "web")).one() == Decimal(yuan)


@pytest.mark.parametrize("text, message", [("-5", "不小于 0"), ("1.5亿", "数值过大"), ("abc", "请输入数字"),
                                           ("", "请填写投入金额"), ("\u200b", "请填写投入金额")])
def test_amounts_refused_with_a_message(client, data, text, message):
    login(client, "admin@example.com")
    response = post(client, amount=text)
    assert response.status_code == 422
    assert any(message in e for e in errors_in(response.get_data(as_text=True))), errors_in(
        response.get_data(as_text=True))


def test_the_roi_page_and_its_exports(client, data):
    login(client, "admin@example.com")
    page = client.get("/reports/roi?from=2026-11-15&to=2026-12-02")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "来源投入产出" in html and "2026-11-01 – 2026-12-31" in html
    assert "15,000.00" in html and "80.00" in html and "—" in html
    exported = client.post("/reports/roi/export.csv?from=2026-11-15&to=2026-12-02")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    site_row = next(r for r in rows if r and r[0] == "浙江站")
    assert site_row[1:] == ["15000.0", "4", "2", "1", "120.0", "3750.0", "7500.0", "15000.0", "80.0"]
    none_row = next(r for r in rows if r and r[0] == "（无）" or r and r[0] == "(none)")
    assert none_row[6:] == ["", "", "", ""]   # divided by nothing: empty cells
    xlsx = client.post("/reports/roi/export.xlsx?from=2026-11-15&to=2026-12-02")
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.data)).active.max_row > 3
    # A manager sees the report (their team's spend); nothing in range is no 500.
    client.post("/logout")
    login(client, "m1@example.com")
    assert client.get("/reports/roi?from=2030-01-01&to=2030-01-31").status_code == 200
    assert client.get("/reports/roi?from=garbage&to=2026-13-45").status_code == 200
