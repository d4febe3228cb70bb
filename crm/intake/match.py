"""Who is the person behind an inquiry, and which of their needs is it about? One place for
every channel (form, embed, API, agent entry, paste, import): find the contact (mobile, else
WeChat ID, else company + name) and the company (credit code, else normalised name), or say
they are new; then the contact's open need this inquiry repeats, if any (design:
docs/design/contacts-and-needs.md §2, steps 1, 2, 3 and 5).

A repeat is the same person asking again about the same need: the listing they name was
that need's, or the deal type, property type and place agree (an unstated one agrees with
anything). Any other inquiry of a known contact is a new need of that contact. Won, lost and
junk needs never take repeats.

`match_inquiry` only reads, so it can serve a dry run; `link` writes what it found (a new
contact or company, the fields a known contact lacks) and returns the ids a new lead or a
repeat carries.
"""
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    Integer,
    Row,
    String,
    Table,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from crm.choices import JUNK_STATUSES, OPEN_STATUSES
from crm.extensions import db
from crm.inputs.company import name_key
from crm.inputs.phone import contact_preference
from crm.inputs.text import compact_key
from crm.inputs.wechat import is_wechat_id
from crm.intake.inquiry import Inquiry
from crm.intake.repeats import Original
from crm.models import Company, Contact, Lead, LeadListing, Recommendation
from crm.models.visit import recommendation_listing
from crm.regions import same_area

_COMPANY: Table = Company.__table__
_CONTACT: Table = Contact.__table__

# Contact fields a known contact lacks and an inquiry may give (filled), or states
# differently (shown, never overwritten).
_FILLED = ("name", "mobile_e164", "mobile_display", "mobile_note", "wechat_id", "email")
_COMPARED = ("name", "mobile_e164", "wechat_id", "email")


@dataclass(frozen=True)
class Wanted:
    """What the inquiry is about, as far as telling one need from another goes."""
    deal_type: str | None = None
    property_type: str | None = None
    region_code: str | None = None
    listing_id: int | None = None


@dataclass(frozen=True)
class Match:
    contact_id: int | None   # None: a contact is made from the inquiry
    matched_on: str          # "mobile" | "wechat" | "name" | ""
    company_id: int | None   # by credit code, else name key; None: new (if named) or none
    needs: int               # the contact's non-junk needs so far; a new need is needs + 1
    fills: dict = field(default_factory=dict)    # contact fields it lacks that the inquiry gives
    differs: dict = field(default_factory=dict)  # contact fields stated otherwise: (was, now)
    need: Original | None = None  # the open need this inquiry repeats; None: a new need
    open_needs: int = 0      # the contact's open needs ("this contact has N other needs")


def wanted(inquiry: Inquiry) -> Wanted:
    need = inquiry.need
    return Wanted(need.deal_type, need.property_type, need.region_code, inquiry.source.listing_id)


def same_need(deal_a: str | None, deal_b: str | None, type_a: str | None, type_b: str | None,
              region_a: str | None, region_b: str | None) -> bool:
    """Step 3, rule 2: could these be one need? An unstated side never splits."""
    return ((not deal_a or not deal_b or deal_a == deal_b)
            and (not type_a or not type_b or type_a == type_b)
            and same_area(region_a, region_b))


def which_need(rows: list, want: Wanted) -> Original | None:
    """Step 3: the open need the inquiry repeats (rows newest first): the one whose listing
    it names, else the newest the same need; None: a new need."""
    candidates = [row for row in rows if row.status in OPEN_STATUSES]
    if want.listing_id is not None:
        for row in candidates:
            if row.listing_id == want.listing_id or row.shown:
                return Original(row.id, row.reference, "listing", row.created_at)
    for row in candidates:
        if same_need(row.deal_type, want.deal_type, row.property_type, want.property_type,
                     row.region_code, want.region_code):
            return Original(row.id, row.reference, "need", row.created_at)
    return None


def needs_of(contact_id: int, listing_id: int | None) -> list:
    """Step 2: the contact's non-junk needs, newest first, in one statement on
    ix_lead_contact_status; `shown` says the listing was sent or shown to that need; `total`
    counts them all (past the limit too)."""
    return list(db.session.execute(_needs_query(listing_id is not None),
                                   {"contact_id": contact_id, "listing_id": listing_id}).all())


