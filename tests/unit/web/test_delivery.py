"""Issue 33: what a prospect's phone downloads. Text compressed, static files under a content
hash and cached for a year, public photos and QR codes free of cookies and `Vary: Cookie`."""
import base64
import gzip
import hashlib
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import brotli
import pytest
import time_machine
from PIL import Image

from crm.intake.sites import create_site
from crm.listings import images
from crm.models import Listing, ListingImage
from crm.web.delivery import StaticVersions
from tests.factories import UserFactory

STATIC = Path(__file__).resolve().parents[3] / "static"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 11, 20, 4, 0, tzinfo=UTC), tick=False):
        yield


def _listing(db, **kwargs):
    values = dict(title="长兴独栋厂房 3000㎡", property_type="factory", deal_type="rent",
                  region_code="330522", area_sqm=Decimal("3000"), status="available")
    listing = Listing(**{**values, **kwargs})
    db.session.add(listing)
    db.session.commit()
    return listing


def listing_with_photo(client, auth, db, email="owner@example.com"
                       ) -> tuple[Listing, ListingImage]:
    """A public listing with one processed photo, uploaded by its owner, who then leaves."""
    owner = UserFactory(email=email)
    listing = _listing(db, created_by_id=owner.id)
    auth.login(email)
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(out, "JPEG")
    client.post(f"/agent/listings/{listing.id}/photos",
                data={"photos": [(io.BytesIO(out.getvalue()), "a.jpg")]},
                content_type="multipart/form-data")
    auth.logout()
    client.delete_cookie("session")
    db.session.expire_all()
    (image,) = images.of_listing(listing)
    return listing, image


def _static_urls(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)


def test_pages_and_static_text_are_compressed(client, db):
    plain = client.get("/inquiry")
    assert "Content-Encoding" not in plain.headers
    page = plain.get_data()
    zipped = client.get("/inquiry", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.data) < len(page) / 2
    # The same page (the CSRF token aside) once unpacked.
    strip = re.compile(rb'value="[^"]*" name="csrf_token"|name="csrf_token"[^>]*>')
    assert strip.sub(b"", gzip.decompress(zipped.data)) == strip.sub(b"", page)
    br = client.get("/inquiry", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.data).startswith(b"<!doctype html>")
    for url in _static_urls(page.decode()):
        path = url.split("?")[0].removeprefix("/static/")
        content = (STATIC / path).read_bytes()
        answer = client.get(url, headers={"Accept-Encoding": "gzip"})
        if len(content) < 500:  # too small to gain: sent as it is
            assert answer.data == content
            continue
        assert answer.headers["Content-Encoding"] == "gzip", url
        assert gzip.decompress(answer.data) == content


def test_static_urls_carry_the_content_hash_and_are_immutable(client, auth):
    UserFactory(email="staff@example.com")
    auth.login("staff@example.com")
    staff_page = client.get("/agent/leads").get_data(as_text=True)
    auth.logout()
    urls = _static_urls(client.get("/inquiry").get_data(as_text=True)) + _static_urls(staff_page)
    assert any(url.startswith("/static/css/app.css?v=") for url in urls)
    assert any(url.startswith("/static/css/public.css?v=") for url in urls)
    for url in urls:
        path, _, version = url.partition("?v=")
        content = (STATIC / path.removeprefix("/static/")).read_bytes()
        assert version == hashlib.sha256(content).hexdigest()[:12]
        cached = client.get(url)
        assert cached.status_code == 200
        assert {p.strip() for p in cached.headers["Cache-Control"].split(",")} == {
            "public", "max-age=31536000", "immutable"}
        assert "Set-Cookie" not in cached.headers
        assert "Cookie" not in cached.headers.get("Vary", "")
    # Without the hash, or with an old one: revalidated as before, never kept a year.
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        assert "immutable" not in client.get(url).headers["Cache-Control"]


def test_a_static_version_follows_the_file(tmp_path):
    versions = StaticVersions(str(tmp_path))
    (tmp_path / "a.css").write_bytes(b"body{}")
    first = versions.of("a.css")
    assert first == hashlib.sha256(b"body{}").hexdigest()[:12]
    (tmp_path / "a.css").write_bytes(b"body{color:red}")
    assert versions.of("a.css") != first
    assert versions.of("missing.css") is None


