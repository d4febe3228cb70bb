"""Issue 28 walkthrough: the public list showed no price, no 万元/亩 for land and no count."""
from decimal import Decimal

from crm.choices import per_mu
from crm.listings import inventory
from tests.unit.listings.test_public_pages import _listing


def test_the_list_shows_prices_land_per_mu_and_the_count(client, db, monkeypatch):
    _listing(db, price=Decimal("0.85"))
    _listing(db, title="南太湖工业用地", property_type="land", deal_type="buy", price=Decimal("1104"),
             area_sqm=Decimal("11875.3"), area_unit="mu")
    _listing(db, title="面议仓库", property_type="warehouse", price=None, price_negotiable=True)
    _listing(db, title="已出租", status="let_or_sold", price=Decimal("1"))
    page = client.get("/listings/").get_data(as_text=True)
    assert "0.85 元/㎡/天" in page and "面议" in page
    assert "1,104 万元 · 61.98 万元/亩" in page      # 11,875.3 ㎡ = 17.81 亩
    assert "共 3 处房源。" in page
    monkeypatch.setattr(inventory, "PAGE_SIZE", 2)         # the count is of every page
    paged = client.get("/listings/").get_data(as_text=True)
    assert "共 3 处房源。" in paged and paged.count('class="price"') == 2
    assert "共 1 处房源。" in client.get("/listings/?property_type=land").get_data(as_text=True)
    assert "1 property matches." in client.get("/listings/?property_type=land&lang=en").get_data(
        as_text=True)


def test_per_mu():
    assert per_mu(Decimal("1104"), Decimal("11875.3")) == Decimal("61.98")
    assert per_mu(None, Decimal("1")) is None and per_mu(Decimal("1"), Decimal("0")) is None
