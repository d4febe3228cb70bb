"""Issue 18 (public pages): the listing page a prospect opens from WeChat, QR codes that
carry their source, and a public list of available listings (also framed by a site)."""
from decimal import Decimal

from sqlalchemy import select

from crm.models import Lead, Listing
from tests.factories import UserFactory, make_site


def _listing(db, **kwargs):
    values = dict(title="长兴独栋厂房 3000㎡", property_type="factory", deal_type="rent",
                  region_code="330522", park="长兴经济开发区",
                  area_sqm=Decimal("3000"), status="available", eia_possible=True)
    listing = Listing(**{**values, **kwargs})
    db.session.add(listing)
    db.session.commit()
    return listing


def test_the_listing_page_is_a_card_a_map_link_and_the_form(client, db):
    UserFactory()
    listing = _listing(db)
    land = _listing(db, title="南太湖工业用地", property_type="land", deal_type="buy",
                    area_sqm=Decimal("20000.10"), area_unit="mu", region_code="330502P01")
    page = client.get(f"/listings/{listing.id}?utm_source=wechat_post").get_data(as_text=True)
    assert '<meta property="og:title" content="长兴独栋厂房 3000㎡">' in page
    assert 'href="https://uri.amap.com/search?keyword=' in page
    assert f'name="listing_id" type="hidden" value="{listing.id}"' in page
    assert 'name="utm_source" type="hidden" value="wechat_post"' in page
    assert "30 亩（20,000 ㎡）" in client.get(f"/listings/{land.id}").get_data(as_text=True)
    # The form on the page sends an inquiry about this listing, with its source.
    client.post("/inquiry", data={"contact_name": "刘先生", "mobile": "13391219793",
                                  "consent": "y", "listing_id": str(listing.id),
                                  "utm_source": "wechat_post"})
    lead = db.session.scalars(select(Lead)).one()
    assert (lead.listing_id, lead.utm_source, lead.property_type) == (listing.id, "wechat_post",
                                                                      "factory")


def test_qr_codes_carry_their_source(client, auth, db):
    listing = _listing(db)
    qr = client.get(f"/listings/{listing.id}/qr.svg?source=展会")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert b"<svg" in qr.data
    assert client.get(f"/listings/{listing.id + 99}/qr.svg").status_code == 404
    import io

    import segno  # the code encodes the page with its source: the same code drawn from that URL
    url = f"http://localhost/listings/{listing.id}?utm_source=%E5%B1%95%E4%BC%9A&utm_medium=qr"
    expected = io.BytesIO()
    segno.make(url, error="m").save(expected, kind="svg", scale=6, border=2)
    assert qr.data == expected.getvalue()
    site, _key = make_site()
    UserFactory(email="root@example.com", role="admin")
    db.session.commit()
    auth.login("root@example.com")
    assert client.get(f"/manage/sites/{site.id}/qr.svg").mimetype == "image/svg+xml"


def test_the_public_list_filters_and_frames_only_for_its_site(client, db):
    _listing(db)
    _listing(db, title="嘉兴仓库", property_type="warehouse", region_code="3304",
             area_sqm=Decimal("8000"))
    _listing(db, title="已出租", status="let_or_sold")
    page = client.get("/listings/").get_data(as_text=True)
    assert "长兴独栋厂房" in page and "嘉兴仓库" in page and "已出租" not in page
    only = client.get("/listings/?property_type=warehouse&area_min=5000").get_data(as_text=True)
    assert "嘉兴仓库" in only and "长兴独栋厂房" not in only
    huzhou = client.get("/listings/?region=zj.huzhou").get_data(as_text=True)
    assert "长兴独栋厂房" in huzhou and "嘉兴仓库" not in huzhou
    # A bad filter is shown next to its field with no rows, never every listing.
    bad = client.get("/listings/?area_min=abc&before=99999999999999999999")
    assert bad.status_code == 400 and "嘉兴仓库" not in bad.get_data(as_text=True)
    site, _key = make_site(origins=("https://zj.example.cn",))
    framed = client.get(f"/embed/listings?site={site.public_key}")
    assert framed.status_code == 200
    assert "https://zj.example.cn" in framed.headers["Content-Security-Policy"]
    assert "utm_medium=embed" in framed.get_data(as_text=True)
    assert client.get("/embed/listings?site=nope").status_code == 404
