"""Issue 33: the first cover is the page's largest paint (fetched first, never lazily), the
phone picks its size from srcset; region-picker.js only where a region field is; the
listings embed has a resizing snippet; the gallery scrolls by keyboard."""
import re
from datetime import UTC, datetime

import pytest
import time_machine

from crm.leads import recommend
from tests.factories import UserFactory, make_site
from tests.unit.visits.support import lead_with_agent, listing
from tests.unit.web.test_delivery import listing_with_photo

PICKER = "/static/js/region-picker.js"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 11, 20, 4, 0, tzinfo=UTC), tick=False):
        yield


def _covers(html: str) -> list[str]:
    return re.findall(r'<img class="list-cover"[^>]*>', html)


def _check_first_eager(html: str, web_url: str) -> None:
    first, *rest = _covers(html)
    assert 'fetchpriority="high"' in first and 'loading="lazy"' not in first
    assert re.search(r'srcset="[^"]+ 400w, ' + re.escape(web_url) + r' 800w"', first)
    assert 'sizes="' in first
    assert rest and all('loading="lazy"' in img and "fetchpriority" not in img for img in rest)


def _web(image) -> str:
    return f"/media/listings/{image.id}/{image.web_key.rsplit('/', 1)[-1]}"


def test_the_first_cover_is_eager_and_the_rest_lazy(client, auth, db):
    item, image = listing_with_photo(client, auth, db)
    second, second_image = listing_with_photo(client, auth, db, email="owner2@example.com")
    # The list shows the newest first; the page, the adviser's order.
    _check_first_eager(client.get("/listings/").get_data(as_text=True), _web(second_image))
    _team, agent, lead = lead_with_agent()
    rec = recommend.send(lead, agent, [item, second])
    _check_first_eager(client.get(f"/r/{recommend.link_token(rec)}").get_data(as_text=True),
                       _web(image))
    gallery = client.get(f"/listings/{item.id}").get_data(as_text=True)
    assert '<ol class="gallery-track" tabindex="0">' in gallery


def test_the_region_picker_loads_only_with_a_region_field(client, db):
    assert PICKER in client.get("/inquiry").get_data(as_text=True)
    assert PICKER in client.get("/listings/").get_data(as_text=True)  # its region filter
    _team, agent, lead = lead_with_agent()
    rec = recommend.send(lead, agent, [listing(db)])
    assert PICKER not in client.get(f"/r/{recommend.link_token(rec)}").get_data(as_text=True)
    assert PICKER not in client.get("/privacy").get_data(as_text=True)


def test_the_snippets_are_unversioned_and_the_listings_one_resizes(client, auth, db):
    site, _key = make_site()
    UserFactory(email="root@example.com", role="admin")
    db.session.commit()
    auth.login("root@example.com")
    page = client.get(f"/manage/sites/{site.id}").get_data(as_text=True)
    snippets = re.findall(r"&lt;script src=&#34;([^&]+)&#34;([^<]*)&lt;/script&gt;|"
                          r'&lt;script src="([^"]+)"([^<]*)&gt;&lt;/script&gt;', page)
    found = [(a or c, b or d) for a, b, c, d in snippets]
    assert [src for src, _ in found] == ["http://localhost/static/js/embed.js"] * 2
    assert 'data-section="listings"' in found[1][1]
    framed = client.get(f"/embed/listings?site={site.public_key}").get_data(as_text=True)
    assert "/static/js/embed-frame.js?v=" in framed  # reports its height to embed.js
    script = client.get("/static/js/embed.js").get_data(as_text=True)
    assert '"/embed/listings"' in script and 'data-section' in script
