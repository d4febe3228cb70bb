"""Listing photos on a phone (375×812): the agent who entered a listing adds two photos through
the file picker, sees them once processed, makes the second the cover; the public listing
page then shows a swipeable gallery with that cover first, and the card image for WeChat."""
import io
from decimal import Decimal

import pytest
from PIL import Image

from crm.extensions import db
from crm.models import Listing, Team, User
from tests.browser.conftest import shoot, watch_console

pytestmark = pytest.mark.browser


@pytest.fixture
def listing_id(live_app):
    with live_app.app_context():
        team = Team(name="长三角招商一组", is_default=True)
        agent = User(email="li@example.com", name="李招商", role="agent", team=team)
        agent.set_password("secret-pass")
        db.session.add_all([team, agent])
        db.session.flush()
        listing = Listing(title="长兴经济开发区独栋厂房 3000㎡", property_type="factory",
                          deal_type="rent", region_code="330522", park="长兴经济开发区",
                          area_sqm=Decimal("3000"), price=Decimal("0.85"), created_by_id=agent.id)
        db.session.add(listing)
        db.session.commit()
        return listing.id


def _photo(colour, size) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def _loaded(locator) -> bool:
    return locator.evaluate("img => img.complete && img.naturalWidth > 0")


def test_agent_adds_photos_and_the_public_page_shows_the_gallery(live_server, phone, listing_id):
    page = phone
    problems = watch_console(page)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "li@example.com")
    page.fill("input[name=password]", "secret-pass")
    page.click("button[type=submit]")
    page.wait_for_url("**/agent/leads")

    page.goto(f"{live_server}/agent/listings/{listing_id}")
    picker = page.locator("#photos input[type=file][name=photos]")
    assert picker.get_attribute("accept") == "image/*" and picker.get_attribute("multiple") is not None
    picker.set_input_files([
        {"name": "IMG_0001.JPG", "mimeType": "image/jpeg", "buffer": _photo((200, 40, 40), (1200, 900))},
        {"name": "IMG_0002.JPG", "mimeType": "image/jpeg", "buffer": _photo((40, 60, 200), (900, 1200))},
    ])
    page.locator("#photos form.photo-upload button[type=submit]").click()
    page.wait_for_url(f"**/agent/listings/{listing_id}#photos")
    items = page.locator("#photos .photo-item[data-status=ready]")
    items.nth(1).locator("img").wait_for()
    assert items.count() == 2
    assert all(_loaded(items.nth(i).locator("img")) for i in range(2))
    first_id, second_id = (items.nth(i).get_attribute("id") for i in range(2))
    assert items.first.locator(".cover-badge").count() == 1  # the first upload is the cover
    shoot(page, "photos-01-staff-phone")

    # The second photo becomes the cover, and comes first.
    items.nth(1).get_by_role("button", name="设为封面").click()
    page.wait_for_url(f"**/agent/listings/{listing_id}#photos")
    items = page.locator("#photos .photo-item")
    assert items.first.get_attribute("id") == second_id
    assert items.first.locator(".cover-badge").count() == 1
    assert items.nth(1).get_attribute("id") == first_id

    page.goto(f"{live_server}/listings/{listing_id}")
    slides = page.locator("#gallery .gallery-slide img")
    assert slides.count() == 2
    cover = slides.first
    cover_id = second_id.removeprefix("photo-")
    assert f"/media/listings/{cover_id}/" in cover.get_attribute("src")
    assert cover.get_attribute("width") == "900" and cover.get_attribute("height") == "1200"
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=cover.element_handle())
    og = page.locator('meta[property="og:image"]').get_attribute("content")
    assert og.startswith(live_server + f"/media/listings/{cover_id}/")
    # Swipeable sideways inside the gallery, while the page itself does not scroll sideways.
    track = page.locator("#gallery .gallery-track")
    assert track.evaluate("t => getComputedStyle(t).scrollSnapType").startswith("x")
    assert track.evaluate("t => t.scrollWidth > t.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = cover.bounding_box()
    assert box["width"] <= 375 and box["height"] > 200
    shoot(page, "photos-02-public-gallery-phone", full_page=False)
    # The public list shows the cover's thumbnail.
    page.goto(f"{live_server}/listings/")
    thumb = page.locator("#listings img.list-cover").first
    assert f"/media/listings/{cover_id}/" in thumb.get_attribute("src")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert problems == []
