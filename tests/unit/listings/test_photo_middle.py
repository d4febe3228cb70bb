"""Issue 33: a middle copy of each photo (at most images.MID_MAX px), made by the photo task
beside the web copy and the thumbnail, offered in every srcset a prospect's page has, served
like the others, deleted with them; photos made before it offer their two copies until
`flask crm photo-middles` makes theirs."""
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select, update

from crm.leads import recommend
from crm.listings import images
from crm.models import Listing, ListingImage
from tests.factories import UserFactory
from tests.unit.visits.support import lead_with_agent

BIG, SMALL, PORTRAIT = (3200, 2400), (800, 600), (1500, 2000)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 11, 20, 4, 0, tzinfo=UTC), tick=False):
        yield


def _photo(size, colour=(200, 60, 30)) -> bytes:
    image = Image.new("RGB", size, colour)
    image.paste((30, 60, 200), (0, 0, size[0] // 3, size[1] // 3))  # not one flat colour
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _listing_with(client, auth, db, *sizes, email="owner@example.com") -> tuple[Listing, list]:
    """A public listing with photos of these sizes, processed (in-process), owner logged out."""
    owner = UserFactory(email=email)
    listing = Listing(title="长兴独栋厂房", property_type="factory", deal_type="rent",
                      region_code="330522", area_sqm=Decimal("3000"), status="available",
                      created_by_id=owner.id)
    db.session.add(listing)
    db.session.commit()
    auth.login(email)
    client.post(f"/agent/listings/{listing.id}/photos",
                data={"photos": [(io.BytesIO(_photo(size, (200, 60, 30 + n))), f"{n}.jpg")
                                 for n, size in enumerate(sizes)]},
                content_type="multipart/form-data")
    auth.logout()
    client.delete_cookie("session")
    db.session.expire_all()
    return listing, images.of_listing(listing)


def _url(image: ListingImage, key: str) -> str:
    return f"/media/listings/{image.id}/{key.rsplit('/', 1)[-1]}"


def _srcset(tag: str) -> list[str]:
    found = re.search(r'srcset="([^"]+)"', tag)
    return found.group(1).split(", ") if found else []


def test_the_task_makes_a_middle_copy_of_a_large_photo(client, auth, db, media: Path):
    _listing, (big, portrait, small) = _listing_with(client, auth, db, BIG, PORTRAIT, SMALL)
    assert big.status == portrait.status == small.status == "ready"
    stored = Image.open(media / big.mid_key)
    assert stored.format == "JPEG" and not stored.getexif()
    assert stored.size == (1080, 810) == (big.mid_width, big.mid_height)
    assert big.mid_key.endswith("-m.jpg") and big.mid_key.startswith(f"listings/{big.listing_id}/")
    assert Image.open(media / portrait.mid_key).size == (810, 1080)  # the longer side bounded
    assert (media / big.mid_key).stat().st_size < (media / big.web_key).stat().st_size
    # No larger than the middle size already: the web copy is all it needs.
    assert (small.mid_key, small.mid_width, small.width) == (None, None, 800)
    # Served like the other copies (the listing is public).
    served = client.get(_url(big, big.mid_key))
    assert served.status_code == 200 and served.data == (media / big.mid_key).read_bytes()


@settings(max_examples=40, deadline=None)
@given(width=st.integers(images.MIN_SIDE, images.WEB_MAX),
       height=st.integers(images.MIN_SIDE, images.WEB_MAX))
def test_the_middle_copy_is_bounded_and_keeps_the_shape(width, height):
    mid = images._middle(Image.new("RGB", (width, height)))
    if max(width, height) <= images.MID_MAX:
        assert mid is None  # the web copy is small enough to be it
        return
    assert mid is not None and max(mid.size) == images.MID_MAX
    scale = images.MID_MAX / max(width, height)  # each side scaled alike, to the pixel
    assert abs(mid.width - width * scale) <= 1 and abs(mid.height - height * scale) <= 1


def test_every_prospect_page_offers_the_middle_copy(client, auth, db):
    item, (cover, second) = _listing_with(client, auth, db, BIG, PORTRAIT)
    other, (small,) = _listing_with(client, auth, db, SMALL, email="owner2@example.com")
    thumb, mid, web = (_url(cover, cover.thumb_key), _url(cover, cover.mid_key),
                       _url(cover, cover.web_key))
    expected = [f"{thumb} 400w", f"{mid} 1080w", f"{web} 1600w"]
    _team, agent, lead = lead_with_agent()
    rec = recommend.send(lead, agent, [item, other])
    for path in ("/listings/", f"/r/{recommend.link_token(rec)}"):
        page = client.get(path).get_data(as_text=True)
        covers = {re.search(r'src="([^"]+)"', tag).group(1): tag
                  for tag in re.findall(r'<img class="list-cover"[^>]*>', page)}
        assert _srcset(covers[thumb]) == expected, path
        # A photo with no middle copy offers its two.
        assert _srcset(covers[_url(small, small.thumb_key)]) == [
            f"{_url(small, small.thumb_key)} 400w", f"{_url(small, small.web_key)} 800w"]
    first, rest = _gallery(client.get(f"/listings/{item.id}").get_data(as_text=True))
    assert _srcset(first) == [f"{mid} 1080w", f"{web} 1600w"]
    assert 'fetchpriority="high"' in first and 'loading="lazy"' not in first
    assert 'sizes="' in first and f'src="{web}"' in first
    assert _srcset(rest[0]) == [f"{_url(second, second.mid_key)} 810w",
                                f"{_url(second, second.web_key)} 1200w"]
    assert 'loading="lazy"' in rest[0] and "fetchpriority" not in rest[0]
    only, none = _gallery(client.get(f"/listings/{other.id}").get_data(as_text=True))
    assert "srcset" not in only and f'src="{_url(small, small.web_key)}"' in only
    assert none == []


def _gallery(page: str) -> tuple[str, list[str]]:
    track = page[page.index('<ol class="gallery-track"'):page.index("</ol>")]
    first, *rest = re.findall(r"<img [^>]*>", track)
    return first, rest


def test_the_middle_copy_goes_with_its_photo_and_its_listing(client, auth, db, media: Path):
    listing, (first, second) = _listing_with(client, auth, db, BIG, BIG)
    first_url, first_file, second_file = (_url(first, first.mid_key), media / first.mid_key,
                                          media / second.mid_key)
    owner = listing.created_by
    auth.login("owner@example.com")
    assert first_file.is_file()
    client.post(f"/agent/listings/{listing.id}/photos/{first.id}/delete")
    assert not first_file.exists()
    assert client.get(first_url).status_code == 404
    assert second_file.is_file()
    UserFactory(email="manager@example.com", role="manager", team=owner.team)
    auth.logout()
    auth.login("manager@example.com")
    assert client.post(f"/agent/listings/{listing.id}/delete").status_code == 302
    assert not second_file.exists()
    assert not [path for path in media.rglob("*") if path.is_file()]


def test_a_photo_deleted_while_processed_leaves_no_middle_copy(app, db, media: Path):
    owner = UserFactory(email="owner@example.com")
    listing = Listing(title="仓库", property_type="warehouse", deal_type="rent",
                      region_code="330522", area_sqm=Decimal("800"), status="available",
                      created_by_id=owner.id)
    db.session.add(listing)
    db.session.commit()
    (image,), _ = images.add(listing, [("a.jpg", io.BytesIO(_photo(BIG)))], owner)
    render = images.render

    def deleted_meanwhile(data: bytes) -> images.Rendered:
        db.session.delete(image)  # staff deleted the photo while the task worked
        db.session.commit()
        return render(data)

    images.render = deleted_meanwhile  # type: ignore[assignment]
    try:
        assert images.process(image.id) == "ready"
    finally:
        images.render = render  # type: ignore[assignment]
    assert not [path for path in (media / "listings").rglob("*") if path.is_file()]


def test_photos_made_before_get_their_middle_copy_from_the_command(client, auth, db, media,
                                                                  runner):
    _listing, (old, small) = _listing_with(client, auth, db, BIG, SMALL)
    made = media / old.mid_key
    made.unlink()  # as before the middle copy existed
    db.session.execute(update(ListingImage).values(mid_key=None, mid_width=None, mid_height=None))
    db.session.commit()
    assert images.lacking_middle_ids() == [old.id]  # the small one needs none
    result = runner.invoke(args=["crm", "photo-middles"])
    assert result.exit_code == 0 and "made 1 middle copy of 1 photo(s)" in result.output
    db.session.expire_all()
    again = db.session.get(ListingImage, old.id)
    assert (again.mid_width, again.mid_height) == (1080, 810)
    assert Image.open(media / again.mid_key).size == (1080, 810)
    assert db.session.get(ListingImage, small.id).mid_key is None
    assert runner.invoke(args=["crm", "photo-middles"]).output.startswith("made 0 middle copies")
    assert images.add_middle(old.id) is False  # has one: nothing made twice


def test_a_photo_whose_web_copy_is_missing_is_skipped_by_the_command(client, auth, db, media,
                                                                    runner):
    _listing, (broken, fine) = _listing_with(client, auth, db, BIG, BIG)
    for image in (broken, fine):
        (media / image.mid_key).unlink()
    db.session.execute(update(ListingImage).values(mid_key=None, mid_width=None, mid_height=None))
    db.session.commit()
    (media / broken.web_key).unlink()
    result = runner.invoke(args=["crm", "photo-middles"])
    assert result.exit_code == 0 and "made 1 middle copy of 2 photo(s)" in result.output
    assert db.session.scalars(select(ListingImage.mid_key).order_by(ListingImage.id)).all()[0] is None
