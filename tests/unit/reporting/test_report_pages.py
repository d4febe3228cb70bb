"""Report pages over HTTP: who sees what, filters that cannot widen a scope, exports."""
import csv
import io
import re

import pytest
import time_machine
from openpyxl import load_workbook

from crm.models import ExportJob
from tests import report_data

NOV = "from=2026-11-01&to=2026-11-30"


@pytest.fixture
def data(app):
    # The data set's leads are judged at its "now" (SLA still open or breached): freeze the clock there.
    with time_machine.travel(report_data.NOW, tick=False):
        yield report_data.build()


def login(client, email):
    assert client.post("/login", data={"email": email, "password": "secret-pass"}).status_code == 302


def csv_rows(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("path", ["/reports/", "/reports/funnel", "/reports/pipeline",
                                  "/reports/sources", "/reports/funnel/export.csv",
                                  "/reports/leads/export.xlsx", "/reports/sources/export.csv"])
def test_agents_cannot_open_team_reports(client, data, path):
    login(client, "a@example.com")
    assert client.open(path, method="POST" if "/export." in path else "GET").status_code == 403


def test_agent_sees_only_their_own_speed_and_ranking(client, data):
    login(client, "a@example.com")
    html = client.get(f"/reports/speed?{NOV}&agent={data['b'].id}&team={data['t2'].id}&lang=en")
    assert html.status_code == 200
    page = html.get_data(as_text=True)
    assert "甲" in page and "乙" not in page and "丙" not in page
    rows = csv_rows(client.post(f"/reports/ranking/export.csv?month=2026-11&agent={data['c'].id}"))
    names = [r[1] for r in rows[1:]]
    assert names == ["甲"]


def test_manager_sees_their_team_whatever_the_url_asks(client, data):
    login(client, "m1@example.com")
    page = client.get(f"/reports/ranking?month=2026-11&team={data['t2'].id}&lang=en").get_data(as_text=True)
    assert "甲" in page and "乙" in page and "丙" not in page
    rows = csv_rows(client.post(f"/reports/funnel/export.csv?{NOV}&team={data['t2'].id}&lang=en"))
    assert rows[1][:2] == ["New", "5"]  # the team's five leads, not team 2's one


def test_admin_can_filter_by_any_team(client, data):
    login(client, "admin@example.com")
    rows = csv_rows(client.post(f"/reports/funnel/export.csv?{NOV}&team={data['t2'].id}&lang=en"))
    assert rows[1][:2] == ["New", "1"]


@pytest.mark.parametrize("path", ["/reports/", "/reports/funnel?dim=page", "/reports/funnel?dim=region",
                                  "/reports/speed", "/reports/ranking", "/reports/pipeline",
                                  "/reports/sources?dim=utm_source"])
def test_every_page_renders_with_charts_data_and_tables(client, data, path):
    login(client, "admin@example.com")
    response = client.get(path + ("&" if "?" in path else "?") + NOV)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    # Charts read JSON data blocks; there is no inline script to run.
    blocks = re.findall(r'<script type="application/json" id="([^"]+)">', html)
    assert blocks and all(f'data-chart="{b}"' in html for b in blocks)
    assert not re.search(r"<script>(?!\s*</script>)", html)
    assert 'class="data"' in html and "echarts.min.js" in html


def test_dashboard_headline(client, data):
    login(client, "admin@example.com")
    html = client.get(f"/reports/?{NOV}").get_data(as_text=True)
    assert '<strong id="total">7</strong>' in html  # the first report: every lead, spam too
    assert '<strong id="won">1</strong>' in html
    assert '<strong id="within-sla">60.0%</strong>' in html


DATE_MESSAGE = "Please give a date as YYYY-MM-DD"
SWAPPED = "The end date is before the start date; they were swapped."


@pytest.mark.parametrize(("query", "path", "field", "message"), [
    *[("from=yesterday&to=2026-13-45", path, field, DATE_MESSAGE)
      for path in ("/reports/", "/reports/funnel", "/reports/speed") for field in ("from", "to")],
    *[("from=2026-11-30&to=2026-11-01", path, "to", SWAPPED)
      for path in ("/reports/", "/reports/funnel", "/reports/speed")],
    ("month=2026-13", "/reports/ranking", "month", "Please give a month as YYYY-MM"),
    ("dim=nope", "/reports/funnel", "dim", "Not a valid choice"),
])
def test_bad_filters_are_explained_not_failed(client, data, query, path, field, message):
    login(client, "admin@example.com")
    response = client.get(f"{path}?{query}&lang=en")
    assert response.status_code == 200  # the report still shows, over its default
    html = response.get_data(as_text=True)
    # ...and the message stands next to the field it is about.
    assert re.search(rf'<p class="error" id="{field}-error">{re.escape(message)}', html), html


def test_unreadable_team_and_agent_ids_are_ignored_not_failed(client, data):
    login(client, "admin@example.com")
    html = client.get(f"/reports/?{NOV}&team=abc&agent=-1").get_data(as_text=True)
    assert '<strong id="total">7</strong>' in html  # the admin's whole scope, as with no filter


def test_bad_month_gets_a_message_next_to_its_field(client, data):
    login(client, "admin@example.com")
    html = client.get("/reports/ranking?month=2026-13&lang=en").get_data(as_text=True)
    assert re.search(r'<p class="error" id="month-error">Please give a month as YYYY-MM', html)


def test_csv_and_xlsx_exports_hold_the_same_figures(client, data):
    login(client, "admin@example.com")
    rows = csv_rows(client.post(f"/reports/funnel/export.csv?{NOV}&dim=team&lang=en"))
    assert rows[0] == ["Funnel"]  # several tables: each under its title
    assert ["New", "6", "", "100.0"] in rows
    response = client.post(f"/reports/funnel/export.xlsx?{NOV}&dim=team&lang=en")
    assert response.headers["Content-Disposition"].endswith('funnel-20261101-20261130.xlsx"')
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[2]][:2] == ["New", 6]
    team_rows = [[c.value for c in row] for row in book.worksheets[1].iter_rows(min_row=2)]
    assert ["一组", 5] == team_rows[0][:2]