# Every inquiry runs the statements below: each is built once per shape, its values bound
# as parameters, so it is neither rebuilt nor keyed for SQLAlchemy's cache each time.
@lru_cache(maxsize=2)
def _needs_query(by_listing: bool):
    if by_listing:
        listing_id = bindparam("listing_id", type_=Integer)
        shown = or_(
            exists().where(LeadListing.lead_id == Lead.id, LeadListing.listing_id == listing_id),
            exists().where(Recommendation.lead_id == Lead.id,
                           recommendation_listing.c.recommendation_id == Recommendation.id,
                           recommendation_listing.c.listing_id == listing_id))
    else:
        shown = false()
    return (select(Lead.id, Lead.reference, Lead.deal_type, Lead.property_type, Lead.region_code,
                   Lead.listing_id, Lead.created_at, Lead.status, shown.label("shown"),
                   func.count().over().label("total"))
            .where(Lead.contact_id == bindparam("contact_id", type_=Integer),
                   Lead.status.not_in(JUNK_STATUSES))
            .order_by(Lead.created_at.desc(), Lead.id.desc()).limit(50))


@dataclass(frozen=True)
class Link:
    contact_id: int
    company_id: int | None   # the company this inquiry is for, as stated
    contact_seq: int         # this need's number in the contact's needs


def stated(inquiry: Inquiry) -> dict:
    """The contact columns the inquiry states (a WeChat box holding "无" states none)."""
    person, mobile = inquiry.contact, inquiry.contact.mobile
    return {"name": person.name, "name_key": compact_key(person.name),
            "mobile_e164": mobile.e164 if mobile else None,
            "mobile_display": mobile.display if mobile else "",
            "mobile_note": mobile.note if mobile else "",
            "wechat_id": person.wechat_id if is_wechat_id(person.wechat_id) else None,
            "email": person.email}


def _company_params(name: str, credit_code: str | None, key: str | None = None) -> dict:
    """What finds the company: its credit code, else its normalised name (`key`, when the
    caller has it); empty when the inquiry names neither."""
    key = name_key(name) if key is None else key
    return ({"credit_code": credit_code} if credit_code else {}) | ({"name_key": key} if key else {})


@lru_cache(maxsize=4)
def _company_query(by_code: bool, by_key: bool):
    """The company by its credit code, else by its normalised name, on the two unique
    indexes."""
    table, conditions = _COMPANY, []
    code = bindparam("credit_code", type_=String)
    if by_code:
        conditions.append(table.c.credit_code == code)
    if by_key:
        conditions.append(table.c.name_key == bindparam("name_key", type_=String))
    order = (case((table.c.credit_code == code, 0), else_=1),) if by_code else ()
    return select(table.c.id).where(or_(*conditions)).order_by(*order, table.c.id).limit(1)


def find_company(name: str, credit_code: str | None, key: str | None = None) -> int | None:
    """The company's id (see _company_query), in one statement; None when the inquiry names
    no company."""
    params = _company_params(name, credit_code, key)
    if not params:
        return None
    return db.session.scalar(_company_query("credit_code" in params, "name_key" in params), params)


# What matching reads of a contact: its id and company, and the fields it compares.
def _contact_columns():
    return (_CONTACT.c.id, _CONTACT.c.company_id, *(_CONTACT.c[name] for name in _FILLED))


@lru_cache(maxsize=8)
def _company_and_mobile_query(by_code: bool, by_key: bool, by_mobile: bool):
    company = (_company_query(by_code, by_key).scalar_subquery() if by_code or by_key
               else null())
    one = select(literal(1).label("one")).subquery("one")
    found = _CONTACT.c.mobile_e164 == bindparam("mobile", type_=String) if by_mobile else false()
    return (select(company.label("found_company_id"), *_contact_columns()).select_from(one)
            .outerjoin(_CONTACT, and_(found, _CONTACT.c.erased_at.is_(None))).limit(1))


def _company_and_mobile(person, mobile: str | None) -> tuple[int | None, Row | None]:
    """The company and the live contact holding the mobile, in one statement (every
    inquiry asks both; a new prospect, the common case, finds neither)."""
    params = _company_params(person.company, person.credit_code)
    row = db.session.execute(
        _company_and_mobile_query("credit_code" in params, "name_key" in params, bool(mobile)),
        params | {"mobile": mobile}).one()
    return row.found_company_id, (row if row.id is not None else None)


