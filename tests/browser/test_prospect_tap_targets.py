"""Issue 33: on a prospect's phone the header's links are 44 px tall tap targets (they were
24 px); the staff header keeps its compact links."""
import pytest

pytestmark = pytest.mark.browser

HEIGHTS = """() => [...document.querySelectorAll('.topbar a')]
  .map((e) => Math.round(e.getBoundingClientRect().height))"""


def test_the_prospect_header_links_are_44px_tap_targets(live_server, phone):
    for path in ("/inquiry", "/listings/"):
        phone.goto(f"{live_server}{path}")
        heights = phone.evaluate(HEIGHTS)
        assert len(heights) == 2 and min(heights) >= 44, (path, heights)
