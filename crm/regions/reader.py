"""Read a place out of words, the one way every channel does it: the inquiry form and its
embed, the API, agent entry, the importer and the message reader.

    浙江省湖州市长兴县 · 湖州市长兴县 · 湖州长兴 · 湖州 长兴县 · 長興 · Huzhou Changxing → 330522
    上海市浦东新区张江镇 → 310115 (浦东新区), the words "张江镇" kept beside it
    南京鼓楼 → 320106, 福州鼓楼 → 350102 (a name many places share, told apart by the others)

Every name a place goes by (official, without 省/市/县/区, a zone's short form, a park's
name and aliases) is looked for at each position, the longest first; a name several places
share counts only beside its city or province; the places found are summed up by their
nearest common ancestor (嘉兴 + 长兴 → 浙江). A place not found is never guessed: the caller
keeps the words and flags them ("place to confirm").
"""
import csv
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from crm.inputs.text import to_simplified
from crm.regions import tree as regions
from crm.regions.names import resolve

CJK = "\u4e00-\u9fff"
TOWNS = regions.DATA.parent / "towns.csv"
_TOWN_SUFFIX = re.compile(r"(?:街道办事处|地区办事处|办事处|街道|镇|乡)$")

# Short names (suffix dropped) that are everyday words in an inquiry, not the place:
# 新建厂房 (南昌新建区), 吉利 (洛阳吉利区, a car maker), 合作 (合作市), 阿里 (阿里地区) ...
COMMON_WORDS = frozenset(
    "新建 吉利 合作 阿里 通道 互助 新兴 兴业 港口 光明 安居 平安 和平 新华 城区 郊区 矿区 "
    "市中 城中 城关 红旗 向阳 东方 永安 太平 大方 平和 共和 富民 博爱 汇川 海港 中山 新城 "
    "古城 上街 长顺 正安 宁安 安宁 白云 开发 高新 东区 西区 南区 北区 中区 万年 清河 长安 "
    "双桥 东港 沙市 义马 永和 民和 开阳 华安 新市 江北 江南 河东 河西 城北 城南 城东 城西 "
    "市北 市南 大同 金山 宝山 青山 东山 西山 南山 北山 鼓楼 普陀 和田 长宁 新区 "
    "铁山 钢城 石油 海城 工农 先锋 建华 友谊 东风 胜利 前进 繁荣 高台 大通 清新 港北 港南 "
    "福田".split())

PARK_WORDS = re.compile(rf"[{CJK}]{{2,8}}?(?:经济技术开发区|经济开发区|高新技术产业开发区|高新区|"
                        r"经开区|开发区|工业园区|高科技园区|科技园区|产业园|工业园|科技园|新区)")
_CITY_WORDS = re.compile(rf"(?:在|到|去)([{CJK}]{{2,3}}?)(?:市|县|区)(?![{CJK}]*公司)")
# What may stand between or after place names without being words of its own.
_FILLER = re.compile(r"^[\s,，、/|·.\-—~～()（）]*(?:[省市县区镇乡]|的|在)?[\s,，、/|·.\-—~～()（）]*$")


@dataclass(frozen=True)
class Place:
    """What the words name: `code` a place of crm.regions, or None when only words that look
    like a place were found (a park not on the list: its words in `text`); `start`/`end`
    index the text read; `rest` the words left over beside the place (张江镇)."""
    code: str | None
    text: str
    start: int
    end: int
    rest: str = ""


# --- the names every place goes by -------------------------------------------------------------
def _place_names(region: regions.Region) -> set[str]:
    names = {region.zh, *region.aliases}
    if region.short != region.zh and len(region.short) >= 2 and region.short not in COMMON_WORDS:
        names.add(region.short)
    return {n for n in names if len(n) >= 2}


@cache
def _guarded_table() -> dict[str, tuple[str, ...]]:
    """Those everyday short names → the places they may be; read as a place only beside its
    city or province (上海金山 is 金山区, 做福田汽车配套 names a truck maker)."""
    table: dict[str, list[str]] = {}
    for code, region in regions._national().items():
        if region.short != region.zh and region.short in COMMON_WORDS:
            table.setdefault(region.short, []).append(code)
    return {k: tuple(v) for k, v in table.items()}


@cache
def _name_table() -> tuple[dict[str, tuple[str, ...]], int]:
    """Every name a national division goes by → the codes it may mean (parks: _names())."""
    table: dict[str, list[str]] = {}
    for code, region in regions._national().items():
        for name in _place_names(region):
            table.setdefault(name, []).append(code)
    return {k: tuple(v) for k, v in table.items()}, max(map(len, table))


def _names() -> tuple[dict[str, tuple[str, ...]], int]:
    table, longest = _name_table()
    extra: dict[str, list[str]] = {}
    for code, region in regions.all_regions().items():
        if region.park and region.active:
            for name in _place_names(region):
                extra.setdefault(name, list(table.get(name, ()))).append(code)
    if not extra:
        return table, longest
    return {**table, **{k: tuple(v) for k, v in extra.items()}}, max(longest, *map(len, extra))


