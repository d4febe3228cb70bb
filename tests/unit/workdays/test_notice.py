"""Issue 16: the State Council's notice is read into holiday ranges and make-up workdays.
The three real notices (2024–2026, their published texts) must give exactly the days the
chinese-calendar package holds for those years."""
import json
from datetime import date
from pathlib import Path

import pytest

from crm.workdays import days, notice

NOTICES = Path(__file__).resolve().parents[2] / "fixtures" / "notices"


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_the_real_notices_give_the_packages_days(year):
    parsed = notice.parse((NOTICES / f"{year}.txt").read_text(), year)
    assert {(d.day, d.kind) for d in parsed} == {
        (day, kind) for day, (kind, _name) in days.package_days(year).items()}


def test_names_ranges_weekends_and_remarks():
    parsed = {d.day: d for d in notice.parse((NOTICES / "2025.txt").read_text(), 2025)}
    assert parsed[date(2025, 2, 1)].kind == "holiday"          # a Saturday inside 春节
    assert parsed[date(2025, 2, 1)].name == "春节"
    assert parsed[date(2025, 6, 2)].name == "端午节"           # 5月31日至6月2日 crosses a month
    assert parsed[date(2025, 10, 8)].name == "国庆节、中秋节"
    assert parsed[date(2025, 2, 8)].kind == "workday"
    parsed = {d.day: d for d in notice.parse((NOTICES / "2024.txt").read_text(), 2024)}
    assert date(2024, 2, 9) not in parsed                      # 除夕（2月9日）: advice, not a day off


def test_full_width_digits_and_text_without_sections():
    text = "二、春节：１月２８日至２月４日放假调休，共８天。１月２６日（星期日）、２月８日（星期六）上班。"
    parsed = notice.parse(text, 2025)
    assert len(parsed) == 10 and parsed[0].day == date(2025, 1, 26)
    with pytest.raises(notice.NoticeError):
        notice.parse("今年的放假安排请见附件。", 2027)


def test_cli_parse_notice_prints_one_json_object_per_day(app, runner, db):
    result = runner.invoke(args=["crm", "calendar", "parse-notice", "--year", "2026"],
                           input=(NOTICES / "2026.txt").read_text())
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert {"date": "2026-02-14", "kind": "workday", "name": "春节"} in lines
    assert {"date": "2026-02-21", "kind": "holiday", "name": "春节"} in lines
    assert len(lines) == 39
    from crm.models import CalendarDay
    assert db.session.query(CalendarDay).count() == 0        # saves nothing


def test_cli_import_notice_saves(app, runner, db):
    result = runner.invoke(args=["crm", "calendar", "import-notice", "--year", "2027"],
                           input=(NOTICES / "2027-test.txt").read_text())
    assert result.exit_code == 0, result.output
    assert days.source_of(2027) == "table"
    assert not days.is_workday(date(2027, 2, 8)) and days.is_workday(date(2027, 2, 14))
    bad = runner.invoke(args=["crm", "calendar", "import-notice", "--year", "2027"], input="你好")
    assert bad.exit_code != 0 and "could not read the notice" in bad.output


def test_a_bad_date_is_refused():
    """Review: 2月31日 crashed."""
    with pytest.raises(notice.NoticeError):
        notice.parse("二、春节：2月31日至3月2日放假调休，共3天。", 2027)
