"""Demo photos drawn with Pillow (no network): a building in its kind's colours and a floor
plan, sent through the same upload path as a phone's photos."""
import io
import random
from typing import BinaryIO

from PIL import Image, ImageDraw
from sqlalchemy import select

from crm.extensions import db
from crm.listings import images
from crm.models import Listing, ListingImage, User

COLOURS = {"factory": (70, 110, 160), "warehouse": (150, 110, 60), "land": (90, 140, 70),
           "office": (110, 90, 150)}


def _photo(kind: str, rng: random.Random) -> bytes:
    width, height = 1200, 900
    image = Image.new("RGB", (width, height), (170, 205, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 600, width, height), fill=(120, 130, 120))  # the yard
    if kind == "land":
        draw.rectangle((0, 450, width, height), fill=(110, 160, 80))
        for x in range(0, width, 150):
            draw.line((x, 450, x + rng.randrange(-60, 60), height), fill=(90, 120, 60), width=4)
        return _jpeg(image)
    wall = COLOURS.get(kind, (100, 100, 100))
    left, top = rng.randrange(80, 240), rng.randrange(230, 330)
    right = width - rng.randrange(80, 240)
    draw.rectangle((left, top, right, 640), fill=wall)
    draw.polygon([(left - 20, top), ((left + right) // 2, top - 120), (right + 20, top)],
                 fill=(200, 200, 205))
    for x in range(left + 40, right - 60, 110):  # windows
        draw.rectangle((x, top + 50, x + 60, top + 110), fill=(225, 240, 250))
    draw.rectangle(((left + right) // 2 - 70, 500, (left + right) // 2 + 70, 640),
                   fill=(60, 60, 70))  # the loading door
    return _jpeg(image)


def _floor_plan(rng: random.Random) -> bytes:
    image = Image.new("RGB", (1000, 700), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 940, 640), outline="black", width=8)
    split = rng.randrange(300, 700)
    draw.line((split, 60, split, 640), fill="black", width=5)
    draw.line((60, 350, split, 350), fill="black", width=5)
    for x in range(120, 940, 160):  # columns
        draw.rectangle((x, 200, x + 14, 214), fill="black")
    return _png(image)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seed_photos(actor: User, seed_value: int = 7) -> int:
    """Two or three photos for each demo listing without any; returns how many were added."""
    rng = random.Random(seed_value)
    has_photos = select(ListingImage.listing_id).distinct()
    count = 0
    for listing in db.session.scalars(select(Listing).where(Listing.id.not_in(has_photos))
                                      .order_by(Listing.id)):
        uploads: list[tuple[str, BinaryIO]] = [(f"photo-{n}.jpg", io.BytesIO(_photo(listing.property_type, rng)))
                   for n in range(rng.choice((1, 2)))]
        uploads.append(("floor-plan.png", io.BytesIO(_floor_plan(rng))))
        added, _errors = images.add(listing, uploads, actor)
        images.enqueue_processing(added)  # in-process in the demo: ready at once
        count += len(added)
    return count