def test_exports_never_write_formulas(client, data, db):
    from crm.models import Lead
    lead = db.session.get(Lead, 1)
    lead.page_url = "=HYPERLINK(\"http://evil.example\",\"x\")"
    db.session.commit()
    login(client, "admin@example.com")
    rows = csv_rows(client.post(f"/reports/sources/export.csv?{NOV}"))
    assert any(r[0].startswith("'=HYPERLINK") for r in rows)
    book = load_workbook(io.BytesIO(client.post(f"/reports/sources/export.xlsx?{NOV}").get_data()))
    cells = [c for row in book.worksheets[0].iter_rows() for c in row if isinstance(c.value, str)
             and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)


def test_large_export_runs_as_a_job_with_progress_and_a_download(app, client, data, db):
    app.config["CRM_EXPORT_SYNC_MAX_ROWS"] = 2  # the lead list has 6 rows: a job
    login(client, "m1@example.com")
    response = client.post(f"/reports/leads/export.csv?{NOV}")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    job_id = int(re.search(r"/exports/(\d+)", job_url).group(1))
    page = client.get(job_url)
    assert page.status_code == 200 and b"export-progress" in page.data
    state = client.get(f"/reports/exports/{job_id}/status").get_json()
    # Eager mode (no Redis): the task ran in-process before the redirect.
    assert state["status"] == "done" and state["progress"] == 100
    assert state["rows_done"] == state["rows_total"] == 5  # team 1's leads, never spam
    rows = csv_rows(client.get(state["download_url"]))
    assert len(rows) == 6  # a header and five leads
    assert {r[0] for r in rows[1:]} == {"CF-T0001", "CF-T0002", "CF-T0003", "CF-T0004", "CF-T0009"}
    job = db.session.get(ExportJob, job_id)
    assert job.user_id == data["m1"].id


def test_someone_elses_export_job_is_refused(app, client, data):
    app.config["CRM_EXPORT_SYNC_MAX_ROWS"] = 0
    login(client, "m1@example.com")
    job_url = client.post(f"/reports/leads/export.csv?{NOV}").headers["Location"]
    client.post("/logout")
    login(client, "m2@example.com")
    assert client.get(job_url).status_code == 403
    assert client.get(job_url + "/status").status_code == 403
    assert client.get(job_url + "/download").status_code == 403


def test_unknown_export_format_or_report_is_404(client, data):
    login(client, "admin@example.com")
    assert client.post("/reports/funnel/export.pdf").status_code == 404
    assert client.post("/reports/nothing/export.csv").status_code == 404


def test_lead_list_xlsx_names_regions_shows_the_company_and_sizes_its_columns(client, data):
    """Issue 15: the lead list carried region codes, no company and default widths."""
    login(client, "admin@example.com")
    response = client.post(f"/reports/leads/export.xlsx?{NOV}&lang=en")
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert "Company" in header
    regions = {row[header.index("Region")].value for row in sheet.iter_rows(min_row=2)}
    assert regions and not any(r and r.startswith("zj.") for r in regions)
    assert any(r and "Changxing" in r for r in regions)
    width = sheet.column_dimensions["A"].width
    assert width and width >= 14
