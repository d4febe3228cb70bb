"""Issue 33: every page a prospect may receive in WeChat shows a link card (og: tags with an
absolute picture WeChat can show); the /r/ card names the adviser and the count, never the
prospect."""
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import time_machine

from crm.leads import recommend
from tests.unit.visits.support import lead_with_agent, listing
from tests.unit.web.test_delivery import listing_with_photo


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 11, 20, 4, 0, tzinfo=UTC), tick=False):
        yield


class _Meta(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "meta" and (found.get("property") or "").startswith("og:"):
            self.tags[found["property"]] = found.get("content") or ""


def card(client, url: str) -> dict[str, str]:
    parser = _Meta()
    parser.feed(client.get(url).get_data(as_text=True))
    tags = parser.tags
    assert tags["og:title"] and tags["og:description"]
    assert tags["og:url"].startswith("http://localhost/")
    assert tags["og:image"].startswith("http://localhost/")
    assert int(tags["og:image:width"]) >= 300 and int(tags["og:image:height"]) >= 300
    image = client.get(tags["og:image"].removeprefix("http://localhost"))
    assert image.status_code == 200 and image.mimetype in ("image/jpeg", "image/png")
    return tags


def test_the_form_and_the_list_have_a_card(client, db):
    form = card(client, "/inquiry")
    assert form["og:title"] == "告诉我们您的场地需求"
    assert form["og:image"].startswith("http://localhost/static/img/link-card.png?v=")
    listing(db)
    listing(db, title="南太湖工业用地")
    listed = card(client, "/listings/")
    assert listed["og:description"] == "共 2 处房源。"


def test_a_listing_and_the_list_show_the_cover(client, auth, db):
    item, image = listing_with_photo(client, auth, db)
    name = image.web_key.rsplit("/", 1)[-1]
    page = card(client, f"/listings/{item.id}")
    assert page["og:title"] == item.title
    assert page["og:image"] == f"http://localhost/media/listings/{image.id}/{name}"
    assert page["og:url"] == f"http://localhost/listings/{item.id}"
    assert card(client, "/listings/")["og:image"] == page["og:image"]


def test_the_share_card_names_the_adviser_and_the_count_never_the_prospect(client, db):
    _team, agent, lead = lead_with_agent()
    rec = recommend.send(lead, agent, [listing(db), listing(db, title="南太湖工业用地")])
    token = recommend.link_token(rec)
    tags = card(client, f"/r/{token}")
    assert tags["og:title"] == "王顾问 为您挑选了 2 处房源"
    assert tags["og:url"] == f"http://localhost/r/{token}"
    every = " ".join(tags.values())
    for private in ("刘先生", "13391219793", "9121", "湖州新能源"):
        assert private not in every
