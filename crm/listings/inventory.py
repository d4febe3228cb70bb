"""Listings (对接资源): save them, and record what was shown to which lead."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from crm import regions
from crm.choices import LISTING_LINK_KINDS, OFFERED_LISTING_STATUSES, to_sqm
from crm.extensions import db
from crm.i18n import default_locale
from crm.listings.storage import delete_quietly
from crm.models import Activity, Lead, LeadListing, Listing, ListingImage, User
from crm.models.types import utcnow
from crm.privacy import audit

FIELDS = ("title", "property_type", "deal_type", "region_code", "park", "floors",
          "ceiling_height_m", "floor_load_t", "power_kva", "crane_t", "standalone", "eia_possible",
          "divisible", "price",
          "price_negotiable", "available_from", "status", "description")


@dataclass(frozen=True, slots=True)
class ListingInput:
    """A listing as entered (the listing form's `to_input()`, or a script): `area` in
    `area_unit`; `standalone` yes, no or not said (None); a negotiable price is stored as none."""
    title: str
    property_type: str
    deal_type: str
    area: Decimal
    area_unit: str = "sqm"
    region_code: str | None = None
    park: str = ""
    floors: int | None = None
    ceiling_height_m: Decimal | None = None
    floor_load_t: Decimal | None = None
    power_kva: int | None = None
    crane_t: Decimal | None = None      # 0: no crane; None: not said
    standalone: bool | None = None
    eia_possible: bool = False
    divisible: bool = False
    price: Decimal | None = None
    price_negotiable: bool = False
    available_from: date | None = None
    status: str = "available"
    description: str = ""


@dataclass(frozen=True)
class Wanted:
    """What a visitor of the public list filters by (areas in ㎡)."""
    property_type: str = ""
    deal_type: str = ""
    region: str = ""
    area_min: Decimal | None = None
    area_max: Decimal | None = None


PAGE_SIZE = 20


def available(wanted: Wanted, before: int | None = None) -> tuple[list[Listing], int | None]:
    """A page of available listings, newest first (keyset on id), and the id to pass as
    `before` for the next page (None: last page)."""
    stmt = _matching(select(Listing), wanted)
    if before is not None:
        stmt = stmt.where(Listing.id < before)
    rows = list(db.session.scalars(stmt.order_by(Listing.id.desc()).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None


def count_available(wanted: Wanted) -> int:
    """How many available listings match, on every page together."""
    return db.session.scalar(_matching(select(func.count()).select_from(Listing), wanted)) or 0


def _matching(stmt, wanted: Wanted):
    stmt = stmt.where(Listing.status == "available")
    if wanted.property_type:
        stmt = stmt.where(Listing.property_type == wanted.property_type)
    if wanted.deal_type:
        stmt = stmt.where(Listing.deal_type == wanted.deal_type)
    if wanted.region:
        stmt = stmt.where(Listing.region_code.startswith(wanted.region, autoescape=True))
    if wanted.area_min is not None:  # a divisible listing may be bigger than the need
        stmt = stmt.where(Listing.area_sqm >= wanted.area_min)
    if wanted.area_max is not None:
        stmt = stmt.where((Listing.area_sqm <= wanted.area_max) | Listing.divisible.is_(True))
    return stmt


def is_offered(listing: Listing | None) -> bool:
    """Shown on the public pages (its page, its photos): not let or sold."""
    return listing is not None and listing.status in OFFERED_LISTING_STATUSES


def offered_listings(ids: Sequence[int], limit: int) -> list[Listing]:
    """The listings of `ids` still on offer, each once, in the order given; at most `limit`
    ids are looked up (what a prospect is sent comes from ticked boxes)."""
    wanted = list(dict.fromkeys(ids))[:limit]
    if not wanted:
        return []
    found = {x.id: x for x in db.session.scalars(
        select(Listing).where(Listing.id.in_(wanted),
                              Listing.status.in_(OFFERED_LISTING_STATUSES)))}
    return [found[i] for i in wanted if i in found]


def place(listing: Listing, locale: str = "zh_CN") -> tuple[str, str]:
    """Where a listing is, twice: the nearest name and the park, as people read it on its
    page and cards (长兴县 雉城工业园), and the whole path run together, as a map site's
    search wants it (浙江湖州长兴县 雉城工业园)."""
    chain = regions.ancestors(listing.region_code) if listing.region_code else []
    nearest = chain[-1].name(locale) if chain else ""
    park = "" if regions.names_again(listing.region_code, listing.park) else listing.park
    label = " ".join(filter(None, [nearest, park if park != nearest else ""]))
    query = " ".join(filter(None, ["".join(r.name("zh_CN") for r in chain), park]))
    return label, query


def map_link(query: str) -> str | None:
    """A plain link to a map site's search for place()'s query (no map API is called from
    this server)."""
    return f"https://uri.amap.com/search?keyword={quote(query)}&callnative=0" if query else None


def exists(listing_id: int) -> bool:
    return db.session.get(Listing, listing_id) is not None


def offered(listing_id: int | None) -> Listing | None:
    """A listing a prospect may ask about (not let or sold), or None."""
    listing = db.session.get(Listing, listing_id) if listing_id is not None else None
    return listing if is_offered(listing) else None


def fill_need_from(lead: Lead, listing: Listing) -> None:
    """A prospect who asked from a listing's page wants that kind of space, there: what
    they left blank of the need is taken from the listing (what they typed wins)."""
    lead.deal_type = lead.deal_type or listing.deal_type
    lead.property_type = lead.property_type or listing.property_type
    if not lead.region_code and not lead.region_text:
        lead.region_code = listing.region_code
        lead.region_text = listing.park or ""


def save(listing: Listing, data: ListingInput, actor: User) -> Listing:
    """Create (listing without an id) or change a listing; audited."""
    values = {name: getattr(data, name) for name in FIELDS}
    values["region_code"] = values["region_code"] or None
    if values["price_negotiable"]:
        values["price"] = None
    values["area_unit"] = data.area_unit or "sqm"
    values["area_sqm"] = to_sqm(data.area, values["area_unit"])
    creating = listing.id is None
    old, new = audit.diff(listing, list(values), values) if not creating else ({}, values)
    for name, value in values.items():
        setattr(listing, name, value)
    listing.updated_at = utcnow()
    if creating:
        listing.created_by_id = actor.id
        db.session.add(listing)
        db.session.flush()
    if new:
        audit.record(actor, "listing_create" if creating else "listing_edit", "listing",
                     listing.id, old or None, new)
    db.session.commit()
    return listing


def record_link(lead: Lead, listing: Listing, kind: str, author: User) -> bool:
    """Recommended or visited; False if it was recorded already."""
    exists = db.session.scalars(select(LeadListing.id).where(
        LeadListing.lead_id == lead.id, LeadListing.listing_id == listing.id,
        LeadListing.kind == kind)).first()
    if exists:
        return False
    now = utcnow()
    db.session.add(LeadListing(lead_id=lead.id, listing_id=listing.id, kind=kind,
                               author_id=author.id, created_at=now))
    with default_locale():
        body = f"{LISTING_LINK_KINDS[kind]}: #{listing.id} {listing.title}"
    db.session.add(Activity(lead_id=lead.id, kind="listing", author_id=author.id, body=body,
                            created_at=now))
    db.session.commit()
    return True


def links_of_lead(lead: Lead) -> list[LeadListing]:
    """With each link's listing and author (the lead page shows both): one statement."""
    return list(db.session.scalars(
        select(LeadListing).options(joinedload(LeadListing.listing),
                                    joinedload(LeadListing.author))
        .where(LeadListing.lead_id == lead.id)
        .order_by(LeadListing.created_at.desc(), LeadListing.id.desc())))


def links_of_listing(listing: Listing) -> list[LeadListing]:
    """With each link's lead (and its owner, which access checks read) and author."""
    return list(db.session.scalars(
        select(LeadListing).options(joinedload(LeadListing.lead).joinedload(Lead.assigned_to),
                                    joinedload(LeadListing.author))
        .where(LeadListing.listing_id == listing.id)
        .order_by(LeadListing.created_at.desc(), LeadListing.id.desc())))


def delete(listing: Listing, actor: User) -> None:
    audit.record(actor, "listing_delete", "listing", listing.id, {"title": listing.title}, None)
    files = _image_files(listing.id)
    db.session.delete(listing)  # its images go with it (ON DELETE CASCADE)
    db.session.commit()
    delete_quietly(files)  # after the commit: a rolled-back delete keeps its photos


def _image_files(listing_id: int) -> list[str]:
    """Every stored file of a listing's images, to delete once the listing's deletion commits."""
    keys: list[str] = []
    for row in db.session.execute(select(ListingImage.raw_key, ListingImage.web_key,
                                         ListingImage.mid_key, ListingImage.thumb_key)
                                  .where(ListingImage.listing_id == listing_id)):
        keys.extend(key for key in row if key)
    return keys


def search(text: str, limit: int = 10) -> list[Listing]:
    """Listings an agent may send, by id ("12", "#12") or by words of the title or park."""
    text = (text or "").strip()[:60]
    if not text:
        return []
    stmt = select(Listing).where(Listing.status.in_(OFFERED_LISTING_STATUSES))
    number = text.lstrip("#")
    if number.isdigit() and len(number) < 10:
        stmt = stmt.where(Listing.id == int(number))
    else:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(Listing.title.ilike(like, escape="\\") | Listing.park.ilike(like, escape="\\"))
    return list(db.session.scalars(stmt.order_by(Listing.id.desc()).limit(limit)))
