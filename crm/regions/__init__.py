"""Which place is this? The tree of China's divisions and the parks under them (`tree`), the
picker's search (`search`) and the reader of places as people type them (`reader`).

Callers use this package's names (`regions.get`, `regions.resolve`, `regions.label`); the modules
import `tree` and never this package, so no import runs in a circle.
"""
from crm.regions.names import resolve
from crm.regions.reader import label, names_again
from crm.regions.tree import (
    DATA,
    PARK_TTL,
    Region,
    all_regions,
    ancestors,
    canonical,
    children,
    choices,
    depth,
    forget,
    full_name,
    get,
    is_valid,
    pinyin,
    same_area,
    split_aliases,
    within,
)

__all__ = [
    "DATA",
    "PARK_TTL",
    "Region",
    "all_regions",
    "ancestors",
    "canonical",
    "children",
    "choices",
    "depth",
    "forget",
    "full_name",
    "get",
    "is_valid",
    "label",
    "names_again",
    "pinyin",
    "resolve",
    "same_area",
    "split_aliases",
    "within",
]
