"""Type-to-search over every place: simplified or traditional characters, full pinyin and
pinyin initials ("ks" → 昆山市, "hfjk" → 合肥经开区, "jiaxing" → 嘉兴市).

The names and spellings it searches are crm/regions/names.py's index.
"""
from crm.regions import reader
from crm.regions import tree as regions
from crm.regions.names import Entry, fold, index


def _score(entry: Entry, q: str) -> int | None:
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
    q = fold(text)
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
    for entry in index():
        score = _score(entry, q)
        if score is not None and entry.code in places:
            region = places[entry.code]
            hits.append((score, region.depth, region.code, region))
    return hits


def _named_place(q: str) -> tuple[str, str] | None:
    """(code, the words after it) when the text names a place: 湖州长兴 → (330522, ""),
    江苏高新区 → (32, "高新区"), 张江 → (310115, "") (a town: the county it lies in)."""
    place = reader.find(q)
    if place is None or place.code is None:
        return None
    return place.code, place.rest if place.rest == q[place.end:] else ""


def as_json(region: regions.Region, locale: str) -> dict:
    return {"code": region.code, "name": region.name(locale),
            "path": regions.full_name(region.code, locale), "depth": region.depth}
