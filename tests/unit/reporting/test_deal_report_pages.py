"""The signed-deal report pages over HTTP: who may open them, the ranking's toggle, the
dashboard's figure, the exports, the Chinese page. Figures: tests/integration/test_deal_report_numbers.py."""
import io
import re

import pytest
import time_machine
from openpyxl import load_workbook

from tests import deal_report_data, report_data
from tests.unit.reporting.test_report_pages import csv_rows, login

NOV = "from=2026-11-01&to=2026-11-30"


@pytest.fixture
def data(app):
    with time_machine.travel(report_data.NOW, tick=False):
        yield deal_report_data.build()


@pytest.mark.parametrize("path", ["/reports/deals", "/reports/parks", "/reports/occupancy",
                                  "/reports/deals/export.csv", "/reports/occupancy/export.xlsx"])
def test_agents_cannot_open_the_deal_reports(client, data, path):
    login(client, "a@example.com")
    assert client.open(path, method="POST" if "/export." in path else "GET").status_code == 403


@pytest.mark.parametrize("path", ["/reports/deals", "/reports/deals?dim=agent",
                                  "/reports/deals?dim=region", "/reports/deals?dim=industry",
                                  "/reports/deals?dim=channel", "/reports/deals?dim=nonsense",
                                  "/reports/parks", "/reports/occupancy",
                                  "/reports/occupancy?dim=region", "/reports/ranking?by=value"])
def test_deal_pages_render_with_charts_and_tables(client, data, path):
    login(client, "admin@example.com")
    response = client.get(path + ("&" if "?" in path else "?") + NOV)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    blocks = re.findall(r'<script type="application/json" id="([^"]+)">', html)
    assert blocks and all(f'data-chart="{b}"' in html for b in blocks)
    assert 'class="data"' in html


def test_manager_sees_their_teams_deals_whatever_the_url_asks(client, data):
    login(client, "m1@example.com")
    rows = csv_rows(client.post(f"/reports/deals/export.csv?{NOV}&dim=team"
                                f"&team={data['t2'].id}&lang=en"))
    assert rows[0][:3] == ["Team", "Deals signed", "Contract value (10k yuan)"]
    assert rows[1][:3] == ["一组", "3", "746.25"]
    assert rows[-1][:3] == ["Total", "3", "746.25"]


def test_ranking_toggle_orders_by_value_and_the_export_keeps_it(client, data):
    login(client, "admin@example.com")
    page = client.get("/reports/ranking?month=2026-11&by=value&lang=en").get_data(as_text=True)
    assert 'name="by"' in page and "By signed value" in page
    rows = csv_rows(client.post("/reports/ranking/export.csv?month=2026-11&by=value&lang=en"))
    assert [r[1] for r in rows[1:]] == ["丙", "甲", "乙"]
    rows = csv_rows(client.post("/reports/ranking/export.csv?month=2026-11&lang=en"))
    assert [r[1] for r in rows[1:]] == ["甲", "乙", "丙"]
    # An unknown order is refused next to its field and the page still answers.
    response = client.get("/reports/ranking?month=2026-11&by=bogus&lang=en")
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)


def test_dashboard_shows_this_months_signed_value_and_count(client, data):
    login(client, "admin@example.com")
    html = client.get(f"/reports/?{NOV}").get_data(as_text=True)
    assert re.search(r'id="signed-month-value">800(\.0+)?<', html)
    assert '本月签约合同金额' in html and "1 单" in html


def test_pages_are_in_chinese(client, data):
    login(client, "admin@example.com")
    html = client.get(f"/reports/occupancy?{NOV}").get_data(as_text=True)
    for text in ("空置率", "出租率", "去化天数", "报价与成交价", "含所有团队的成交"):
        assert text in html
    html = client.get(f"/reports/deals?{NOV}").get_data(as_text=True)
    assert "合同金额" in html and "已失效的合同不计" in html
    assert "逾期节点" in client.get(f"/reports/parks?{NOV}").get_data(as_text=True)


def test_occupancy_xlsx(client, data):
    login(client, "admin@example.com")
    response = client.post(f"/reports/occupancy/export.xlsx?{NOV}&lang=en")
    book = load_workbook(io.BytesIO(response.get_data()))
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows(min_row=2)]
    assert rows[0][:4] == ["嘉善园", 3, 10000, 7000]
    assert rows[-1][:4] == ["Total", 5, 13000, 7500]
    prices = [[c.value for c in row] for row in book.worksheets[1].iter_rows(min_row=2)]
    assert [p[:2] for p in prices] == [["万元 in total", 1], ["元/㎡/day", 1]]


def test_an_empty_range_says_so_in_chinese(client, data):
    login(client, "admin@example.com")
    html = client.get("/reports/deals?from=2026-01-01&to=2026-01-31&dim=agent").get_data(as_text=True)
    assert "此期间没有签约成交" in html
    html = client.get("/reports/parks?from=2026-01-01&to=2026-01-31").get_data(as_text=True)
    assert "此期间没有签约成交" in html and "逾期节点" in html


def test_ranking_explains_the_signed_value_in_chinese(client, data):
    login(client, "admin@example.com")
    html = client.get("/reports/ranking?month=2026-11&by=value").get_data(as_text=True)
    assert "按合同金额排名只改变排序" in html and "按合同金额" in html
