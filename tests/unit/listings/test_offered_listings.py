"""crm.listings.inventory: one rule for a listing still on offer, and the map link."""
from crm.choices import LISTING_STATUSES, OFFERED_LISTING_STATUSES
from crm.listings import inventory
from tests.unit.visits.support import listing


def test_offered_means_not_let_or_sold():
    assert set(OFFERED_LISTING_STATUSES) == set(LISTING_STATUSES) - {"let_or_sold"}


def test_offered_listings_keeps_the_order_given_each_once_and_skips_what_was_let(db):
    free, held = listing(db), listing(db, status="reserved")
    gone = listing(db, status="let_or_sold")
    got = inventory.offered_listings([held.id, gone.id, 999999, free.id, held.id], limit=10)
    assert got == [held, free]
    assert inventory.offered_listings([free.id, held.id], limit=1) == [free]
    assert inventory.offered_listings([], limit=10) == []
    assert inventory.is_offered(held) and not inventory.is_offered(gone)
    assert inventory.offered(gone.id) is None and inventory.offered(free.id) == free
    assert [x.id for x in inventory.search(str(gone.id))] == []


def test_the_map_link_searches_the_place_on_a_map_site():
    assert inventory.map_link("") is None
    assert inventory.map_link("浙江湖州长兴县 雉城工业园") == (
        "https://uri.amap.com/search?keyword=%E6%B5%99%E6%B1%9F%E6%B9%96%E5%B7%9E%E9%95%BF%E5%85%B4"
        "%E5%8E%BF%20%E9%9B%89%E5%9F%8E%E5%B7%A5%E4%B8%9A%E5%9B%AD&callnative=0")
