"""A place's names and spellings, and the one code a typed name means (`resolve`).

The index of the national divisions is built once per process; parks are added from the
(cached) park list, so an admin's new park is found within PARK_TTL seconds. The picker's
search (crm/regions/search.py) and the place reader (crm/regions/reader.py) both use it.
"""
from dataclasses import dataclass
from functools import cache

from crm.inputs.text import to_simplified
from crm.regions import tree as regions


@dataclass(frozen=True)
class Entry:
    code: str
    names: tuple[str, ...]      # Chinese names: official, short, aliases
    spellings: tuple[str, ...]  # full pinyin and initials of each name


def _entry(region: regions.Region) -> Entry:
    names = tuple(dict.fromkeys(n for n in (region.zh, region.short, *region.aliases) if n))
    spellings = []
    for name in names:
        syllables = [s.lower() for s in regions.pinyin(name) if s.strip()]
        spellings += ["".join(syllables), "".join(s[0] for s in syllables if s)]
    return Entry(region.code, names, tuple(dict.fromkeys(s for s in spellings if s)))


@cache
def _national_index() -> tuple[Entry, ...]:
    return tuple(_entry(r) for r in regions._national().values())


_park_index: dict = {"parks": None, "entries": ()}


def index() -> tuple[Entry, ...]:
    parks = regions._load_parks()
    if _park_index["parks"] is not parks:
        _park_index.update(parks=parks, entries=tuple(_entry(r) for r in parks.values()
                                                      if r.active))
    return _national_index() + _park_index["entries"]


def fold(text: str) -> str:
    return "".join(to_simplified(text or "").lower().split()).replace("/", "")


def lookup_name(text: str) -> str | None:
    """A code for a name someone typed: the picker's full path ("浙江 / 湖州 / 长兴县"), or a name
    or alias that means exactly one place. None when unknown or ambiguous (朝阳区)."""
    q = fold(text)
    if not q:
        return None
    places = regions.all_regions()
    if "/" in text:                     # the full path the picker shows, in either language
        last = fold(text.rsplit("/", 1)[1])
        for region in places.values():
            for locale in ("zh_CN", "en"):
                if (fold(region.name(locale)) == last
                        and fold(regions.full_name(region.code, locale)) == q):
                    return region.code
    exact = [e.code for e in index() if q in e.names and e.code in places]
    return exact[0] if len(exact) == 1 else None


def resolve(value: str | None, locale: str = "zh_CN") -> str | None:
    """What a person typed into a region field (a code, an old code, a full path as the picker
    shows it, or a unique name) → a code; None when it is not one place."""
    value = (value or "").strip()
    if not value:
        return None
    code = regions.canonical(value)
    if code:
        return code
    return lookup_name(value)
