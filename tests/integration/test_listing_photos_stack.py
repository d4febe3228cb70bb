"""Listing photos on the real stack: PostgreSQL, Redis and a real Celery worker process that
shares the media folder, as a second machine would through a shared mount."""
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from PIL import ExifTags, Image

from crm.extensions import db
from crm.jobs import enqueue
from crm.listings import images
from crm.models import Listing, ListingImage
from crm.models.types import utcnow
from tests.factories import UserFactory
from tests.support.stack import Worker, wait_until

pytestmark = pytest.mark.integration


def _phone_photo(colour) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                  ExifTags.GPS.GPSLatitude: (30.0, 59.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), colour).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _status(image_id: int) -> str:
    db.session.expire_all()
    return db.session.get(ListingImage, image_id).status


def test_a_worker_makes_the_copies_and_the_sweeper_catches_a_lost_task(pg_app, migrated,
                                                                        tmp_path):
    media = tmp_path / "media"
    pg_app.config["CRM_MEDIA_DIR"] = str(media)
    owner = UserFactory()
    listing = Listing(title="嘉兴高标仓库", property_type="warehouse", deal_type="rent",
                      area_sqm=Decimal("8000"), created_by_id=owner.id)
    db.session.add(listing)
    db.session.commit()
    worker = Worker({**migrated, "CRM_MEDIA_DIR": str(media)}, "photos")
    try:
        (image,), errors = images.add(listing, [("IMG_1.JPG", io.BytesIO(_phone_photo("red")))],
                                      owner)
        assert not errors and (media / image.raw_key).is_file()
        images.enqueue_processing([image])
        wait_until(lambda: _status(image.id) == "ready", timeout=60)
        ready = db.session.get(ListingImage, image.id)
        assert (ready.width, ready.height, ready.thumb_width, ready.thumb_height) == (
            1600, 1200, 400, 300)
        assert not list((media / "uploads").rglob("*.*"))
        for key in (ready.web_key, ready.thumb_key):
            assert not Image.open(media / key).getexif()
        # An upload whose task never reached the broker: beat's sweeper sends it again.
        (lost,), _ = images.add(listing, [("IMG_2.JPG", io.BytesIO(_phone_photo("blue")))],
                                owner)
        lost.created_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
        assert enqueue("workers.tasks.sweep_pending_images")
        wait_until(lambda: _status(lost.id) == "ready", timeout=60)
    finally:
        worker.stop()
