"""Listings (对接资源): staff CRUD, the leads each was shown to, how each fared, and a public page."""
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from crm import access, choices
from crm.access import Role, role_required
from crm.extensions import db
from crm.i18n import ui_language
from crm.inputs.fields import database_id
from crm.intake import sites, spam
from crm.intake.forms import InquiryForm
from crm.listings import images, inventory
from crm.models import Listing
from crm.reporting import listing_stats as listing_stats_service
from crm.web.listings import bp
from crm.web.listings.detail_page import detail_context, panel
from crm.web.listings.forms import ListingForm, PublicListingFilter
from crm.web.pages import form_page
from crm.web.qr import svg_response
from crm.web.security import allow_framing_by


@bp.route("/agent/listings")
@login_required
def index():
    status = request.args.get("status", "available")
    stmt = select(Listing).order_by(Listing.updated_at.desc(), Listing.id.desc()).limit(500)
    if status in choices.LISTING_STATUSES:
        stmt = stmt.where(Listing.status == status)
    listings = list(db.session.scalars(stmt))
    return render_template("listings/index.html", listings=listings, status=status,
                           covers=images.covers([listing.id for listing in listings]))


@bp.route("/agent/listings/new", methods=["GET", "POST"])
@bp.route("/agent/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(listing_id: int | None = None):
    listing = db.session.get(Listing, listing_id) if listing_id else Listing()
    if listing is None:
        abort(404)
    if not access.can_edit_listing(current_user, listing):
        abort(403)
    form = ListingForm(obj=listing if listing_id else None)
    if request.method == "GET" and listing_id:
        # Shown in the unit it was entered in.
        form.area.data = listing.area_sqm if listing.area_unit == "sqm" else \
            (listing.area_sqm / Decimal(str(choices.SQM_PER_MU))).quantize(Decimal("0.01"))
    if form.validate_on_submit():
        inventory.save(listing, form.to_input(), current_user)
        flash(_("Listing saved."), "success")
        return redirect(url_for("listings.detail", listing_id=listing.id))
    return form_page("listings/form.html", form=form, listing=listing)


@bp.route("/agent/listings/<int:listing_id>")
@login_required
def detail(listing_id: int):
    listing = db.session.get(Listing, listing_id) or abort(404)
    return render_template("listings/detail.html", **detail_context(listing),
                           **panel(listing))


def _public_listing(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None or not inventory.is_offered(listing):
        abort(404)
    return listing


@bp.route("/listings/<int:listing_id>")
def public(listing_id: int):
    """The page a prospect opens from a WeChat post or a QR code: the specs, a map link, and
    the inquiry form already about this listing (attribution carried in the link)."""
    listing = _public_listing(listing_id)
    form = InquiryForm()
    form.listing_id.data = str(listing.id)
    form.deal_type.data, form.property_type.data = listing.deal_type, listing.property_type
    form.region_code.data = listing.region_code
    form.page_url.data = request.url[:1000]
    form.referrer.data = (request.referrer or "")[:1000]
    for name in ("utm_source", "utm_medium", "utm_campaign"):
        getattr(form, name).data = request.args.get(name, "")[:100]
    form.started.data = spam.new_fill_token()
    label, query = inventory.place(listing, ui_language())
    return render_template("listings/public.html", listing=listing, form=form, place=label,
                           map_url=inventory.map_link(query), gallery=images.gallery(listing))


@bp.route("/listings/<int:listing_id>/qr.svg")
def qr(listing_id: int):
    """For print and WeChat posts; the source rides in the link (?source=展会易拉宝 …)."""
    listing = _public_listing(listing_id)
    source = (request.args.get("source") or "qr")[:60]
    url = url_for("listings.public", listing_id=listing.id, utm_source=source,
                  utm_medium="qr", _external=True)
    return svg_response(url, f"listing-{listing.id}.svg")


def _wanted(form: PublicListingFilter) -> inventory.Wanted | None:
    if not form.validate():
        return None  # the error next to its field and no rows, never every listing
    return inventory.Wanted(form.property_type.data or "", form.deal_type.data or "",
                            form.region.data or "", form.area_min.data, form.area_max.data)


@bp.route("/listings/")
def public_list():
    """Available listings anyone may browse: a site's listing section."""
    return _render_public_list(embed=None)


@bp.route("/embed/listings")
def embed_list():
    """The same list inside a source site's page (framed only by that site's origins);
    each listing opens in a new tab with the site as its source."""
    site = sites.site_for_public_key(request.args.get("site")) or abort(404)
    allow_framing_by(site.origin_list)
    return _render_public_list(embed=site)


def _render_public_list(embed):
    form = PublicListingFilter(formdata=request.args)
    wanted = _wanted(form)
    rows, older = inventory.available(wanted, database_id(request.args.get("before", ""))) \
        if wanted is not None else ([], None)
    return render_template("listings/public_list.html", form=form, listings=rows, older=older,
                           total=inventory.count_available(wanted) if wanted is not None else 0,
                           covers=images.covers([row.id for row in rows]),
                           args={k: v for k, v in request.args.items() if k != "before" and v},
                           embed=embed), 200 if wanted is not None else 400


@bp.route("/agent/listings/<int:listing_id>/delete", methods=["POST"])
@role_required(Role.MANAGER)
def delete(listing_id: int):
    listing = db.session.get(Listing, listing_id) or abort(404)
    inventory.delete(listing, current_user)
    flash(_("Listing deleted."), "success")
    return redirect(url_for("listings.index"))


@bp.route("/agent/listings/stats")
@role_required(Role.MANAGER)
def listing_stats():
    return render_template("listings/stats.html", rows=listing_stats_service.ranked(current_user))
