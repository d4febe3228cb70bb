"""Type-to-search over every place: simplified or traditional characters, full pinyin and
pinyin initials ("ks" → 昆山市, "hfjk" → 合肥经开区, "jiaxing" → 嘉兴市).

The index of the national divisions is built once per process; parks are added from the
(cached) park list, so an admin's new park is found within PARK_TTL seconds.
"""
from dataclasses import dataclass
from functools import cache

from crm import regions
from crm.inputs.text import to_simplified


@dataclass(frozen=True)
class _Entry:
    code: str
    names: tuple[str, ...]      # Chinese names: official, short, aliases
    spellings: tuple[str, ...]  # full pinyin and initials of each name


def _entry(region: regions.Region) -> _Entry:
    names = tuple(dict.fromkeys(n for n in (region.zh, region.short, *region.aliases) if n))
    spellings = []
    for name in names:
        syllables = [s.lower() for s in regions.pinyin(name) if s.strip()]
        spellings += ["".join(syllables), "".join(s[0] for s in syllables if s)]
    return _Entry(region.code, names, tuple(dict.fromkeys(s for s in spellings if s)))


@cache
def _national_index() -> tuple[_Entry, ...]:
    return tuple(_entry(r) for r in regions._national().values())


_park_index: dict = {"parks": None, "entries": ()}


def _index() -> tuple[_Entry, ...]:
    parks = regions._load_parks()
    if _park_index["parks"] is not parks:
        _park_index.update(parks=parks, entries=tuple(_entry(r) for r in parks.values()
                                                      if r.active))
    return _national_index() + _park_index["entries"]


def _query(text: str) -> str:
    return "".join(to_simplified(text or "").lower().split()).replace("/", "")


def _score(entry: _Entry, q: str) -> int | None:
    """Lower is better; None: no match."""
    best = None
    for name in entry.names:
        if name == q:
            return 0
        if name.startswith(q):
            best = min(best or 9, 1)
        elif q in name:
            best = min(best or 9, 3)
    if q.isascii() and q.isalnum():
        for spelling in entry.spellings:
            if spelling == q:
                best = min(best or 9, 1)
            elif spelling.startswith(q):
                best = min(best or 9, 2)
    return best


def search(text: str, limit: int = 20, near: str | None = None) -> list[regions.Region]:
    """The places `text` may mean, best first: exact names, then names and spellings that start
    with it, then names that contain it; in the province the text or the page names (`near`,
    a code) before other provinces; bigger places before smaller ones. Place words before the
    rest ("江苏 高新区", "湖州长兴") are read as such (crm.regions.reader)."""
    q = _query(text)
    if not q:
        return []
    places = regions.all_regions()
    if q in places:
        return [places[q]]
    hits = _hits(q, places)
    named = _named_place(q)
    if named is not None:
        code, rest = named
        near = code
        if rest and code not in {h[-1].code for h in hits}:
            hits = _hits(rest, places) or hits
        if places.get(code) and (not rest or not hits):   # 湖州长兴; 张江 (a town: its county)
            hits = [(-1, 0, code, places[code])] + [h for h in hits if h[2] != code]
    province = (near or "")[:2]
    hits.sort(key=lambda h: (h[0], not (province and h[2].startswith(province)), h[1], h[2]))
    return [h[3] for h in hits[:limit]]


def _hits(q: str, places: dict) -> list:
    hits = []
    for entry in _index():
        score = _score(entry, q)
        if score is not None and entry.code in places:
            region = places[entry.code]
            hits.append((score, region.depth, region.code, region))
    return hits


def _named_place(q: str) -> tuple[str, str] | None:
    """(code, the words after it) when the text names a place: 湖州长兴 → (330522, ""),
    江苏高新区 → (32, "高新区"), 张江 → (310115, "") (a town: the county it lies in)."""
    from crm.regions import reader
    place = reader.find(q)
    if place is None or place.code is None:
        return None
    return place.code, place.rest if place.rest == q[place.end:] else ""


def lookup_name(text: str) -> str | None:
    """A code for a name someone typed: the picker's full path ("浙江 / 湖州 / 长兴县"), or a name
    or alias that means exactly one place. None when unknown or ambiguous (朝阳区)."""
    q = _query(text)
    if not q:
        return None
    places = regions.all_regions()
    if "/" in text:                     # the full path the picker shows, in either language
        last = _query(text.rsplit("/", 1)[1])
        for region in places.values():
            for locale in ("zh_CN", "en"):
                if (_query(region.name(locale)) == last
                        and _query(regions.full_name(region.code, locale)) == q):
                    return region.code
    exact = [e.code for e in _index() if q in e.names and e.code in places]
    return exact[0] if len(exact) == 1 else None


def as_json(region: regions.Region, locale: str) -> dict:
    return {"code": region.code, "name": region.name(locale),
            "path": regions.full_name(region.code, locale), "depth": region.depth}
