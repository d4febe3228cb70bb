"""The fixed vocabularies of the trade: one place for codes and their labels.

Codes are stored; labels are translated at render time (lazy_gettext).
"""
from decimal import Decimal

from flask_babel import lazy_gettext as _l

DEAL_TYPES = {"rent": _l("Rent"), "buy": _l("Buy")}
PROPERTY_TYPES = {"factory": _l("Factory"), "warehouse": _l("Warehouse"),
                  "land": _l("Industrial land"), "office": _l("Office")}
AREA_UNITS = {"sqm": _l("㎡"), "mu": _l("mu (亩)")}
SQM_PER_MU = 666.67


def to_sqm(value: Decimal | None, unit: str) -> Decimal | None:
    """An area as typed (㎡ or 亩) in square metres, to the cent."""
    if value is None:
        return None
    return (value * Decimal(str(SQM_PER_MU)) if unit == "mu" else value).quantize(Decimal("0.01"))


def per_mu(amount: Decimal | None, sqm: Decimal | None) -> Decimal | None:
    """An amount for a piece of land per 亩 of it (a land price in 万元/亩), to the cent."""
    if amount is None or not sqm:
        return None
    return (amount * Decimal(str(SQM_PER_MU)) / sqm).quantize(Decimal("0.01"))


CHANNELS = {"web": _l("Web form"), "api": _l("API"), "phone": _l("Phone"),
            "wechat": _l("WeChat"), "import": _l("Import")}
# What an agent may pick when typing a lead in by hand.
MANUAL_CHANNELS = {code: CHANNELS[code] for code in ("phone", "wechat")}

# Leading industry tracks named in the sources (DOMAIN.md).
INDUSTRIES = {
    "nev": _l("New-energy vehicles and components"),
    "equipment": _l("High-end equipment (CNC, robots)"),
    "materials": _l("New materials"),
    "biomedicine": _l("Biomedicine"),
    "electronics_3c": _l("3C electronics structural parts"),
    "ic": _l("Integrated circuits"),
    "ai": _l("Artificial intelligence"),
    "green": _l("Energy saving and environmental"),
    "cosmetics": _l("Cosmetics"),
    "logistics_equipment": _l("Smart logistics equipment"),
    "xinchuang": _l("IT application innovation (Xinchuang)"),
    "other": _l("Other"),
}

EIA_CHOICES = {"yes": _l("Yes"), "no": _l("No"), "unknown": _l("Not sure")}

STATUSES = {
    "new": _l("New"), "contacted": _l("Contacted"), "qualified": _l("Qualified"),
    "site_visit": _l("Site visit"), "negotiating": _l("Negotiating"),
    "won": _l("Won"), "lost": _l("Lost"), "spam": _l("Spam"), "merged": _l("Merged"),
}
OPEN_STATUSES = ("new", "contacted", "qualified", "site_visit", "negotiating")
# Never leads: spam, and a lead merged into another (its prospect is counted once, there).
# Hidden from the queue, left out of reports and scores.
JUNK_STATUSES = ("spam", "merged")

# Kinds an agent logs by hand; the system writes status_change and assignment.
FOLLOW_UP_KINDS = {"call": _l("Call"), "wechat": _l("WeChat"),
                   "site_visit": _l("Site visit"), "meeting": _l("Meeting"), "note": _l("Note")}
ACTIVITY_KINDS = {**FOLLOW_UP_KINDS, "status_change": _l("Status change"),
                  "assignment": _l("Assignment"), "listing": _l("Listing"),
                  "merge": _l("Merge"), "edit": _l("Edit"),
                  "repeat_inquiry": _l("Repeat inquiry"),
                  "recommendation": _l("Recommendation page"),
                  "recommendation_open": _l("Prospect opened the listings"),
                  "visit_request": _l("Visit requested"),
                  "visit_scheduled": _l("Site visit scheduled"),
                  "visit_feedback": _l("Site visit feedback")}
VISIT_STATUSES = {"scheduled": _l("Scheduled"), "done": _l("Done"), "cancelled": _l("Cancelled")}
CONTACT_KINDS = ("call", "wechat", "site_visit", "meeting")  # these count as contacting the prospect
# What came of a contact attempt; only "reached" and the like count as first contact.
OUTCOMES = {"reached": _l("Reached"), "no_answer": _l("No answer"),
            "call_back": _l("Call back later"), "interested": _l("Interested"),
            "not_interested": _l("Not interested"), "wrong_number": _l("Wrong number")}
UNREACHED_OUTCOMES = ("no_answer", "wrong_number")

LISTING_STATUSES = {"available": _l("Available"), "reserved": _l("Reserved"),
                    "let_or_sold": _l("Let or sold")}
# Still on offer: shown on the public pages, sent to prospects, booked for a visit.
OFFERED_LISTING_STATUSES = ("available", "reserved")
LISTING_LINK_KINDS = {"recommended": _l("Recommended"), "site_visit": _l("Site visit")}
# What the buttons say before they are pressed (the kinds above say what was done).
LISTING_LINK_ACTIONS = {"recommended": _l("Recommend it"), "site_visit": _l("Book a site visit")}

IMPORT_STATUSES = {"uploaded": _l("Uploaded"), "queued": _l("Queued"), "running": _l("Importing"),
                   "done": _l("Done")}
ROLES = {"agent": _l("Agent"), "manager": _l("Manager"), "admin": _l("Admin")}


def label(mapping: dict, code: str | None) -> str:
    if code is None:
        return ""
    return str(mapping.get(code, code))
