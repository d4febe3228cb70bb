"""Photos and floor plans of listings: checked by their content, kept privately until a task
has made clean copies, served by whether the listing is public.

- An upload is judged by what Pillow reads in it, never by its name or claimed type: JPEG,
  PNG, WebP and HEIC/HEIF (iPhones, through pillow-heif). It may weigh CRM_IMAGE_MAX_BYTES
  and hold CRM_IMAGE_MAX_PIXELS pixels; more (a decompression bomb) is refused, Pillow's
  DecompressionBombWarning included. It is decoded whole at upload, so a truncated file is
  refused then, not reported added and failed later. A photo's shorter side is at least
  MIN_SIDE px and its sides at most MAX_ASPECT to 1 (a 49,000,000x1 "photo" is a bomb, a
  strip or a banner, not a picture of a building; a phone panorama is about 4:1). The
  same photo twice on one listing is refused (sha256).
- The upload is stored under "uploads/" (never served) and `process()` (the Celery task
  workers.tasks.process_listing_image, enqueued after the commit) decodes it small (a JPEG
  at a reduced DCT scale, anything else reduced right after decoding, so the copies below
  are small: bench/photo_memory.py), turns it upright
  (EXIF orientation), into sRGB, and writes a web copy (at most WEB_MAX px), a middle copy
  (at most MID_MAX px, for phones: `srcset`) and a 4:3 thumbnail as JPEG built from the
  pixels alone: no EXIF, GPS, XMP or comment survives. Photos processed before the middle
  copy existed show the other two until `flask crm photo-middles` has made theirs.
  Then the upload is deleted. An animated image (WebP, APNG) is taken by its first frame.
- Anyone may load the copies of a listing the public pages show (`inventory.is_offered`);
  the rest only staff. Keys carry the content hash, so the files are cached for a year.
"""
import hashlib
import io
import logging
import uuid
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from crm.extensions import db, rows_changed
from crm.formatting import megabytes
from crm.listings import inventory
from crm.listings.storage import delete_quietly, storage
from crm.models import Listing, ListingImage, User
from crm.models.types import utcnow

try:  # HEIC from iPhones; without the package such an upload is refused as unreadable
    from pillow_heif import register_heif_opener
    register_heif_opener()
except ImportError:  # pragma: no cover
    pass

log = logging.getLogger(__name__)

# Pillow names what it read; MPO is a JPEG with more images after the first (Android Ultra
# HDR / JPEG_R and HDR gain maps from many phones): a JPEG, of which the first frame is shown.
CONTENT_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png",
                 "WEBP": "image/webp", "HEIF": "image/heic"}
DECODERS = ["JPEG", "PNG", "WEBP", "HEIF"]  # Pillow's JPEG decoder also opens MPO
WEB_MAX = 1600  # px, the longer side of the copy shown on the listing page
# px, the longer side of the copy a phone picks from srcset: a cover or gallery photo is shown
# 316-360 CSS px wide at 3x (~950-1,080 px); the web copy would weigh twice as much
# (bench/README.md, "a middle photo size").
MID_MAX = 1080
# Shown at ~3 device px per CSS px, where JPEG's artefacts are too small to see: 70
# instead of 82 saves a quarter of the bytes and ~50 ms of a phone's largest paint.
MID_QUALITY = 70
THUMB_SIZE = (400, 300)  # px, the cover in lists (cropped to 4:3)
QUALITY = 82
CAPTION_MAX = 200
MIN_SIDE = 200  # px: smaller is an icon, not a photo of a property
MAX_ASPECT = 4  # longer side / shorter side

REFUSALS = {
    "not_image": _l("“%(name)s” is not a photo: please choose a JPEG, PNG, WebP or HEIC image."),
    "too_big": _l("“%(name)s” is larger than %(mb)s MB."),
    "too_many_pixels": _l("“%(name)s” has too many pixels (at most %(mp)s million)."),
    "too_small": _l("“%(name)s” is too small: each side needs at least %(side)s pixels."),
    "too_narrow": _l("“%(name)s” is too long and narrow for a photo: its longer side may be at "
                     "most %(ratio)s times its shorter side."),
    "truncated": _l("“%(name)s” is damaged or incomplete (it cannot be read to the end): "
                    "please send the file again."),
    "duplicate": _l("“%(name)s” is already on this listing."),
    "too_many": _l("A listing holds at most %(n)s photos; “%(name)s” was not added."),
    "empty": _l("Please choose one or more photos."),
}


