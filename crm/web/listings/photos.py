"""Listing photos: upload, order, cover, caption, delete (staff who may edit the listing), and
the files themselves (anyone for a public listing, staff for the rest, 404 otherwise)."""
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm import access
from crm.extensions import db
from crm.listings import images
from crm.listings.storage import storage
from crm.models import Listing, ListingImage
from crm.web.listings import bp
from crm.web.listings.detail_page import detail_context, panel
from crm.web.listings.forms import CaptionForm, PhotoUploadForm
from crm.web.security import larger_body

PUBLIC_CACHE_SECONDS = 24 * 3600


def _editable(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id) or abort(404)
    if not access.can_edit_listing(current_user, listing):
        abort(403)
    return listing


def _image(listing_id: int, image_id: int) -> ListingImage:
    listing = _editable(listing_id)
    image = db.session.get(ListingImage, image_id)
    if image is None or image.listing_id != listing.id:
        abort(404)
    return image


def _back(listing_id: int):
    return redirect(url_for("listings.detail", listing_id=listing_id, _anchor="photos"))


@bp.route("/agent/listings/<int:listing_id>/photos", methods=["POST"])
@larger_body("CRM_IMAGE_UPLOAD_MAX_BYTES")
@login_required
def photo_upload(listing_id: int):
    listing = _editable(listing_id)
    form = PhotoUploadForm()
    if form.validate_on_submit():
        files = [f for f in (form.photos.data or []) if getattr(f, "filename", "")]
        most = current_app.config["CRM_IMAGE_MAX_PER_UPLOAD"]
        if len(files) > most:
            errors = [_("Please send at most %(n)s photos at a time.", n=most)]
        else:
            added, errors = images.add(listing, [(f.filename, f.stream) for f in files],
                                       current_user)
            images.enqueue_processing(added)  # images.add has committed them
            if added:
                flash(_("%(n)s photo(s) added; they appear in a few seconds.", n=len(added)),
                      "success")
        if not errors:
            return _back(listing.id)
        form.photos.errors = errors
    return render_template("listings/detail.html", **detail_context(listing),
                           **panel(listing, form)), 422


@bp.route("/agent/listings/<int:listing_id>/photos", methods=["GET"])
@login_required
def photo_panel(listing_id: int):
    """The photo section alone: the page polls it while uploads are being processed."""
    listing = db.session.get(Listing, listing_id) or abort(404)
    return render_template("listings/_photos_manage.html", listing=listing, **panel(listing))


@bp.route("/agent/listings/<int:listing_id>/photos/<int:image_id>/move", methods=["POST"])
@login_required
def photo_move(listing_id: int, image_id: int):
    image = _image(listing_id, image_id)
    step = {"up": -1, "down": 1}.get(request.form.get("step", ""))
    if step is None:
        abort(400)
    images.move(image, step)
    return _back(listing_id)


@bp.route("/agent/listings/<int:listing_id>/photos/<int:image_id>/cover", methods=["POST"])
@login_required
def photo_cover(listing_id: int, image_id: int):
    image = _image(listing_id, image_id)
    images.set_cover(image)
    flash(_("Cover photo set."), "success")
    return _back(listing_id)


@bp.route("/agent/listings/<int:listing_id>/photos/<int:image_id>/caption", methods=["POST"])
@login_required
def photo_caption(listing_id: int, image_id: int):
    image = _image(listing_id, image_id)
    form = CaptionForm(prefix=f"c{image.id}")
    if not form.validate_on_submit():
        listing = db.session.get_one(Listing, listing_id)  # _image() found its photo
        context = panel(listing)
        context["caption_forms"][image.id] = form
        return render_template("listings/detail.html", **detail_context(listing),
                               **context), 422
    images.set_caption(image, form.caption.data or "")
    flash(_("Caption saved."), "success")
    return _back(listing_id)


@bp.route("/agent/listings/<int:listing_id>/photos/<int:image_id>/delete", methods=["POST"])
@login_required
def photo_delete(listing_id: int, image_id: int):
    image = _image(listing_id, image_id)
    images.remove(image)
    flash(_("Photo deleted."), "success")
    return _back(listing_id)


@bp.route("/media/listings/<int:image_id>/<name>")
def media(image_id: int, name: str):
    """A processed copy. Public listing: anyone, cached for a year (the name carries the
    content hash). Other listings: logged-in staff only; 404 to everyone else, so a
    guessed address does not even tell that the photo exists."""
    found = images.file_of(image_id, name)
    if found is None:
        abort(404)
    image, key = found
    public = images.is_public(image)
    if not public and not access.has_role(current_user, access.Role.AGENT):
        abort(404)
    prefix = current_app.config.get("CRM_MEDIA_ACCEL_PREFIX")
    if prefix:  # nginx sends the file from the shared folder (docs/deploy.md)
        response = current_app.response_class(status=200, mimetype="image/jpeg")
        response.headers["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + key
    else:
        try:
            response = send_file(storage().open(key), mimetype="image/jpeg", etag=name,
                                 conditional=True,
                                 max_age=PUBLIC_CACHE_SECONDS if public else 3600)
        except FileNotFoundError:
            abort(404)
    if public:
        # A day, not a year: the name never changes (content hash), but the listing may be let
        # or sold, and then its photos must leave shared caches soon (they answer 404 here).
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_CACHE_SECONDS
    else:
        response.cache_control.public = False
        response.cache_control.private = True
        response.cache_control.max_age = 3600
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
