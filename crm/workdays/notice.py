"""Read the State Council's holiday notice (《国务院办公厅关于 YYYY 年部分节假日安排的通知》).

Each holiday is one numbered section, e.g.

    二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。
    1月26日（周日）、2月8日（周六）上班。

A 放假 sentence gives a range (or one day) off, weekends inside it included; a 上班 sentence
lists make-up workdays. Only the notice's own year is kept. Parenthesised remarks (weekdays, lunar dates) are dropped first, which
also drops the date in "安排职工在除夕（2月9日）休息", a recommendation, not a day off.
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from crm.workdays.days import HOLIDAY, WORKDAY

_SECTION = re.compile(r"(?:^|\n)\s*[一二三四五六七八九十]+\s*[、.．]\s*([^：:\n]{1,20})[：:]")
_DATE = r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日"
_OFF = re.compile(_DATE + r"(?:\s*(?:至|到|-|—|–|~|～)\s*" + _DATE + r")?\s*放假")
_ON = re.compile(r"((?:" + _DATE + r"\s*[、，,和及]?\s*)+)上班")
_ONE = re.compile(_DATE)


class NoticeError(ValueError):
    pass


@dataclass(frozen=True)
class NoticeDay:
    day: date
    kind: str    # holiday | workday
    name: str

    def as_json(self) -> dict:
        return {"date": self.day.isoformat(), "kind": self.kind, "name": self.name}


def _when(year: int, y: str | None, m: str | None, d: str, month: int | None) -> date:
    month = int(m) if m else month
    if month is None:
        raise NoticeError(f"no month before {d}日")
    try:
        return date(int(y) if y else year, month, int(d))
    except ValueError:
        raise NoticeError(f"{month}月{d}日") from None


def _sentences(body: str):
    return [s for s in re.split(r"[。；;\n]", body) if s.strip()]


def parse(text: str, year: int) -> list[NoticeDay]:
    """Every day off (each day of each 放假 range) and every make-up workday, by date.
    Raises NoticeError when the text holds no holiday section."""
    text = unicodedata.normalize("NFKC", text)  # full-width digits and colons
    text = re.sub(r"[(（][^)）]*[)）]", "", text)
    sections = list(_SECTION.finditer(text))
    found: dict[date, NoticeDay] = {}
    for i, match in enumerate(sections):
        name = match.group(1).strip()
        body = text[match.end(): sections[i + 1].start() if i + 1 < len(sections) else len(text)]
        for sentence in _sentences(body):
            for off in _OFF.finditer(sentence):
                y1, m1, d1, y2, m2, d2 = off.groups()
                first = _when(year, y1, m1, d1, None)
                last = _when(first.year if not y2 else year, y2, m2, d2, first.month) if d2 else first
                if last < first or (last - first).days > 31:
                    raise NoticeError(f"{name}: {off.group(0)}")
                day = first
                while day <= last:
                    found[day] = NoticeDay(day, HOLIDAY, name)
                    day += timedelta(days=1)
            for on in _ON.finditer(sentence):
                month = None
                for y, m, d in _ONE.findall(on.group(1)):
                    day = _when(year, y, m, d, month)
                    month = day.month
                    found[day] = NoticeDay(day, WORKDAY, name)
    # A range may start in December of the year before ("2022年12月31日至2023年1月2日"):
    # those days belong to that year's calendar, which its own notice set.
    found = {day: entry for day, entry in found.items() if day.year == year}
    if not found:
        raise NoticeError("no holiday found")
    return sorted(found.values(), key=lambda d: d.day)
