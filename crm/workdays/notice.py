"""Read the State Council's holiday notice (《国务院办公厅关于 YYYY 年部分节假日安排的通知》).

Each holiday is one numbered section, e.g.

    二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。
    1月26日（周日）、2月8日（周六）上班。

A 放假 sentence gives a range (or one day) off, weekends inside it included; a 补休 day (older
notices: "1月1日放假，1月2日（星期一）补休") is off too; a 上班 sentence lists make-up workdays.
The notice's own year is kept, and the December before it, where an older notice starts 元旦
("2018年12月30日至2019年1月1日放假调休", "2018年12月29日（星期六）上班").

Parenthesised remarks are dropped, which also drops the date in "安排职工在除夕（2月9日）
休息", a recommendation, not a day off; the weekday a remark names is kept to check the date.
Each sentence is cut into tokens first and read left to right, so the time is linear in the
text's length whatever it holds.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from crm.workdays.days import HOLIDAY, WORKDAY

_SECTION = re.compile(r"(?:^|\n)[^\S\n]*[一二三四五六七八九十]+[^\S\n]*[、.．][^\S\n]*([^：:\n]{1,20})[：:]")
# A remark: (周六), (星期日), (农历除夕、周二), (2月9日). Bounded: remarks are short.
_REMARK = re.compile(r"[(（]([^()（）\n]{0,40})[)）]")
_WEEKDAY = re.compile(r"(?:星期|周|礼拜)([一二三四五六日天])")
_WEEKDAYS = {c: i for i, c in enumerate("一二三四五六日")} | {"天": 6}
_MARK = "\ue000"  # stands in for a remark naming a weekday: _MARK + "0".."6"
_TOKEN = re.compile(
    r"(?P<date>(?:(?P<y>\d{4})年)?(?:(?P<m>\d{1,2})月)?(?P<d>\d{1,2})日)"
    r"|(?P<to>[至到~～\-—–])"
    r"|(?P<sep>[、，,和及])|(?P<space>\s)"
    r"|(?P<off>放假|补休)"
    r"|(?P<on>上班)"
    r"|" + _MARK + r"(?P<said>[0-6])"
    + r"|(?P<other>.)", re.S)


class NoticeError(ValueError):
    pass


@dataclass(frozen=True)
class NoticeDay:
    day: date
    kind: str    # holiday | workday
    name: str

    def as_json(self) -> dict:
        return {"date": self.day.isoformat(), "kind": self.kind, "name": self.name}


@dataclass(frozen=True)
class WeekdayMismatch:
    """The notice names a weekday the date does not fall on (a typo, or a notice pasted for
    the wrong year): worth a look before saving, not a reason to refuse the text."""
    day: date
    said: int    # 0 = Monday … 6 = Sunday, as the notice wrote it

    def as_json(self) -> dict:
        return {"warning": "weekday", "date": self.day.isoformat(),
                "weekday": self.day.weekday(), "notice_says": self.said}


@dataclass
class Reading:
    days: list[NoticeDay]
    mismatches: list[WeekdayMismatch] = field(default_factory=list)


def _when(year: int, y: str | None, m: str | None, d: str, last: date | None) -> date:
    """A date as written; without a month it takes the previous date's month and year."""
    if m:
        year, month = int(y) if y else year, int(m)
    elif last is not None:
        year, month = last.year, last.month
    else:
        raise NoticeError(f"no month before {d}日")
    try:
        return date(year, month, int(d))
    except ValueError:
        raise NoticeError(f"{month}月{d}日") from None


def _remarks(text: str) -> str:
    """Drop each remark, leaving a mark where it named a weekday."""
    def keep_weekday(match: re.Match) -> str:
        said = _WEEKDAY.findall(match.group(1))
        return _MARK + str(_WEEKDAYS[said[-1]]) if said else ""
    return _REMARK.sub(keep_weekday, text.replace(_MARK, ""))


def _read_sentence(sentence: str, year: int, name: str, found: dict, mismatches: list) -> None:
    runs: list[list[date]] = []   # the dates (a range as its two ends) before a keyword
    last: date | None = None
    joining = False               # a range's 至 seen, its end date next
    dated = False                 # the last token but spaces was a date
    for token in _TOKEN.finditer(sentence):
        kind = token.lastgroup
        if kind == "space":
            continue
        if kind == "said":  # a remark naming a weekday: about the date just before it
            if dated and last is not None and int(token["said"]) != last.weekday():
                mismatches.append(WeekdayMismatch(last, int(token["said"])))
            dated = False
            continue
        dated = kind == "date"
        if kind == "date":
            day = _when(year, token["y"], token["m"], token["d"], last)
            if joining and runs:
                runs[-1].append(day)
            else:
                runs.append([day])
            last, joining = day, False
        elif kind == "to":
            joining = bool(runs) and len(runs[-1]) == 1
        elif kind == "sep":
            joining = False
        elif kind in ("off", "on"):
            for run in runs:
                _mark(run, HOLIDAY if kind == "off" else WORKDAY, name, found)
            runs, joining = [], False
        else:  # other words end a run of dates: "共3天", "与周末连休"
            runs, joining = [], False


def _mark(run: list[date], kind: str, name: str, found: dict) -> None:
    first, end = run[0], run[-1]
    if end < first or (end - first).days > 31:
        raise NoticeError(f"{name}: {first.isoformat()}–{end.isoformat()}")
    day = first
    while day <= end:
        found[day] = NoticeDay(day, kind, name)
        day += timedelta(days=1)


def read(text: str, year: int) -> Reading:
    """Every day off (each day of each 放假 range, each 补休 day) and every make-up workday of
    `year` and of the December before it, by date, with the weekdays the notice got wrong.
    Raises NoticeError when the text holds no holiday section."""
    text = _remarks(unicodedata.normalize("NFKC", text))  # NFKC: full-width digits, colons
    sections = list(_SECTION.finditer(text))
    found: dict[date, NoticeDay] = {}
    mismatches: list[WeekdayMismatch] = []
    for i, match in enumerate(sections):
        name = match.group(1).strip()
        body = text[match.end(): sections[i + 1].start() if i + 1 < len(sections) else len(text)]
        for sentence in re.split(r"[。；;\n]", body):
            _read_sentence(sentence, year, name, found, mismatches)
    found = {day: entry for day, entry in found.items() if in_notice(day, year)}
    if not found:
        raise NoticeError("no holiday found")
    return Reading(sorted(found.values(), key=lambda d: d.day),
                   sorted(set(mismatches), key=lambda m: m.day))


def parse(text: str, year: int) -> list[NoticeDay]:
    return read(text, year).days


def in_notice(day: date, year: int) -> bool:
    """Whether `year`'s notice can set `day`: its own year, or the December before it."""
    return day.year == year or (day.year == year - 1 and day.month == 12)