class Refused(ValueError):
    def __init__(self, reason: str, name: str = "") -> None:
        super().__init__(reason)
        self.reason, self.name = reason, name

    def message(self) -> str:
        config = current_app.config
        return str(REFUSALS[self.reason] % {
            "name": self.name, "mb": megabytes(config["CRM_IMAGE_MAX_BYTES"]),
            "mp": f"{config['CRM_IMAGE_MAX_PIXELS'] / 1_000_000:.3g}",
            "n": config["CRM_IMAGE_MAX_PER_LISTING"], "side": MIN_SIDE, "ratio": MAX_ASPECT})


# --- reading an image safely ---------------------------------------------------------------

def _open(data: bytes) -> Image.Image:
    """Open with the pixel limit; a DecompressionBombWarning is an error here, not a log line."""
    max_pixels = current_app.config["CRM_IMAGE_MAX_PIXELS"]
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow warns above it, refuses above twice it
    try:
        # catch_warnings is process-wide, not per thread: the explicit count below holds
        # the limit even when another thread's exit restored the filters at the wrong time.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only these decoders are ever tried on an upload.
            image = Image.open(io.BytesIO(data), formats=DECODERS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Refused("not_image") from None
    if image.format not in CONTENT_TYPES:
        raise Refused("not_image")
    if image.width * image.height > max_pixels:
        raise Refused("too_many_pixels")
    # Checked on the header, before any pixel is decoded.
    short, long = sorted(image.size)
    if short < MIN_SIDE:
        raise Refused("too_small")
    if long > MAX_ASPECT * short:
        raise Refused("too_narrow")
    return image


def _decoded(data: bytes) -> tuple[Image.Image, str]:
    """The upload's first frame, decoded whole: a truncated or corrupt file fails here.
    A JPEG is decoded at the smallest DCT scale that still makes the web copy, so checking
    costs little memory; the rest is reduced at once (the pixel cap bounds the decode)."""
    image = _open(data)
    try:
        image.seek(0)  # an animated image: its first frame
        if image.format in ("JPEG", "MPO"):
            image.draft("RGB", (WEB_MAX, WEB_MAX))
        image.load()
    except Exception:  # whatever a broken file raises, it is not a photo
        raise Refused("truncated") from None
    return _reduced(image), image.format or ""  # _open() let only known formats through


def _reduced(image: Image.Image) -> Image.Image:
    """Shrunk by a whole factor (a box average) while the longer side stays at least
    WEB_MAX, so none of the copies made after this holds the full size."""
    factor = max(image.size) // WEB_MAX
    if factor < 2:
        return image
    if image.mode not in ("L", "LA", "RGB", "RGBA", "I", "F", "CMYK", "YCbCr"):
        image = _flatten(image)  # palette and 1-bit images cannot be reduced as they are
    return image.reduce(factor)


def inspect(data: bytes) -> str:
    """The content type of an acceptable image; Refused otherwise."""
    if len(data) > current_app.config["CRM_IMAGE_MAX_BYTES"]:
        raise Refused("too_big")
    return CONTENT_TYPES[_decoded(data)[1]]


def _to_srgb(image: Image.Image) -> Image.Image:
    """Phones shoot in Display P3: convert to sRGB, as the ICC profile is dropped."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                         outputMode=image.mode) or image
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency (a PNG floor plan) on white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int = QUALITY) -> bytes:
    # Built again from the pixels alone: nothing of the upload's metadata can ride along.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


@dataclass(frozen=True)
class Rendered:
    web: bytes
    web_size: tuple[int, int]
    thumb: bytes
    thumb_size: tuple[int, int]
    mid: bytes | None  # None when the web copy is no larger than MID_MAX
    mid_size: tuple[int, int] | None


def _middle(web: Image.Image) -> Image.Image | None:
    """The middle copy, scaled from the web copy's pixels (not from its JPEG); None when
    the web copy is small enough to be it."""
    if max(web.size) <= MID_MAX:
        return None
    mid = web.copy()
    mid.thumbnail((MID_MAX, MID_MAX), Image.Resampling.LANCZOS)
    return mid


def render(data: bytes) -> Rendered:
    """The web copy, the middle copy and the thumbnail of an upload: upright, sRGB, first
    frame, no metadata."""
    upright = _decoded(data)[0]
    ImageOps.exif_transpose(upright, in_place=True)  # ours to change: no copy
    web = _flatten(_to_srgb(upright))
    thumb = ImageOps.fit(web, THUMB_SIZE, Image.Resampling.LANCZOS)
    web.thumbnail((WEB_MAX, WEB_MAX), Image.Resampling.LANCZOS)  # in place: after the thumb
    mid = _middle(web)
    return Rendered(_jpeg(web), web.size, _jpeg(thumb), thumb.size,
                    _jpeg(mid, MID_QUALITY) if mid else None, mid.size if mid else None)


# --- upload ----------------------------------------------------------------------------------

def _read_limited(stream: BinaryIO) -> bytes:
    limit = current_app.config["CRM_IMAGE_MAX_BYTES"]
    data = stream.read(limit + 1)
    return data


@dataclass
class _Slots:
    """What a listing holds already: the photos' hashes, the next position, whether it has
    a cover, and room for how many more."""
    seen: set[str]
    position: int
    has_cover: bool
    room: int

    @classmethod
    def of(cls, listing: Listing) -> "_Slots":
        existing = list(db.session.execute(
            select(ListingImage.sha256, ListingImage.position).where(
                ListingImage.listing_id == listing.id)))
        has_cover = db.session.scalar(select(ListingImage.id).where(
            ListingImage.listing_id == listing.id, ListingImage.is_cover.is_(True)).limit(1))
        return cls(seen={sha for sha, _ in existing},
                   position=max((pos for _, pos in existing), default=-1) + 1,
                   has_cover=bool(has_cover),
                   room=current_app.config["CRM_IMAGE_MAX_PER_LISTING"] - len(existing))


def _upload_name(name: str | None) -> str:
    """The file's own name, as the refusals quote it (no folders, at most 80 characters)."""
    return (name or "").rsplit("/", 1)[-1][:80] or "?"


def _check_upload(stream: BinaryIO, slots: _Slots, adding: int) -> tuple[bytes, str, str]:
    """(data, content type, sha256) of an upload the listing may take, `adding` photos being
    added before it; Refused otherwise."""
    if adding >= slots.room:
        raise Refused("too_many")
    data = _read_limited(stream)
    content_type = inspect(data)
    digest = hashlib.sha256(data).hexdigest()
    if digest in slots.seen:
        raise Refused("duplicate")
    return data, content_type, digest


def _keep(listing: Listing, data: bytes, content_type: str, digest: str, slots: _Slots,
          cover: bool, actor: User, saved: list[str]) -> ListingImage:
    """Store the checked upload (its key added to `saved`) and add its pending row."""
    slots.seen.add(digest)
    raw_key = f"uploads/{listing.id}/{uuid.uuid4().hex}"
    storage().save(raw_key, data)
    saved.append(raw_key)
    image = ListingImage(listing_id=listing.id, position=slots.position, raw_key=raw_key,
                         is_cover=cover, caption="", status="pending",
                         content_type=content_type, bytes=len(data), sha256=digest,
                         created_by_id=actor.id, created_at=utcnow())
    slots.position += 1
    db.session.add(image)
    return image


def add(listing: Listing, uploads: list[tuple[str, BinaryIO]], actor: User
        ) -> tuple[list[ListingImage], list[str]]:
    """Check and keep the uploads (name, stream); returns the images added and one message
    per refused file. The images are processed by a task after the commit."""
    if not uploads:
        return [], [Refused("empty").message()]
    slots = _Slots.of(listing)
    added: list[ListingImage] = []
    errors: list[str] = []
    saved: list[str] = []
    try:
        for name, stream in uploads:
            try:
                data, content_type, digest = _check_upload(stream, slots, len(added))
            except Refused as refused:
                refused.name = _upload_name(name)
                errors.append(refused.message())
                continue
            added.append(_keep(listing, data, content_type, digest, slots,
                               cover=not slots.has_cover and not added, actor=actor,
                               saved=saved))
        db.session.commit()
    except IntegrityError:
        # The same photo sent twice at once (a double tap): the first one is kept.
        db.session.rollback()
        delete_quietly(saved)
        return [], [Refused("duplicate", uploads[0][0]).message()]
    except BaseException:
        db.session.rollback()
        delete_quietly(saved)
        raise
    return added, errors


def enqueue_processing(images: list[ListingImage]) -> None:
    from crm.jobs import PROCESS_LISTING_IMAGE, enqueue
    for image in images:
        enqueue(PROCESS_LISTING_IMAGE, image.id)


# --- processing (the Celery task's body) -------------------------------------------------------

def process(image_id: int) -> str:
    """Make the copies of a pending upload; safe to run twice or at once on two workers (the
    copies' keys follow from their content, and only one run moves the row to ready)."""
    image = db.session.get(ListingImage, image_id)
    if image is None:
        return "gone"
    store = storage()
    if image.status != "pending":
        if image.raw_key:  # a run that died between its commit and the clean-up
            store.delete(image.raw_key)
            image.raw_key = None
            db.session.commit()
        return image.status
    if not image.raw_key or not store.exists(image.raw_key):
        return _fail(image, "the upload is missing")
    with store.open(image.raw_key) as raw:
        data = raw.read()  # a storage error propagates: the task is retried
    try:
        rendered = render(data)
    except Exception as exc:  # a file Pillow cannot decode is failed, not retried
        return _fail(image, repr(exc))
    stem = f"listings/{image.listing_id}/{image.id}"
    web_key = f"{stem}-{hashlib.sha256(rendered.web).hexdigest()[:20]}.jpg"
    thumb_key = f"{stem}-{hashlib.sha256(rendered.thumb).hexdigest()[:20]}-t.jpg"
    store.save(web_key, rendered.web)
    store.save(thumb_key, rendered.thumb)
    mid_key = _save_middle(stem, rendered.mid)
    raw_key = image.raw_key
    done = rows_changed(db.session.execute(
        update(ListingImage).where(ListingImage.id == image.id, ListingImage.status == "pending")
        .values(status="ready", web_key=web_key, thumb_key=thumb_key, raw_key=None,
                width=rendered.web_size[0], height=rendered.web_size[1],
                thumb_width=rendered.thumb_size[0], thumb_height=rendered.thumb_size[1],
                **_middle_values(mid_key, rendered.mid_size))
    ))
    db.session.commit()
    if not done and db.session.get(ListingImage, image_id) is None:
        # deleted while we worked: nobody points at them
        delete_quietly([key for key in (web_key, thumb_key, mid_key) if key])
    store.delete(raw_key)
    return "ready"


def _save_middle(stem: str, data: bytes | None) -> str | None:
    if data is None:
        return None
    key = f"{stem}-{hashlib.sha256(data).hexdigest()[:20]}-m.jpg"
    storage().save(key, data)
    return key


def _middle_values(key: str | None, size: tuple[int, int] | None) -> dict:
    width, height = size or (None, None)
    return {"mid_key": key, "mid_width": width, "mid_height": height}


def lacking_middle_ids(after: int = 0, limit: int = 500) -> list[int]:
    """Ready photos processed before the middle copy existed whose web copy is larger than
    it would be (the smaller ones need none), by id after `after`: for `flask crm
    photo-middles`."""
    return list(db.session.scalars(select(ListingImage.id).where(
        ListingImage.id > after, ListingImage.status == "ready", ListingImage.mid_key.is_(None),
        (ListingImage.width > MID_MAX) | (ListingImage.height > MID_MAX))
        .order_by(ListingImage.id).limit(limit)))


def add_middle(image_id: int) -> bool:
    """Make the middle copy of a ready photo from its web copy (the upload is gone); safe
    beside a delete or a second run: only a row still without one and with the same web
    copy takes it, otherwise the file just made is deleted."""
    image = db.session.get(ListingImage, image_id)
    if image is None or image.status != "ready" or image.mid_key or not image.web_key:
        return False
    web_key = image.web_key
    with storage().open(web_key) as stored:
        web = Image.open(io.BytesIO(stored.read()), formats=["JPEG"])
        web.load()
    mid = _middle(web.convert("RGB"))
    if mid is None:
        return False
    mid_key = _save_middle(f"listings/{image.listing_id}/{image.id}", _jpeg(mid, MID_QUALITY))
    done = rows_changed(db.session.execute(
        update(ListingImage).where(ListingImage.id == image_id, ListingImage.web_key == web_key,
                                   ListingImage.mid_key.is_(None))
        .values(**_middle_values(mid_key, mid.size)).execution_options(synchronize_session=False)
    ))
    db.session.commit()
    if not done and mid_key:
        delete_quietly([mid_key])
    return bool(done)


def _fail(image: ListingImage, why: str) -> str:
    """Guarded like the success path: a late duplicate run (the sweeper re-enqueues what is
    still pending) finds the upload gone because the first run finished, and must not turn
    that ready photo into a failed one."""
    raw_key, image_id = image.raw_key, image.id
    failed = rows_changed(db.session.execute(
        update(ListingImage).where(ListingImage.id == image_id, ListingImage.status == "pending")
        .values(status="failed", raw_key=None).execution_options(synchronize_session=False)
    ))
    db.session.commit()
    if not failed:
        return "done elsewhere"
    log.warning("listing image %s could not be processed: %s", image_id, why)
    if raw_key:
        storage().delete(raw_key)
    return "failed"


def stuck_ids(after_seconds: int) -> list[int]:
    """Uploads still pending after a while (their task was lost): for the sweeper."""
    return list(db.session.scalars(select(ListingImage.id).where(
        ListingImage.status == "pending",
        ListingImage.created_at < utcnow() - timedelta(seconds=after_seconds))
        .order_by(ListingImage.created_at).limit(500)))


# --- looking at them -------------------------------------------------------------------------

def _display_order():
    return (ListingImage.is_cover.desc(), ListingImage.position, ListingImage.id)


def of_listing(listing: Listing) -> list[ListingImage]:
    """Every image of a listing, the cover first, then in the order staff chose."""
    return list(db.session.scalars(select(ListingImage).where(
        ListingImage.listing_id == listing.id).order_by(*_display_order())))


def gallery(listing: Listing) -> list[ListingImage]:
    """What the public page shows: ready photos, and placeholders for those on their way."""
    return [image for image in of_listing(listing) if image.status != "failed"]


def covers(listing_ids: list[int]) -> dict[int, ListingImage]:
    """The cover thumbnail of each listing that has a ready one (one query for a page)."""
    if not listing_ids:
        return {}
    found: dict[int, ListingImage] = {}
    for image in db.session.scalars(select(ListingImage).where(
            ListingImage.listing_id.in_(listing_ids), ListingImage.status == "ready")
            .order_by(ListingImage.listing_id, *_display_order())):
        found.setdefault(image.listing_id, image)
    return found


def cover(listing: Listing) -> ListingImage | None:
    return covers([listing.id]).get(listing.id)


def file_of(image_id: int, name: str) -> tuple[ListingImage, str] | None:
    """The image and the storage key that a served file name stands for (ready copies only;
    the upload is never served)."""
    image = db.session.get(ListingImage, image_id)
    if image is None or image.status != "ready":
        return None
    for key in (image.web_key, image.mid_key, image.thumb_key):
        if key and key.rsplit("/", 1)[-1] == name:
            return image, key
    return None


def is_public(image: ListingImage) -> bool:
    return inventory.is_offered(db.session.get(Listing, image.listing_id))


def count_pending(listing: Listing) -> int:
    return db.session.scalar(select(func.count(ListingImage.id)).where(
        ListingImage.listing_id == listing.id, ListingImage.status == "pending")) or 0


# --- staff changes ---------------------------------------------------------------------------

def _renumber(ordered: list[ListingImage]) -> None:
    for position, image in enumerate(ordered):
        image.position = position


def move(image: ListingImage, step: int) -> bool:
    """One place earlier (-1) or later (+1) among the listing's photos; the cover stays first."""
    ordered = of_listing(db.session.get_one(Listing, image.listing_id))
    index = ordered.index(image)
    other = index + step
    if image.is_cover or not 0 <= other < len(ordered) or ordered[other].is_cover:
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    _renumber(ordered)
    db.session.commit()
    return True


def set_cover(image: ListingImage) -> None:
    db.session.execute(update(ListingImage).where(
        ListingImage.listing_id == image.listing_id, ListingImage.id != image.id)
        .values(is_cover=False))
    image.is_cover = True
    db.session.commit()


def set_caption(image: ListingImage, caption: str) -> None:
    image.caption = " ".join((caption or "").split())[:CAPTION_MAX]
    db.session.commit()


def remove(image: ListingImage) -> None:
    """Delete a photo; its files go after the commit. The next photo becomes the cover."""
    keys = [key for key in (image.raw_key, image.web_key, image.mid_key, image.thumb_key) if key]
    listing = db.session.get_one(Listing, image.listing_id)
    db.session.delete(image)
    db.session.flush()
    rest = of_listing(listing)
    if rest and not any(other.is_cover for other in rest):
        rest[0].is_cover = True
    _renumber(sorted(rest, key=lambda other: (not other.is_cover, other.position, other.id)))
    db.session.commit()
    delete_quietly(keys)
