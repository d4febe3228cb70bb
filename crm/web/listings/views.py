"""Listings (对接资源): staff CRUD, the leads each was shown to, and a public page."""
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from crm import access, choices
from crm.access import Role, role_required
from crm.extensions import db
from crm.listings import inventory
from crm.models import Listing
from crm.web.listings.forms import ListingForm

bp = Blueprint("listings", __name__)


@bp.route("/agent/listings")
@login_required
def index():
    status = request.args.get("status", "available")
    stmt = select(Listing).order_by(Listing.updated_at.desc(), Listing.id.desc()).limit(500)
    if status in choices.LISTING_STATUSES:
        stmt = stmt.where(Listing.status == status)
    return render_template("listings/index.html", listings=list(db.session.scalars(stmt)),
                           status=status)


@bp.route("/agent/listings/new", methods=["GET", "POST"])
@bp.route("/agent/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(listing_id: int | None = None):
    listing = db.session.get(Listing, listing_id) if listing_id else Listing()
    if listing is None:
        abort(404)
    form = ListingForm(obj=listing if listing_id else None)
    if request.method == "GET" and listing_id:
        # Shown in the unit it was entered in.
        form.area.data = listing.area_sqm if listing.area_unit == "sqm" else \
            (listing.area_sqm / Decimal(str(choices.SQM_PER_MU))).quantize(Decimal("0.01"))
    if form.validate_on_submit():
        inventory.save(listing, form, current_user)
        flash(_("Listing saved."), "success")
        return redirect(url_for("listings.detail", listing_id=listing.id))
    status = 422 if request.method == "POST" else 200
    return render_template("listings/form.html", form=form, listing=listing), status


@bp.route("/agent/listings/<int:listing_id>")
@login_required
def detail(listing_id: int):
    listing = db.session.get(Listing, listing_id) or abort(404)
    # Only the leads this user may see are listed.
    links = [link for link in inventory.links_of_listing(listing)
             if access.can_view(current_user, link.lead)]
    return render_template("listings/detail.html", listing=listing, links=links)


@bp.route("/listings/<int:listing_id>")
def public(listing_id: int):
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.status == "let_or_sold":
        abort(404)
    return render_template("listings/public.html", listing=listing)


@bp.route("/agent/listings/<int:listing_id>/delete", methods=["POST"])
@role_required(Role.MANAGER)
def delete(listing_id: int):
    listing = db.session.get(Listing, listing_id) or abort(404)
    inventory.delete(listing, current_user)
    flash(_("Listing deleted."), "success")
    return redirect(url_for("listings.index"))
