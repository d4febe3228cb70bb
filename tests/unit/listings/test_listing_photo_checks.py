"""Issue 27 (photos): what is not a photo of a property is refused at upload with a message:
a strip, an icon, a truncated file, more pixels than a worker decodes; the task decodes small."""
import io
import zlib

import pytest
from PIL import Image

from crm.listings import images
from tests.conftest import errors_in
from tests.unit.listings.test_listing_photos import _image_bytes, _images, _listing, _upload


@pytest.fixture
def owner(db, auth):
    from tests.factories import UserFactory
    user = UserFactory(email="owner@example.com")
    auth.login("owner@example.com")
    return user


def _strip_png(width: int, height: int) -> bytes:
    """A 1-bit PNG written by hand: 49,000,000 x 1 is 6 MB of zeros, a few KB compressed."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (len(body).to_bytes(4, "big") + kind + body
                + zlib.crc32(kind + body).to_bytes(4, "big"))
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    row = b"\0" + b"\0" * ((width + 7) // 8)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * height, 9)) + chunk(b"IEND", b""))


def test_a_strip_or_an_icon_is_refused_with_a_message(client, db, media, owner):
    listing = _listing(db, owner)
    strip = _strip_png(20_000_000, 1)
    assert len(strip) < 100_000
    cases = [("strip.png", strip),
             ("issue.png", _strip_png(49_000_000, 1)),  # the review's file: over the pixel cap
             ("banner.jpg", _image_bytes((2050, 500))),      # 4.1:1
             ("tall.png", _image_bytes((300, 1300), fmt="PNG")),
             ("icon.png", _image_bytes((199, 199), fmt="PNG"))]
    response = _upload(client, listing, *cases, lang="en")
    assert response.status_code == 422
    assert errors_in(response.get_data(as_text=True)) == [
        "“strip.png” is too small: each side needs at least 200 pixels.",
        "“issue.png” has too many pixels (at most 24 million).",
        "“banner.jpg” is too long and narrow for a photo: its longer side may be at most 4 "
        "times its shorter side.",
        "“tall.png” is too long and narrow for a photo: its longer side may be at most 4 "
        "times its shorter side.",
        "“icon.png” is too small: each side needs at least 200 pixels."]
    assert _images(db, listing) == []
    # At the limits: 200 px and exactly 4:1 are photos (a panorama, a floor plan).
    ok = _upload(client, listing, ("panorama.jpg", _image_bytes((800, 200))),
                 ("plan.png", _image_bytes((200, 800), fmt="PNG")))
    assert ok.status_code == 302
    assert [(i.status, i.width, i.height) for i in _images(db, listing)] == [
        ("ready", 800, 200), ("ready", 200, 800)]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])  # libwebp refuses a cut file on open
def test_a_truncated_file_is_refused_at_upload_not_failed_later(client, db, media, owner, fmt):
    import random
    listing = _listing(db, owner)
    rng = random.Random(7)
    noisy = Image.frombytes("RGB", (640, 480), rng.randbytes(640 * 480 * 3))
    out = io.BytesIO()
    noisy.save(out, fmt)
    whole = out.getvalue()
    cut = whole[: len(whole) * 2 // 3]
    Image.open(io.BytesIO(cut))  # its header still opens: the old check passed it
    response = _upload(client, listing, ("cut.img", cut), lang="en")
    assert errors_in(response.get_data(as_text=True)) == [
        "“cut.img” is damaged or incomplete (it cannot be read to the end): please send the "
        "file again."]
    assert _images(db, listing) == []
    assert _upload(client, listing, ("whole.img", whole)).status_code == 302
    assert [i.status for i in _images(db, listing)] == ["ready"]


def test_the_pixel_cap_fits_a_worker(app, client, db, media, owner):
    assert app.config["CRM_IMAGE_MAX_PIXELS"] == 24_000_000
    listing = _listing(db, owner)
    big = _image_bytes((6000, 4500), fmt="PNG")  # 27 MP: a 1 GB decode path before
    response = _upload(client, listing, ("big.png", big), lang="en")
    assert errors_in(response.get_data(as_text=True)) == [
        "“big.png” has too many pixels (at most 24 million)."]
    assert _images(db, listing) == []


def test_the_task_works_on_a_reduced_image(app, monkeypatch):
    """A large upload is decoded small (JPEG: DCT scaling; others: Image.reduce at once),
    so the copies made after it hold a fraction of its pixels."""
    seen = []
    real = images._flatten
    monkeypatch.setattr(images, "_flatten", lambda image: seen.append(image.size) or real(image))
    with app.app_context():
        for fmt in ("PNG", "JPEG"):
            rendered = images.render(_image_bytes((6400, 3600), fmt=fmt))
            assert rendered.web_size == (1600, 900) and rendered.thumb_size == (400, 300)
    png, jpeg = seen
    assert png == (1600, 900)      # reduced by 1/4 before any copy
    assert jpeg == (1600, 900)     # decoded at 1/2 scale, then reduced by 1/2
    # Orientation survives the reduction (read from the EXIF the reduced copy keeps).
    from PIL import ExifTags
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    out = io.BytesIO()
    Image.new("RGB", (6400, 3600), "red").save(out, "PNG", exif=exif.tobytes())
    with app.app_context():
        assert images.render(out.getvalue()).web_size == (900, 1600)
