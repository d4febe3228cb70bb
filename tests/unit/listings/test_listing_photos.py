"""Issue 18 (photos): listing photos checked by content, stripped of EXIF/GPS, made into web
copies and thumbnails by the task, served by whether the listing is public, managed by who
may edit the listing."""
import io
import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from crm.listings import images
from crm.models import Listing, ListingImage
from crm.models.types import utcnow
from tests.conftest import errors_in
from tests.factories import UserFactory

RED, BLUE = (220, 20, 20), (20, 40, 220)


@pytest.fixture
def people(db):
    return {"owner": UserFactory(email="owner@example.com"),
            "other": UserFactory(email="other@example.com"),
            "manager": UserFactory(email="manager@example.com", role="manager")}


def _listing(db, owner, **kwargs):
    values = dict(title="长兴独栋厂房", property_type="factory", deal_type="rent",
                  region_code="330522", area_sqm=Decimal("3000"), status="available",
                  created_by_id=owner.id)
    listing = Listing(**{**values, **kwargs})
    db.session.add(listing)
    db.session.commit()
    return listing


def _image_bytes(size=(800, 600), colour=RED, fmt="JPEG", **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, **save)
    return out.getvalue()


def _noise(size, fmt="PNG") -> bytes:
    rng = random.Random(5)
    out = io.BytesIO()
    Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3)).save(out, fmt)
    return out.getvalue()