@lru_cache(maxsize=2)
def _contact_by_wechat(with_mobile: bool):
    # A stronger key never conflicts: the contact's mobile is missing or this one (an
    # inquiry stating no mobile conflicts with none).
    conditions = [_CONTACT.c.wechat_id == bindparam("wechat_id", type_=String),
                  _CONTACT.c.erased_at.is_(None)]
    if with_mobile:
        conditions.append(_CONTACT.c.mobile_e164.is_(None)
                          | (_CONTACT.c.mobile_e164 == bindparam("mobile", type_=String)))
    return _newest_contact(conditions)


@lru_cache(maxsize=4)
def _contact_by_name(with_mobile: bool, with_wechat: bool):
    conditions = [_CONTACT.c.company_id == bindparam("company_id", type_=Integer),
                  _CONTACT.c.name_key == bindparam("name_key", type_=String),
                  _CONTACT.c.erased_at.is_(None)]
    if with_mobile:
        conditions.append(_CONTACT.c.mobile_e164.is_(None))
    if with_wechat:
        conditions.append(_CONTACT.c.wechat_id.is_(None)
                          | (_CONTACT.c.wechat_id == bindparam("wechat_id", type_=String)))
    return _newest_contact(conditions)


def _newest_contact(conditions: list):
    return (select(*_contact_columns()).where(*conditions)
            .order_by(_CONTACT.c.created_at.desc(), _CONTACT.c.id.desc()).limit(1))


def match_inquiry(inquiry: Inquiry, at: datetime | None = None,
                  about: Wanted | None = None) -> Match:
    """Steps 1, 2, 3 and 5 of the design: the contact, the company, and the open need this
    repeats; nothing is written. `at` is the inquiry's time; `about`: what the inquiry is
    about when the caller knows more than it says (the listing's types filled in)."""
    want = stated(inquiry)
    company_id, contact = _company_and_mobile(inquiry.contact, want["mobile_e164"])
    matched_on = "mobile" if contact is not None else ""
    if contact is None and want["wechat_id"]:
        contact = db.session.execute(
            _contact_by_wechat(bool(want["mobile_e164"])),
            {"wechat_id": want["wechat_id"], "mobile": want["mobile_e164"]}).first()
        matched_on = "wechat"
    if contact is None and company_id is not None and want["name_key"]:
        contact = db.session.execute(
            _contact_by_name(bool(want["mobile_e164"]), bool(want["wechat_id"])),
            {"company_id": company_id, "name_key": want["name_key"],
             "wechat_id": want["wechat_id"]}).first()
        matched_on = "name"
    if contact is None:
        # A company-only match links the company and never merges people.
        return Match(None, "", company_id, 0)
    rows = needs_of(contact.id, (about or wanted(inquiry)).listing_id)
    needs = rows[0].total if rows else 0
    fills, differs = {}, {}
    for name in _FILLED:
        was, now = getattr(contact, name), want[name]
        if not now or was == now:
            continue
        if not was or (needs == 0 and name in ("name", "email")):
            fills[name] = now  # a contact whose every need was junk takes the new name
        elif name in _COMPARED:
            differs[name] = (was, now)
    if "name" in fills:
        fills["name_key"] = want["name_key"]
    if contact.company_id is None and company_id is not None:
        fills["company_id"] = company_id
    return Match(contact.id, matched_on, company_id, needs, fills, differs,
                 need=which_need(rows, about or wanted(inquiry)),
                 open_needs=sum(1 for row in rows if row.status in OPEN_STATUSES))


def link(inquiry: Inquiry, match: Match, at: datetime, consented: bool,
         consent_version: str) -> Link:
    """Write what `match` found: the company and the contact made if new, the fields a known
    contact lacked, the latest consent. In the caller's transaction, no commit. A new
    contact whose mobile another transaction just took fails on uq_contact_mobile: the
    caller retries the whole transaction (`is_taken`)."""
    if match.contact_id is None:
        values = new_contact(inquiry, match, at, consented, consent_version)
        return Link(insert_contact(values), values["company_id"], 1)
    company_id = _company_for(inquiry, match, at)
    values = dict(match.fills) | _consent(at, consented, consent_version)
    if values:
        db.session.execute(_update_contact(frozenset(values)),
                           values | {"contact_id": match.contact_id})
    return Link(match.contact_id, company_id, match.needs + 1)


