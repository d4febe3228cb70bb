"""Parks and zones inside counties (G60科创走廊, 临港新片区 ...), kept by admins.

A park's code is its county's code + "P" + a number (310117P01), so every prefix match on
regions — routing rules, queue filters, reports — includes it. Names and aliases feed the
message reader and the region picker (crm/regions), which re-read the list after an edit.
"""
import re

from sqlalchemy import select

from crm import regions
from crm.extensions import db
from crm.models import Park, User
from crm.privacy import audit
from crm.regions.legacy import SEED_PARKS

FIELDS = ("name", "name_en", "aliases", "active")


def all_parks() -> list[Park]:
    return list(db.session.scalars(select(Park).order_by(Park.code)))


def can_hold_parks(parent_code: str) -> bool:
    """Parks hang under a division (usually a county), never under another park."""
    region = regions.get(parent_code)
    return region is not None and not region.park


# Two digits, always: a P100 would lie "under" P10 by prefix, and routing matches by prefix.
MAX_PER_PLACE = 99


def next_code(parent_code: str) -> str | None:
    """The next free code under the place; None when it holds MAX_PER_PLACE parks."""
    taken = set(db.session.scalars(select(Park.code).where(Park.parent_code == parent_code)))
    for number in range(1, MAX_PER_PLACE + 1):
        if f"{parent_code}P{number:02d}" not in taken:
            return f"{parent_code}P{number:02d}"
    return None


def clean_aliases(text: str) -> str:
    return ",".join(dict.fromkeys(regions.split_aliases(text)))


def name_taken(parent_code: str, name: str, park: Park | None = None) -> bool:
    clash = db.session.scalars(select(Park).where(Park.parent_code == parent_code,
                                                  Park.name == name)).first()
    return clash is not None and (park is None or clash.id != park.id)


def create(parent_code: str, values: dict, actor: User | None) -> Park:
    """`values`: name, name_en, aliases, active."""
    park = Park(code=next_code(parent_code), parent_code=parent_code,
                name=values["name"], name_en=values.get("name_en") or "",
                aliases=clean_aliases(values.get("aliases") or ""),
                active=values.get("active", True))
    db.session.add(park)
    db.session.flush()
    audit.record(actor, "park_create", "park", park.id, None,
                 {"code": park.code, "name": park.name, "aliases": park.aliases})
    db.session.commit()
    regions.forget()
    return park


def update(park: Park, values: dict, actor: User) -> None:
    values = dict(values, aliases=clean_aliases(values.get("aliases") or ""))
    old, new = audit.diff(park, FIELDS, values)
    for name in FIELDS:
        if name in values:
            setattr(park, name, values[name])
    if new:
        audit.record(actor, "park_edit", "park", park.id, old, new)
    db.session.commit()
    regions.forget()


def seed_defaults() -> int:
    """The parks of the old hand-written tree (the migration seeds the same); returns how
    many were added. Used by the demo data, and by unit tests whose schema was not made by
    the migrations."""
    have = set(db.session.scalars(select(Park.code)))
    added = 0
    for code, name, name_en, aliases in SEED_PARKS:
        if code not in have:
            parent = re.sub(r"P\d+$", "", code)
            db.session.add(Park(code=code, parent_code=parent, name=name, name_en=name_en,
                                aliases=aliases, active=True))
            added += 1
    db.session.commit()
    regions.forget()
    return added