def _with_gps(size=(300, 200), orientation=1) -> bytes:
    """A phone's photo: GPS position, camera model, orientation, XMP; left red, right blue."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "iPhone 15"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                  ExifTags.GPS.GPSLatitude: (30.0, 59.0, 0.0),
                                  ExifTags.GPS.GPSLongitudeRef: "E",
                                  ExifTags.GPS.GPSLongitude: (119.0, 54.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(),
               xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret place</x:xmpmeta>')
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # it has GPS
    return data


def _upload(client, listing, *files, lang="zh_CN"):
    return client.post(f"/agent/listings/{listing.id}/photos?lang={lang}",
                       data={"photos": [(io.BytesIO(data), name) for name, data in files]},
                       content_type="multipart/form-data")


def _stored(media: Path, key: str) -> bytes:
    return (media / key).read_bytes()


def _images(db, listing) -> list[ListingImage]:
    db.session.expire_all()
    return images.of_listing(listing)


def test_uploads_are_processed_without_metadata_and_upright(client, auth, db, media, people):
    listing = _listing(db, people["owner"])
    auth.login("owner@example.com")
    response = _upload(client, listing, ("IMG_0001.JPG", _with_gps(orientation=6)),
                       ("big.png", _image_bytes((3200, 2400), BLUE, "PNG")))
    assert response.status_code == 302
    first, second = _images(db, listing)
    assert first.status == second.status == "ready"  # the task ran in-process
    assert first.is_cover and not second.is_cover
    assert (first.content_type, second.content_type) == ("image/jpeg", "image/png")
    assert first.raw_key is None and second.raw_key is None  # the uploads are gone
    assert not [path for path in (media / "uploads").rglob("*") if path.is_file()]
    for image in (first, second):
        for key in (image.web_key, image.thumb_key):
            data = _stored(media, key)
            stored = Image.open(io.BytesIO(data))
            assert stored.format == "JPEG"
            assert not stored.getexif() and "exif" not in stored.info and "xmp" not in stored.info
            assert b"Exif\x00\x00" not in data and b"xmpmeta" not in data
            assert b"iPhone" not in data and b"secret place" not in data
    # Orientation 6 (turn 90° clockwise): the 300×200 photo stands 200×300, red on top.
    web = Image.open(io.BytesIO(_stored(media, first.web_key))).convert("RGB")
    assert web.size == (200, 300) == (first.width, first.height)
    assert _near(web.getpixel((100, 20)), RED) and _near(web.getpixel((100, 280)), BLUE)
    # The web copy at most 1600 px, the thumbnail 400×300.
    big_web = Image.open(io.BytesIO(_stored(media, second.web_key)))
    assert big_web.size == (1600, 1200) == (second.width, second.height)
    assert Image.open(io.BytesIO(_stored(media, second.thumb_key))).size == (400, 300)
    assert (second.thumb_width, second.thumb_height) == (400, 300)


def _near(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def test_heic_from_an_iphone_is_accepted(client, auth, db, media, people):
    listing = _listing(db, people["owner"])
    auth.login("owner@example.com")
    heic = io.BytesIO()
    Image.new("RGB", (640, 480), RED).save(heic, format="HEIF")
    assert _upload(client, listing, ("IMG_0002.HEIC", heic.getvalue())).status_code == 302
    (image,) = _images(db, listing)
    assert (image.content_type, image.status, image.width) == ("image/heic", "ready", 640)


def test_content_decides_not_the_name(client, auth, db, media, people):
    listing = _listing(db, people["owner"])
    auth.login("owner@example.com")
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
    refused = _upload(client, listing, ("厂房照片.jpg", pdf), ("notes.png", b"just text"),
                      lang="en")
    assert refused.status_code == 422
    assert errors_in(refused.get_data(as_text=True)) == [
        "“厂房照片.jpg” is not a photo: please choose a JPEG, PNG, WebP or HEIC image.",
        "“notes.png” is not a photo: please choose a JPEG, PNG, WebP or HEIC image."]
    chinese = _upload(client, listing, ("厂房照片.jpg", pdf))
    assert errors_in(chinese.get_data(as_text=True)) == [
        "“厂房照片.jpg”不是照片：请选择 JPEG、PNG、WebP 或 HEIC 图片。"]
    # A GIF is a real image, but not one of the accepted kinds.
    gif = _upload(client, listing, ("a.gif", _image_bytes(fmt="GIF")), lang="en")
    assert "is not a photo" in errors_in(gif.get_data(as_text=True))[0]
    # A good photo next to a bad one is kept; the bad one is named.
    mixed = _upload(client, listing, ("ok.jpg", _image_bytes()), ("bad.jpg", pdf), lang="en")
    assert mixed.status_code == 422 and "“bad.jpg”" in errors_in(mixed.get_data(as_text=True))[0]
    assert [image.content_type for image in _images(db, listing)] == ["image/jpeg"]
    assert errors_in(_upload(client, listing, lang="en").get_data(as_text=True)) == [
        "Please choose one or more photos."]


def test_oversized_and_bombs_are_refused(client, auth, app, db, media, people):
    listing = _listing(db, people["owner"])
    auth.login("owner@example.com")
    app.config["CRM_IMAGE_MAX_BYTES"] = 1024 * 1024
    heavy = _noise((700, 700))
    assert len(heavy) > 1024 * 1024
    response = _upload(client, listing, ("heavy.png", heavy), lang="en")
    assert errors_in(response.get_data(as_text=True)) == ["“heavy.png” is larger than 1 MB."]
    app.config["CRM_IMAGE_MAX_PIXELS"] = 1_000_000
    # Over the limit (Pillow only warns up to twice it) and far over (Pillow's own error).
    for name, size in (("warn.png", (1200, 1000)), ("bomb.png", (4000, 4000))):
        data = _image_bytes(size, fmt="PNG")
        assert len(data) < 100_000  # small on the wire, huge once decoded
        response = _upload(client, listing, (name, data), lang="en")
        assert errors_in(response.get_data(as_text=True)) == [
            f"“{name}” has too many pixels (at most 1 million)."], name
    assert _images(db, listing) == []
    # A body larger than an upload may be: a friendly 413 page, not a 500.
    app.config["CRM_IMAGE_UPLOAD_MAX_BYTES"] = 200_000
    too_large = _upload(client, listing, ("heavy.png", heavy), lang="en")
    assert too_large.status_code == 413
    assert "Photos may weigh at most 1 MB each" in too_large.get_data(as_text=True)


def test_the_same_photo_twice_is_refused(client, auth, db, media, people):
    listing = _listing(db, people["owner"])
    auth.login("owner@example.com")
    photo = _image_bytes()
    assert _upload(client, listing, ("a.jpg", photo)).status_code == 302
    again = _upload(client, listing, ("copy.jpg", photo), ("copy2.jpg", photo), lang="en")
    assert errors_in(again.get_data(as_text=True)) == [
        "“copy.jpg” is already on this listing.", "“copy2.jpg” is already on this listing."]
    assert len(_images(db, listing)) == 1
    other = _listing(db, people["owner"], title="另一个厂房")  # another listing may have it
    assert _upload(client, other, ("a.jpg", photo)).status_code == 302


def test_serving_follows_whether_the_listing_is_public(client, auth, db, media, people):
    listing = _listing(db, people["owner"])
    auth.login("owner@example.com")
    _upload(client, listing, ("a.jpg", _image_bytes()))
    auth.logout()
    (image,) = _images(db, listing)
    web_url = f"/media/listings/{image.id}/{image.web_key.rsplit('/', 1)[-1]}"
    thumb_url = f"/media/listings/{image.id}/{image.thumb_key.rsplit('/', 1)[-1]}"
    public = client.get(web_url)
    assert public.status_code == 200 and public.mimetype == "image/jpeg"
    assert public.data == _stored(media, image.web_key)
    assert {"public", "max-age=86400"} == {
        part.strip() for part in public.headers["Cache-Control"].split(",")}
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/media/listings/{image.id}/other.jpg").status_code == 404
    # Let: the listing leaves the public pages, and so do its photos (for anyone but staff).
    listing.status = "let_or_sold"
    db.session.commit()
    assert client.get(web_url).status_code == 404
    assert client.get(thumb_url).status_code == 404
    assert client.get(f"/listings/{listing.id}").status_code == 404
    auth.login("other@example.com")  # any staff member may look
    staff = client.get(web_url)
    assert staff.status_code == 200
    assert {p.strip() for p in staff.headers["Cache-Control"].split(",")} == {"private", "no-store"}


def test_the_upload_itself_is_never_served(client, auth, db, media, people):
    listing = _listing(db, people["owner"])
    added, errors = images.add(listing, [("a.jpg", io.BytesIO(_with_gps()))], people["owner"])
    assert not errors
    (image,) = added
    assert (media / image.raw_key).is_file()  # kept privately until processed
    auth.login("owner@example.com")
    assert client.get(f"/media/listings/{image.id}/{image.raw_key.rsplit('/', 1)[-1]}"
                      ).status_code == 404
    # Pending: the staff page shows a placeholder, the public page one too, and no og:image
    # of it yet.
    page = client.get(f"/agent/listings/{listing.id}").get_data(as_text=True)
    assert "正在处理" in page and 'hx-trigger="every 2s"' in page
    public = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "照片处理中" in public and "/media/listings/" not in public


def test_only_who_may_edit_the_listing_manages_its_photos(client, auth, db, media, people):
    listing = _listing(db, people["owner"])
    auth.login("owner@example.com")
    _upload(client, listing, ("a.jpg", _image_bytes(colour=RED)),
            ("b.jpg", _image_bytes(colour=BLUE)))
    auth.logout()
    first, second = _images(db, listing)
    auth.login("other@example.com")  # an agent who did not enter this listing
    base = f"/agent/listings/{listing.id}/photos"
    assert _upload(client, listing, ("c.jpg", _image_bytes(colour=(0, 200, 0)))).status_code == 403
    for action, data in (("move", {"step": "down"}), ("cover", {}),
                         ("caption", {f"c{first.id}-caption": "x"}), ("delete", {})):
        assert client.post(f"{base}/{first.id}/{action}", data=data).status_code == 403, action
    assert client.get(f"/agent/listings/{listing.id}/edit").status_code == 403
    page = client.get(f"/agent/listings/{listing.id}").get_data(as_text=True)
    assert page.count('class="photo-item"') == 2 and 'name="photos"' not in page
    assert [image.id for image in _images(db, listing)] == [first.id, second.id]
    auth.logout()
    auth.login("manager@example.com")  # managers edit every listing
    assert client.post(f"{base}/{second.id}/cover").status_code == 302
    assert [image.id for image in _images(db, listing)] == [second.id, first.id]


def test_reorder_cover_caption_and_delete(client, auth, db, media, people):
    listing = _listing(db, people["owner"])
    auth.login("owner@example.com")
    colours = [RED, BLUE, (20, 160, 40), (240, 200, 0)]
    _upload(client, listing, *[(f"{n}.jpg", _image_bytes(colour=c)) for n, c in enumerate(colours)])
    a, b, c, d = _images(db, listing)
    assert a.is_cover
    base = f"/agent/listings/{listing.id}/photos"
    client.post(f"{base}/{d.id}/move", data={"step": "up"})
    assert [i.id for i in _images(db, listing)] == [a.id, b.id, d.id, c.id]
    client.post(f"{base}/{b.id}/move", data={"step": "up"})  # the cover stays first
    assert [i.id for i in _images(db, listing)] == [a.id, b.id, d.id, c.id]
    assert client.post(f"{base}/{b.id}/move", data={"step": "sideways"}).status_code == 400
    client.post(f"{base}/{c.id}/cover")
    assert [i.id for i in _images(db, listing)] == [c.id, a.id, b.id, d.id]
    assert [i.is_cover for i in _images(db, listing)] == [True, False, False, False]
    client.post(f"{base}/{a.id}/caption", data={f"c{a.id}-caption": "  一楼  车间 "})
    assert _images(db, listing)[1].caption == "一楼 车间"
    too_long = client.post(f"{base}/{a.id}/caption?lang=en", data={f"c{a.id}-caption": "字" * 201})
    assert too_long.status_code == 422 and errors_in(too_long.get_data(as_text=True))
    # Deleting the cover: its files go, the next photo becomes the cover.
    cover_files = [media / c.web_key, media / c.thumb_key]
    assert all(path.is_file() for path in cover_files)
    client.post(f"{base}/{c.id}/delete")
    assert not any(path.exists() for path in cover_files)
    rest = _images(db, listing)
    assert [i.id for i in rest] == [a.id, b.id, d.id] and rest[0].is_cover
    assert [i.position for i in rest] == [0, 1, 2]
    # A photo of another listing is not reachable through this one.
    other = _listing(db, people["owner"], title="另一个")
    assert client.post(f"/agent/listings/{other.id}/photos/{a.id}/delete").status_code == 404


def test_public_pages_show_the_gallery_cover_first(client, auth, db, media, people):
    listing = _listing(db, people["owner"])
    auth.login("owner@example.com")
    _upload(client, listing, ("a.jpg", _image_bytes(colour=RED)),
            ("b.jpg", _image_bytes((600, 800), colour=BLUE)))
    a, b = _images(db, listing)
    client.post(f"/agent/listings/{listing.id}/photos/{b.id}/cover")
    client.post(f"/agent/listings/{listing.id}/photos/{b.id}/caption",
                data={f"c{b.id}-caption": "厂房外景"})
    auth.logout()
    db.session.expire_all()
    b = db.session.get(ListingImage, b.id)
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    b_url = f"/media/listings/{b.id}/{b.web_key.rsplit('/', 1)[-1]}"
    a_url = f"/media/listings/{a.id}/{a.web_key.rsplit('/', 1)[-1]}"
    assert f'<meta property="og:image" content="http://localhost{b_url}">' in page
    assert page.index(b_url) < page.index(a_url) and "厂房外景" in page
    assert 'width="600" height="800"' in page and 'loading="lazy"' in page
    for url in ("/listings/", "/listings/?property_type=factory"):
        listed = client.get(url).get_data(as_text=True)
        assert f"/media/listings/{b.id}/{b.thumb_key.rsplit('/', 1)[-1]}" in listed
        assert a.thumb_key.rsplit("/", 1)[-1] not in listed
    auth.login("other@example.com")  # the staff list shows the cover's thumbnail too
    staff_list = client.get("/agent/listings").get_data(as_text=True)
    assert f"/media/listings/{b.id}/{b.thumb_key.rsplit('/', 1)[-1]}" in staff_list


def test_the_task_is_idempotent_and_the_sweeper_catches_lost_ones(app, db, media, people):
    from workers import tasks
    listing = _listing(db, people["owner"])
    added, _ = images.add(listing, [("a.jpg", io.BytesIO(_image_bytes())),
                                    ("b.jpg", io.BytesIO(_image_bytes(colour=BLUE)))],
                          people["owner"])
    old, recent = added
    old.created_at = utcnow() - timedelta(minutes=10)  # its task was lost long ago
    db.session.commit()
    assert tasks.sweep_pending_images() == 1
    db.session.expire_all()
    assert db.session.get(ListingImage, old.id).status == "ready"
    assert db.session.get(ListingImage, recent.id).status == "pending"  # its task may yet come
    ready = db.session.get(ListingImage, old.id)
    keys = (ready.web_key, ready.thumb_key)
    assert images.process(old.id) == "ready"  # a second run changes nothing
    db.session.expire_all()
    assert (db.session.get(ListingImage, old.id).web_key,
            db.session.get(ListingImage, old.id).thumb_key) == keys
    # A file Pillow cannot decode after all is failed (not retried for ever), its upload gone.
    raw = media / recent.raw_key
    raw.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    assert images.process(recent.id) == "failed"
    assert not raw.exists()


def test_deleting_a_listing_deletes_its_files(client, auth, db, media, people):
    listing = _listing(db, people["owner"])
    auth.login("manager@example.com")
    _upload(client, listing, ("a.jpg", _image_bytes()))
    (image,) = _images(db, listing)
    files = [media / image.web_key, media / image.thumb_key]
    assert all(path.is_file() for path in files)
    assert client.post(f"/agent/listings/{listing.id}/delete").status_code == 302
    assert not any(path.exists() for path in files)
    assert db.session.scalars(select(ListingImage)).all() == []


def test_demo_listings_get_photos(app, db, media):
    from crm.demo import photos, seed
    seed.ensure_demo_users()
    seed._seed_listings()
    listings = db.session.scalars(select(Listing)).all()
    rows = db.session.scalars(select(ListingImage)).all()
    assert {row.listing_id for row in rows} == {listing.id for listing in listings}
    assert all(row.status == "ready" for row in rows)
    assert photos.seed_photos(db.session.scalars(select(Listing)).first().created_by) == 0


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_an_animated_image_keeps_its_first_frame(client, auth, db, media, people, fmt):
    listing = _listing(db, people["owner"])
    auth.login("owner@example.com")
    out = io.BytesIO()
    first, second = Image.new("RGB", (320, 240), RED), Image.new("RGB", (320, 240), BLUE)
    first.save(out, fmt, save_all=True, append_images=[second], duration=200, loop=0)
    assert Image.open(io.BytesIO(out.getvalue())).n_frames == 2
    assert _upload(client, listing, (f"moving.{fmt.lower()}", out.getvalue())).status_code == 302
    (image,) = _images(db, listing)
    web = Image.open(media / image.web_key)
    assert getattr(web, "n_frames", 1) == 1 and _near(web.convert("RGB").getpixel((160, 120)), RED)