def new_contact(inquiry: Inquiry, match: Match, at: datetime, consented: bool,
                consent_version: str, *, company_made_with_it: bool = False) -> dict:
    """The columns of the contact an inquiry from someone not met before makes, its company
    made first if new. `link` inserts it; intake on PostgreSQL inserts it within the new
    lead's own statement (crm.intake.capture), and with it the new company
    (`company_made_with_it`: its id is left to that statement; see `company_to_make`)."""
    assert match.contact_id is None
    company_id = None if company_made_with_it else _company_for(inquiry, match, at)
    return {"created_at": at, "company_id": company_id,
            "contact_preference": contact_preference(inquiry.contact.mobile),
            **stated(inquiry), **_consent(at, consented, consent_version)}


def insert_contact(values: dict) -> int:
    """INSERT a contact made by `new_contact`; its id."""
    key = db.session.connection().execute(bound_insert(_CONTACT, frozenset(values)),
                                          values).inserted_primary_key
    assert key is not None  # an INSERT of one row
    return key[0]


def _consent(at: datetime, consented: bool, consent_version: str) -> dict:
    return {"consent_at": at, "consent_version": consent_version} if consented else {}


def _company_for(inquiry: Inquiry, match: Match, at: datetime) -> int | None:
    """The company the inquiry is for, as stated: made if new; a known one takes its
    industry from the first need naming one."""
    if (new := company_to_make(inquiry, match, at)) is not None:
        return insert_company(new)
    if match.company_id is not None and inquiry.need.industry:
        db.session.execute(_COMPANY_INDUSTRY, {"company_id": match.company_id,
                                               "industry": inquiry.need.industry})
    return match.company_id


def company_to_make(inquiry: Inquiry, match: Match, at: datetime) -> dict | None:
    """The columns of the company the inquiry names when matching found none by its credit
    code or its name: one to make. None when it names none, or names a known one."""
    person = inquiry.contact
    key = name_key(person.company) or None
    if match.company_id is not None or not (key or person.credit_code):
        return None
    return {"created_at": at, "name": person.company[:120], "name_key": key,
            "credit_code": person.credit_code or None,
            "credit_code_valid": person.credit_code_valid, "industry": inquiry.need.industry}


_COMPANY_INDUSTRY = (update(_COMPANY)
                     .where(_COMPANY.c.id == bindparam("company_id", type_=Integer),
                            _COMPANY.c.industry.is_(None))
                     .values(industry=bindparam("industry", type_=String)))


@lru_cache(maxsize=160)
def bound_insert(table: Table, columns: frozenset):
    """An INSERT of these columns of `table`, values bound by column name: built once per
    set of columns an inquiry fills (channels and stated fields differ). Building and
    coercing the statement on every inquiry cost as much CPU as the unit of work it replaced."""
    return insert(table).values({name: bindparam(name, type_=table.c[name].type)
                                 for name in sorted(columns)})


@lru_cache(maxsize=32)
def _update_contact(columns: frozenset):
    return (update(_CONTACT).where(_CONTACT.c.id == bindparam("contact_id", type_=Integer))
            .values({name: bindparam(name, type_=_CONTACT.c[name].type)
                     for name in sorted(columns)}))


# As text: SQLAlchemy keeps no compiled form of a dialect's INSERT … ON CONFLICT (it has no
# cache key), so the construct was compiled again on every inquiry naming a new company.
# The same SQL on PostgreSQL and SQLite (3.35+).
_INSERT_COMPANY = text(
    "INSERT INTO company (created_at, name, name_key, credit_code, credit_code_valid, industry) "
    "VALUES (:created_at, :name, :name_key, :credit_code, :credit_code_valid, :industry) "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(*(bindparam(name, type_=_COMPANY.c[name].type) for name in (
    "created_at", "name", "name_key", "credit_code", "credit_code_valid", "industry")))


def insert_company(values: dict) -> int | None:
    """A company (`company_to_make`), made once: two people of one new company at once share
    one row (a unique index and ON CONFLICT DO NOTHING RETURNING; read only when another
    took it). Called when the match has just found no company by this code or name, so no
    check before."""
    made = db.session.execute(_INSERT_COMPANY, values).scalar()
    return made if made is not None else find_company(
        values["name"], values["credit_code"], values["name_key"] or "")


def is_taken(exc: IntegrityError) -> bool:
    """Did a new contact or company fail because another transaction just made it (the
    same mobile, or a company made in the lead's own statement)? Retried."""
    message = str(exc.orig)
    # PostgreSQL: … "uq_contact_mobile" … / … "uq_company_name_key" …;
    # SQLite: UNIQUE constraint failed: contact.mobile_e164
    return any(name in message for name in ("uq_contact_mobile", "contact.mobile_e164",
                                            "uq_company_credit_code", "uq_company_name_key"))
