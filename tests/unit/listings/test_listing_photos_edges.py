"""Listing photos: what a review of the first version found (each failed before its fix)."""
import io

from PIL import Image
from sqlalchemy import select, update

from crm.listings import images
from crm.models import Listing, ListingImage
from tests.factories import UserFactory


def test_a_phone_jpeg_with_a_gain_map_mpo_is_accepted(app):
    main, gain = Image.new("RGB", (640, 480), "red"), Image.new("RGB", (320, 240), "gray")
    out = io.BytesIO()
    main.save(out, "MPO", save_all=True, append_images=[gain])   # Ultra HDR / iPhone HDR JPEG
    assert images.inspect(out.getvalue()) == "image/jpeg"


def test_a_late_duplicate_task_does_not_turn_a_ready_photo_into_failed(app, db):
    owner = UserFactory()
    listing = Listing(title="厂房", property_type="factory", deal_type="rent",
                      region_code="330522", status="available", created_by_id=owner.id,
                      area_sqm=3000)
    db.session.add(listing)
    db.session.commit()
    out = io.BytesIO()
    Image.new("RGB", (400, 300), "red").save(out, "JPEG")
    out.seek(0)
    (image,) = images.add(listing, [("a.jpg", out)], owner)[0]
    image_id, raw_key = image.id, image.raw_key
    # Worker B (the sweeper's duplicate) has read the row while it was still pending ...
    assert db.session.get(ListingImage, image_id).status == "pending"
    # ... worker A finishes meanwhile on its own connection and deletes the upload.
    with db.engine.begin() as conn:
        conn.execute(update(ListingImage).where(ListingImage.id == image_id).values(
            status="ready", raw_key=None, web_key=f"listings/{listing.id}/{image_id}-a.jpg",
            thumb_key=f"listings/{listing.id}/{image_id}-a-t.jpg"))
    images.storage().delete(raw_key)
    images.process(image_id)   # B: "the upload is missing" -> _fail, with no status guard
    with db.engine.connect() as conn:
        status = conn.execute(select(ListingImage.status).where(
            ListingImage.id == image_id)).scalar_one()
    assert status == "ready"


def test_an_anonymous_post_to_the_photo_upload_keeps_the_form_limit(app, client, db):
    app.config["WTF_CSRF_ENABLED"] = True   # as in production: CSRFProtect reads the body first
    body = b"x" * (1024 * 1024)   # 1 MiB > MAX_CONTENT_LENGTH (256 KiB)
    response = client.post("/agent/listings/1/photos",
                           data={"photos": (io.BytesIO(body), "a.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