@cache
def _pinyin_table() -> dict[str, tuple[str, ...]]:
    """Full pinyin of each name (changxing, huzhou) → codes; for words typed in Latin letters."""
    table: dict[str, list[str]] = {}
    for code, region in regions._national().items():
        for name in {region.zh, region.short}:
            if len(name) >= 2:
                key = "".join(regions.pinyin(name)).lower()
                if code not in table.setdefault(key, []):
                    table[key].append(code)
    return {k: tuple(v) for k, v in table.items()}


@cache
def _town_table() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], int]:
    """Towns and streets (张江镇, 洞泾镇, 张江高科技园区) by name, and apart by name without
    镇/乡/街道 (张江) → the county each lies in: the smallest unit crm.regions knows, so the
    words are kept beside it. A division's own name (长兴) never means a town."""
    divisions, _longest = _name_table()
    guarded = _guarded_table()
    full: dict[str, set[str]] = {}
    short: dict[str, set[str]] = {}
    with TOWNS.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            county = regions.canonical(row["code"][:6])   # 东莞's towns hang under the city
            if not county:
                continue
            name = row["name"]
            stem = _TOWN_SUFFIX.sub("", name)
            # A name without 镇/乡/街道 (化工园区, 张江高科技园区) may be a common noun: read
            # like a short name, where a place stands.
            for table, word in ((full, name), (short, stem)) if stem != name else ((short, name),):
                if len(word) >= 2 and word not in divisions and word not in guarded \
                        and word not in COMMON_WORDS:
                    table.setdefault(word, set()).add(county)
    for word in full:
        short.pop(word, None)
    return ({k: tuple(sorted(v)) for k, v in full.items()},
            {k: tuple(sorted(v)) for k, v in short.items()},
            max(max(map(len, full)), max(map(len, short))))


# A town's name without 镇/街道 (张江) is a place only where a place stands: after 在/到 or
# another place, before 租/附近 or the end; 火星 in 火星开发区 is another place's name.
_BEFORE_TOWN = re.compile(r"(?:^|[\s,，、/|·:：(（]|在|到|去|于|近)$")
_AFTER_TOWN = re.compile(r"^(?:$|[\s,，、。；;/|·!！?？)）]|附近|周边|一带|这边|那边|区域|范围|"
                         r"租|买|找|有|的厂|的仓|的地|厂房|仓库|土地)")