def test_public_photos_and_qr_carry_no_cookie(app, client, auth, db):
    listing, image = listing_with_photo(client, auth, db)
    url = f"/media/listings/{image.id}/{image.web_key.rsplit('/', 1)[-1]}"
    for answer in (client.get(url), client.get(f"/listings/{listing.id}/qr.svg")):
        assert answer.status_code == 200
        assert "Set-Cookie" not in answer.headers
        assert "Cookie" not in answer.headers.get("Vary", "")
        assert "public" in answer.headers["Cache-Control"]
    # The list has no form: an anonymous visitor gets no cookie at all.
    assert "Set-Cookie" not in client.get("/listings/").headers
    # A prospect who holds the form's session cookie fetches the same photo, still shared.
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.get(f"/listings/{listing.id}").headers.getlist("Set-Cookie")
    again = client.get(url)
    assert "Set-Cookie" not in again.headers and "Cookie" not in again.headers["Vary"]


def test_the_qr_is_cached_by_its_content(client, db):
    listing = _listing(db)
    first = client.get(f"/listings/{listing.id}/qr.svg")
    etag = first.headers["ETag"]
    assert etag.strip('"') == hashlib.sha256(first.data).hexdigest()[:20]
    again = client.get(f"/listings/{listing.id}/qr.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    other = client.get(f"/listings/{listing.id}/qr.svg?source=展会", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_a_prospect_gets_one_cookie_for_the_form_and_no_more(app, client):
    """The form's CSRF token needs a session cookie, once; later views neither re-sign it nor
    send a remember-cookie deletion (Flask-Login's session protection on an anonymous
    session did both on every view)."""
    app.config["WTF_CSRF_ENABLED"] = True
    first = client.get("/inquiry")
    assert [c.split("=", 1)[0] for c in first.headers.getlist("Set-Cookie")] == ["session"]
    for url in ("/inquiry", "/listings/", "/inquiry"):
        assert client.get(url).headers.getlist("Set-Cookie") == [], url
    # The token of the first view still sends the form.
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"',
                      first.get_data(as_text=True))
    assert token
    sent = client.post("/inquiry", data={"csrf_token": token.group(1), "contact_name": "刘先生",
                                         "mobile": "13391219793", "consent": "y"})
    assert sent.status_code == 302 and "/inquiry/thanks" in sent.headers["Location"]


@pytest.mark.parametrize("path", ["/inquiry", "/embed/inquiry", "/listings/", "/privacy",
                                  "/embed/listings", "/no-such-page"])
def test_a_visitor_gets_the_stylesheet_inline_allowed_by_its_hash(client, path):
    """No render-blocking request before a prospect's first paint: the stylesheet is in the
    page, and the CSP allows that exact text (not 'unsafe-inline')."""
    if path.startswith("/embed/"):
        path += f"?site={create_site('Partner', ['https://partner.example.cn'], True)[0].public_key}"
    answer = client.get(path)
    page = answer.get_data(as_text=True)
    assert "/static/css/" not in page
    (inline,) = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert inline == (STATIC / "css" / "public.css").read_text()
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    policy = answer.headers["Content-Security-Policy"]
    (styles,) = [part.strip() for part in policy.split(";") if part.strip().startswith("style-src")]
    assert styles == f"style-src 'self' 'sha256-{digest}'"


def test_staff_keep_the_cached_stylesheet_and_no_inline_allowance(client, auth):
    UserFactory(email="staff@example.com")
    auth.login("staff@example.com")
    answer = client.get("/agent/leads")
    page = answer.get_data(as_text=True)
    assert "<style>" not in page
    # The shared rules first, then the staff-only ones (same specificity: the later wins).
    assert re.search(r'<link rel="stylesheet" href="/static/css/public.css\?v=[0-9a-f]{12}">\s*'
                     r'<link rel="stylesheet" href="/static/css/app.css\?v=[0-9a-f]{12}">', page)
    assert "sha256-" not in answer.headers["Content-Security-Policy"]


def test_the_login_page_links_both_stylesheets_for_the_staff_pages_after_it(client):
    answer = client.get("/login")
    page = answer.get_data(as_text=True)
    assert "<style>" not in page
    assert "/static/css/public.css?v=" in page and "/static/css/app.css?v=" in page
    assert "sha256-" not in answer.headers["Content-Security-Policy"]


def test_an_end_tag_in_an_inlined_stylesheet_cannot_close_the_element(app, tmp_path):
    from crm.web.delivery import csp_hash, inline_stylesheet
    versions = StaticVersions(str(tmp_path))
    (tmp_path / "x.css").write_text('a::after{content:"</style><script>"}')
    with app.test_request_context("/"):
        app.extensions["static_versions"], saved = versions, app.extensions["static_versions"]
        try:
            html = str(inline_stylesheet("x.css"))
            from flask import g
            hashes = g.style_hashes
        finally:
            app.extensions["static_versions"] = saved
    assert html.count("</style>") == 1 and html.endswith("</style>")
    assert hashes == [csp_hash(html.removeprefix("<style>").removesuffix("</style>"))]
