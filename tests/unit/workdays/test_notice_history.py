"""Issue 28: older notices start 元旦 in the December before their year, give a day off as
"1月2日（星期一）补休", and a pasted notice may name the wrong weekday. The fixtures are the
State Council's texts for 2012, 2015, 2017 and 2019; each must mean, day by day, what the
chinese-calendar package says (it lists a weekend joined to a holiday as a holiday too; the
notice does not, and both make it a day off)."""
import json
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from crm.workdays import days, notice

NOTICES = Path(__file__).resolve().parents[2] / "fixtures" / "notices"
# Changed after the notices by later ones: 2019's Labour Day (国办发明电〔2019〕3号, March 2019)
# and 2015's 70th anniversary of the victory (国发明电〔2015〕3号).
LATER_NOTICES = {2019: {date(2019, 4, 28), date(2019, 5, 2), date(2019, 5, 3),
                        date(2019, 5, 4), date(2019, 5, 5)},
                 2015: {date(2015, 9, 3), date(2015, 9, 4), date(2015, 9, 6)}}


def _meaning(parsed: list[notice.NoticeDay], day: date) -> bool:
    by_day = {d.day: d.kind for d in parsed}
    return by_day[day] == "workday" if day in by_day else day.weekday() < 5


@pytest.mark.parametrize("year", [2012, 2015, 2017, 2019, 2024, 2025, 2026])
def test_each_real_notice_means_what_the_package_says(year):
    reading = notice.read((NOTICES / f"{year}.txt").read_text(), year)
    assert reading.mismatches == []
    day, differs = date(year, 1, 1), []
    while day.year == year:
        if day not in LATER_NOTICES.get(year, ()) and _meaning(reading.days, day) != \
                chinese_calendar.is_workday(day):
            differs.append(day)
        day += timedelta(days=1)
    assert differs == []
    before = [d for d in reading.days if d.day.year == year - 1]   # December before
    assert all(chinese_calendar.is_workday(d.day) == (d.kind == "workday") for d in before)


def test_the_2019_notice_keeps_the_december_before():
    parsed = {d.day: d for d in notice.parse((NOTICES / "2019.txt").read_text(), 2019)}
    assert parsed[date(2018, 12, 29)].kind == "workday"
    assert parsed[date(2018, 12, 30)].kind == parsed[date(2018, 12, 31)].kind == "holiday"
    assert parsed[date(2019, 1, 1)].name == "元旦"
    assert {d for d in parsed if d.year == 2018} == {date(2018, 12, 29), date(2018, 12, 30),
                                                      date(2018, 12, 31)}
    assert {(d, v.kind) for d, v in parsed.items() if d.year == 2018} == {
        (d, k) for d, (k, _n) in days.package_days(2018).items() if d.month == 12}
    parsed = {d.day for d in notice.parse((NOTICES / "2012.txt").read_text(), 2012)}
    assert date(2011, 12, 31) in parsed and date(2012, 1, 29) in parsed  # "29日" takes 1月


def test_the_old_buxiu_style():
    parsed = {d.day: d.kind for d in notice.parse((NOTICES / "2017.txt").read_text(), 2017)}
    assert parsed[date(2017, 1, 2)] == "holiday"       # 1月2日（星期一）补休
    parsed = {d.day: d.kind for d in notice.parse((NOTICES / "2015.txt").read_text(), 2015)}
    assert parsed[date(2015, 4, 6)] == parsed[date(2015, 6, 22)] == "holiday"
    assert date(2015, 6, 21) not in parsed             # the Sunday between is a Sunday


def test_other_years_than_the_notice_and_its_december_are_left_out():
    parsed = notice.parse("一、元旦：2017年11月30日放假。2018年12月30日至2019年1月1日放假。"
                          "2020年1月2日上班。", 2019)
    assert [d.day for d in parsed] == [date(2018, 12, 30), date(2018, 12, 31), date(2019, 1, 1)]


def test_a_wrong_weekday_is_a_warning_not_a_refusal():
    text = "二、春节：2月6日至2月13日放假调休，共8天。2月28日（周六）、2月20日 (星期六) 上班。"
    reading = notice.read(text, 2027)
    assert [(m.day, m.said) for m in reading.mismatches] == [(date(2027, 2, 28), 5)]
    assert date(2027, 2, 28) in {d.day for d in reading.days}
    reading = notice.read("一、元旦：1月1日（周五）至3日（星期天）放假。", 2027)
    assert reading.mismatches == []
    reading = notice.read("一、元旦：1月1日（农历冬月廿四、周四）至3日放假。", 2027)
    assert [m.day for m in reading.mismatches] == [date(2027, 1, 1)]


def test_cli_parse_notice_reads_the_december_before_and_warns(app, runner, db):
    result = runner.invoke(args=["crm", "calendar", "parse-notice", "--year", "2019"],
                           input=(NOTICES / "2019.txt").read_text())
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"date": "2018-12-29", "kind": "workday", "name": "元旦"} in lines
    assert {"date": "2018-12-31", "kind": "holiday", "name": "元旦"} in lines
    result = runner.invoke(args=["crm", "calendar", "parse-notice", "--year", "2027"],
                           input="二、春节：2月28日（周六）上班。")
    assert result.exit_code == 0
    assert "2027-02-28 is a Sunday; the notice says Saturday" in result.stderr
    assert json.loads(result.stdout) == {"date": "2027-02-28", "kind": "workday", "name": "春节"}