# --- reading -----------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Full-width → ASCII and traditional → simplified, one character for one, so that
    positions in the result are positions in the text."""
    chars = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        chars.append(folded if len(folded) == 1 else ch)
    plain = "".join(chars)
    simple = to_simplified(plain)
    if len(simple) != len(plain):
        simple = "".join(c if len(s := to_simplified(c)) != 1 else s for c in plain)
    return simple


def _hits(text: str, free: Callable[[int, int], bool]) -> list[tuple[int, int, tuple, str]]:
    """(start, end, candidate codes, kind) for each place name, longest first; kind is
    "" (a division or park), "guarded" (an everyday word too) or "town"."""
    table, longest = _names()
    towns, town_short, town_longest = _town_table()
    guarded = _guarded_table()
    hits: list[tuple[int, int, tuple, str]] = []
    i = 0
    while i < len(text):
        for size in range(min(max(longest, town_longest), len(text) - i), 1, -1):
            word = text[i:i + size]
            codes, kind = table.get(word), ""
            if not codes:
                codes, kind = towns.get(word), "town"
            if not codes and word in town_short and _stands_alone(text, i, i + size, hits):
                codes = town_short[word]
            if codes and free(i, i + size):
                hits.append((i, i + size, codes, kind))
                i += size
                break
        else:
            codes = guarded.get(text[i:i + 2])
            if codes and free(i, i + 2):
                hits.append((i, i + 2, codes, "guarded"))
                i += 2
            else:
                i += 1
    return hits


def _stands_alone(text: str, start: int, end: int, hits: list) -> bool:
    after_place = bool(hits) and hits[-1][1] == start
    return ((after_place or bool(_BEFORE_TOWN.search(text[max(0, start - 1):start])))
            and bool(_AFTER_TOWN.match(text[end:end + 2])))


def _latin_hits(text: str, free: Callable[[int, int], bool]) -> list[tuple[int, int, tuple, str]]:
    """Pinyin words (Huzhou Changxing, huzhou-changxing) read like names: a whole word of
    two syllables or more, never part of a longer word or an ID (changxing88; in a message
    the WeChat ID's span is taken before places are read)."""
    table = _pinyin_table()
    return [(m.start(), m.end(), table[m.group(0).lower()], "")
            for m in re.finditer(r"(?<![A-Za-z0-9_])[A-Za-z]{4,}(?![A-Za-z0-9_])", text)
            if m.group(0).lower() in table and free(m.start(), m.end())]


def _settle(hits, near: Iterable[str] = ()) -> list[tuple[int, int, str, bool]]:
    """(start, end, code, town) per hit: its only place, or the one beside another place
    named (or `near`, the places the page or the other fields already give). A town counts
    only inside a division named beside it, or alone: a word that happens to be a town's
    name somewhere else must not widen the place to the whole country."""
    sure = {_shallowest(codes) for _s, _e, codes, kind in hits
            if not kind and _shallowest(codes)}
    sure |= {c for c in near if c}
    found = []
    for start, end, codes, kind in hits:
        code = _shallowest(codes) if kind != "guarded" else None
        if code is None:   # shared by unrelated places: the one beside its city or province
            close = [c for c in codes if any(c != o and regions.within(c, o) for o in sure)]
            code = close[0] if len(close) == 1 else None
        if code and kind == "town" and sure and not any(
                regions.within(code, o) or regions.within(o, code) for o in sure):
            continue
        if code:
            found.append((start, end, code, kind == "town"))
    return found


def find(text: str, free: Callable[[int, int], bool] = lambda s, e: True,
         near: Iterable[str] = (), shown: str | None = None) -> Place | None:
    """The place `text` (already folded: see fold()) names, summed up as one; None when it
    names none. `free(start, end)`: whether a span is still unread (the message reader keeps
    the spans of other fields out); `shown`: the text as typed, for `rest`."""
    found = _settle(_hits(text, free) + _latin_hits(text, free), near)
    codes = {code for _s, _e, code, _town in found}
    codes = {c for c in codes if not any(o != c and regions.within(o, c) for o in codes)}
    if codes:
        common = _common_ancestor(sorted(codes))
        if common:
            spans = [(s, e) for s, e, c, _town in found if regions.within(c, common)]
            start, end = min(s for s, _e in spans), max(e for _s, e in spans)
            named = [(s, e) for s, e, c, town in found if not town
                     and (regions.within(c, common) or regions.within(common, c))]
            return Place(common, text[start:end], start, end, _rest(shown or text, named))
    park = next((m for m in PARK_WORDS.finditer(text) if free(m.start(), m.end())), None)
    if park:
        # The park's own name, without the words before it ("想在…", "找个…").
        lead = re.match(r"^.*(?:在|到|去|于|想|要|找|个|的|是|近)", park.group(0))
        start = park.start() + (lead.end() if lead else 0)
        if park.end() - start >= 4:
            return Place(None, text[start:park.end()], start, park.end())
    city = _CITY_WORDS.search(text)
    if city and free(city.start(1), city.end(1)):
        return Place(None, city.group(1), city.start(1), city.end(1))
    return None


def _rest(text: str, spans: list[tuple[int, int]]) -> str:
    """The words beside the place names that are not fillers (张江镇 in 上海市浦东新区张江镇)."""
    parts, at = [], 0
    for start, end in sorted(spans) + [(len(text), len(text))]:
        gap = text[at:start]
        if gap and not _FILLER.match(gap):
            parts.append(gap.strip(" ,，、/|·-"))
        at = max(at, end)
    return " ".join(p for p in parts if p)


def _shallowest(codes: tuple[str, ...]) -> str | None:
    """The one place a name means: the only candidate, or the one the others lie under
    (吉林 the province over 吉林 the city; 新乡 the city over 新乡县)."""
    top = min(codes, key=len)
    return top if all(regions.within(c, top) for c in codes) else None


def _common_ancestor(codes: list[str]) -> str:
    chains = [[a.code for a in regions.ancestors(c)] for c in codes]
    common = ""
    for level in zip(*chains, strict=False):  # chains differ in depth: stop at the shortest
        if len(set(level)) != 1:
            break
        common = level[0]
    return common


# --- a region field ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reading:
    """A region field read: `code` the place (None: not read); `words` what to keep as typed
    (all of it, unless it only names the place); `rest` the words beside the place (张江镇)."""
    code: str | None
    words: str = ""
    rest: str = ""

    @property
    def to_confirm(self) -> bool:
        return self.code is None and bool(self.words)


def read_field(typed: str | None, near: Iterable[str] = ()) -> Reading:
    """What a person typed into a place field: a code, an old code, the picker's path, or
    words (浙江省湖州市长兴县, 湖州长兴, 長興, changxing, 上海市浦东新区张江镇)."""
    typed = (typed or "").strip()
    if not typed:
        return Reading(None)
    code = resolve(typed)
    if code:
        return Reading(code)
    place = find(fold(typed), near=near, shown=typed)
    if place is None or place.code is None:
        return Reading(None, typed)
    return Reading(place.code, typed if place.rest else "", place.rest)


def label(code: str | None, words: str | None = "", locale: str = "zh_CN") -> str:
    """A place as pages show it: the path of `code` and the words kept beside it as typed,
    left out when they only name the place again (苏州工业园区 on 苏州工业园区's listing)."""
    path = regions.full_name(code, locale) if code else ""
    words = "" if names_again(code, words) else (words or "").strip()
    return " ".join(p for p in (path, words) if p)


def names_again(code: str | None, words: str | None) -> bool:
    """`words` only name `code` or a place above it (G60科创走廊 beside 310117P01)."""
    if not code or not (words or "").strip():
        return False
    named = read_field(words)
    return bool(named.code) and not named.words and regions.within(code, named.code)
