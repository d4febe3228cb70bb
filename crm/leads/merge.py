"""Fold a duplicate lead of the same prospect into another, keeping both histories."""
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from crm.extensions import db, rows_changed
from crm.i18n import default_locale
from crm.inputs.building import REQUIREMENTS
from crm.leads import scoring
from crm.models import Activity, Deal, Lead, LeadListing, Recommendation, SiteVisit, User, VisitRequest
from crm.models.types import utcnow
from crm.privacy import audit

# Facts the survivor takes from the duplicate when it has none of its own.
FILLABLE = ("deal_type", "property_type", "region_code", "region_text", "area_min_sqm",
            "area_max_sqm", "industry", "usage", "needs_eia", "annual_tax_wan", "investment_wan",
            "company", "credit_code", "credit_code_valid", "wechat_id", "email", *REQUIREMENTS)


class MergeError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def merge(survivor: Lead, duplicate: Lead, actor: User) -> Lead:
    if survivor.id == duplicate.id:
        raise MergeError(_l("A lead cannot be merged into itself."))
    if "merged" in (survivor.status, duplicate.status):
        raise MergeError(_l("One of these leads has already been merged."))
    if db.session.scalar(select(Deal.id).where(Deal.lead_id == duplicate.id,
                                               Deal.status == "signed").limit(1)) is not None:
        # Its deal would be left on a merged lead: merge the other one into it instead.
        raise MergeError(_l("This lead has a signed deal: merge the other lead into it."))
    now = utcnow()
    filled = {}
    if not survivor.mobile_e164 and duplicate.mobile_e164:
        # A WeChat-only survivor takes the duplicate's number, whole: callable, found again by it.
        for name in ("mobile_e164", "mobile_display", "mobile_note", "contact_preference"):
            filled[name] = getattr(duplicate, name)
            setattr(survivor, name, filled[name])
    for name in FILLABLE:
        if getattr(survivor, name) in (None, "") and getattr(duplicate, name) not in (None, ""):
            filled[name] = getattr(duplicate, name)
            setattr(survivor, name, filled[name])
    # The history moves over: activities and listings shown to the prospect.
    moved = rows_changed(db.session.execute(
        update(Activity).where(Activity.lead_id == duplicate.id).values(lead_id=survivor.id)
        .execution_options(synchronize_session=False)))
    have = {(ll.listing_id, ll.kind) for ll in db.session.scalars(
        select(LeadListing).where(LeadListing.lead_id == survivor.id))}
    for link in db.session.scalars(select(LeadListing).where(LeadListing.lead_id == duplicate.id)):
        if (link.listing_id, link.kind) in have:
            db.session.delete(link)
        else:
            link.lead_id = survivor.id
    # What was sent to the prospect, what they asked for and the visits planned follow them:
    # a page opened or booked after the merge lands on the lead that is worked.
    for model in (Recommendation, VisitRequest, SiteVisit):
        db.session.execute(update(model).where(model.lead_id == duplicate.id)
                           .values(lead_id=survivor.id).execution_options(synchronize_session=False))
    old_status = duplicate.status
    duplicate.status = "merged"
    duplicate.merged_into_id = survivor.id
    with default_locale():
        into = gettext("Merged %(dup)s into this lead (%(n)d activities moved).",
                       dup=duplicate.reference, n=moved)
        away = gettext("Merged into %(ref)s.", ref=survivor.reference)
    db.session.add(Activity(lead_id=survivor.id, kind="merge", author_id=actor.id, body=into,
                            created_at=now))
    db.session.add(Activity(lead_id=duplicate.id, kind="merge", author_id=actor.id, body=away,
                            from_status=old_status, to_status="merged", created_at=now))
    audit.record(actor, "merge", "lead", survivor.id,
                 {"duplicate_id": duplicate.id, "duplicate_status": old_status},
                 {"merged_into_id": survivor.id, "filled": filled, "activities_moved": moved})
    db.session.flush()
    db.session.expire(survivor, ["activities"])
    scoring.refresh(survivor)
    db.session.commit()
    return survivor