def test_many_dates_are_read_in_linear_time():
    """Issue 27: the old `_ON` pattern backtracked exponentially on space-separated dates
    (22 took 9 s; 200 would take longer than the universe has). The reader cuts a sentence
    into tokens and reads them once, so this returns at once; no clock is asserted."""
    for separator in (" ", "、", "  ", " 、 ", "\u3000"):
        text = "一、元旦：" + separator.join(f"{1 + i % 12}月{1 + i % 28}日" for i in range(200))
        with pytest.raises(notice.NoticeError):
            notice.parse(text + "。", 2027)           # no 上班: nothing is a day
        parsed = notice.parse(text + "上班。", 2027)
        assert len(parsed) == len({(1 + i % 12, 1 + i % 28) for i in range(200)})


def test_importing_2019_sets_its_december_before_and_leaves_2018_to_its_source(app, db):
    from sqlalchemy import select

    from crm.models import CalendarDay
    from crm.workdays import edit
    db.session.add(CalendarDay(day=date(2018, 12, 30), year=2018, kind="holiday", name="元旦",
                               source="package"))   # a 2018 seeded before
    db.session.commit()
    text = (NOTICES / "2019.txt").read_text()
    text = text.replace("2018年12月29日（星期六）上班", "2018年12月22日（星期六）上班")
    changed = edit.import_notice(2019, notice.parse(text, 2019), None)
    assert date(2018, 12, 22) in changed and date(2018, 12, 31) in changed
    assert not days.is_workday(date(2018, 12, 31)) and days.is_workday(date(2018, 12, 22))
    assert days.special_days(2018)[date(2018, 12, 31)] == ("holiday", "元旦")
    # Corrected: the 22nd goes back to what decides 2018 (the package: its only row
    # was the 30th, now the 2019 notice's); the package has the 29th a workday already.
    changed = edit.import_notice(2019, notice.parse((NOTICES / "2019.txt").read_text(), 2019),
                                 None)
    assert changed == [date(2018, 12, 22)]
    assert days.is_workday(date(2018, 12, 29)) and not days.is_workday(date(2018, 12, 22))
    assert db.session.scalar(select(CalendarDay.year).where(
        CalendarDay.day == date(2018, 12, 29))) == 2019
    assert edit.import_notice(2019, notice.parse((NOTICES / "2019.txt").read_text(), 2019),
                              None) == []          # a second import changes nothing
    assert days.source_of(2019) == "table"


def test_a_later_notices_december_does_not_take_the_year_from_the_package(app, db):
    from crm.workdays import edit
    edit.import_notice(2019, notice.parse((NOTICES / "2019.txt").read_text(), 2019), None)
    assert days.source_of(2018) == "package"
    assert not days.is_workday(date(2018, 10, 1))            # 2018's National Day, package
    assert days.is_workday(date(2018, 12, 29))
    assert edit.seed_from_package() and days.source_of(2018) == "table"   # no clash
    assert days.is_workday(date(2018, 12, 29)) and not days.is_workday(date(2018, 10, 1))


def test_the_confirm_page_warns_of_a_wrong_weekday_and_still_saves(client, auth, db):
    from tests.factories import UserFactory
    UserFactory(email="root@example.com", role="admin")
    db.session.commit()
    auth.login("root@example.com")
    text = "二、春节：2月6日至13日放假调休，共8天。2月28日（周六）上班。"
    page = client.post("/admin/calendar/notice", data={"year": 2027, "text": text})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="weekday-warnings"' in html and "2027-02-28 是周日，通知写的是周六。" in html
    assert "保存" in html
    clean = client.post("/admin/calendar/notice", data={
        "year": 2027, "text": "二、春节：2月6日至13日放假调休，共8天。2月27日（周六）上班。"})
    assert 'id="weekday-warnings"' not in clean.get_data(as_text=True)
    saved = client.post("/admin/calendar/notice",
                        data={"year": 2027, "text": text, "confirm": "yes"})
    assert saved.status_code == 302 and days.is_workday(date(2027, 2, 28))


def test_the_confirm_page_shows_the_december_days_with_their_year(client, auth, db):
    from tests.factories import UserFactory
    UserFactory(email="root@example.com", role="admin")
    db.session.commit()
    auth.login("root@example.com")
    page = client.post("/admin/calendar/notice", data={
        "year": 2019, "text": (NOTICES / "2019.txt").read_text()}).get_data(as_text=True)
    new_year = page.split('<th scope="row">元旦</th>')[1].split("</tr>")[0]
    assert '<time datetime="2018-12-30">2018/12/30</time>' in new_year
    assert '<time datetime="2019-01-01">1/1</time>' in new_year and "共 3 天" in new_year
    assert '<time datetime="2018-12-29">2018/12/29</time>' in new_year
