"""The embeddable form: frame-ancestors per source site, no session needed, attribution."""
import re

from sqlalchemy import select

from crm.models import Lead, Listing
from tests.factories import make_site

GOOD = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": "y"}


def csp(response) -> str:
    return response.headers["Content-Security-Policy"]


def test_embed_may_be_framed_only_by_its_sites_origins(client, db):
    site, _key = make_site(origins=("https://zj.example.cn", "https://www.zj.example.cn:8443"))
    response = client.get(f"/embed/inquiry?site={site.public_key}")
    assert response.status_code == 200
    assert ("frame-ancestors https://zj.example.cn https://www.zj.example.cn:8443"
            in csp(response))
    assert "X-Frame-Options" not in response.headers
    html = response.get_data(as_text=True)
    assert 'class="topbar"' not in html and 'name="contact_name"' in html  # compact layout


def test_every_other_page_refuses_framing(client, db):
    site, _key = make_site()
    for url in ("/inquiry", "/login", "/privacy", "/api/v1/openapi.json", "/no-such-page",
                "/static/js/embed.js", f"/embed/inquiry?site=unknown{site.public_key}"):
        response = client.get(url)
        assert "frame-ancestors 'none'" in csp(response), url
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert "script-src 'self'" in csp(response) and "'unsafe-inline'" not in csp(response)


def test_unknown_or_inactive_site_is_404(client, db):
    _site, _key = make_site()
    inactive, _ = make_site("停用站", active=False)
    assert client.get("/embed/inquiry?site=nope").status_code == 404
    assert client.get(f"/embed/inquiry?site={inactive.public_key}").status_code == 404
    assert client.get("/embed/inquiry").status_code == 404


def test_a_site_without_origins_cannot_be_framed_anywhere(client, db):
    site, _key = make_site(origins=())
    response = client.get(f"/embed/inquiry?site={site.public_key}")
    assert "frame-ancestors 'none'" in csp(response)


def test_embedded_submission_works_without_session_or_csrf_and_records_the_site(app, client, db):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production; a third-party iframe has no cookie
    site, _key = make_site()
    db.session.add(Listing(id=88, title="独栋厂房", property_type="factory", deal_type="rent",
                           status="available", area_sqm=1000))
    db.session.commit()
    url = (f"/embed/inquiry?site={site.public_key}&page=https://zj.example.cn/news/7"
           "&ref=https://www.baidu.com/&utm_source=baidu&utm_campaign=g60&listing=88")
    html = client.get(url).get_data(as_text=True)
    hidden = dict(re.findall(r'name="(page_url|referrer|utm_source|utm_campaign|listing_id|started)"'
                             r' type="hidden" value="([^"]*)"', html))
    client.delete_cookie("session")
    response = client.post(f"/embed/inquiry?site={site.public_key}", data={**GOOD, **hidden})
    assert response.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.source_site_id == site.id and lead.listing_id == 88
    assert (lead.page_url, lead.referrer, lead.utm_source, lead.utm_campaign) == (
        "https://zj.example.cn/news/7", "https://www.baidu.com/", "baidu", "g60")
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200 and lead.reference in thanks.get_data(as_text=True)
    assert "frame-ancestors https://zj.example.cn" in csp(thanks)


def test_thanks_page_needs_a_signed_reference(client, db):
    site, _key = make_site()
    response = client.get(f"/embed/thanks?site={site.public_key}&t=CF261123-AAAAA")
    assert response.status_code == 302 and "/embed/inquiry" in response.headers["Location"]


def test_embed_errors_are_shown_next_to_fields_in_the_frame(client, db):
    site, _key = make_site()
    response = client.post(f"/embed/inquiry?site={site.public_key}&lang=en",
                           data={**GOOD, "mobile": "400 0123 021"})
    assert response.status_code == 422
    assert "hotline" in response.get_data(as_text=True)
    assert "frame-ancestors https://zj.example.cn" in csp(response)


def test_snippet_is_a_static_script_that_builds_the_iframe(client):
    response = client.get("/static/js/embed.js")
    js = response.get_data(as_text=True)
    assert response.status_code == 200 and "javascript" in response.mimetype
    assert "/embed/inquiry" in js and 'createElement("iframe")' in js and "data-site" in js
    response.close()


def test_admin_page_shows_the_snippet_for_a_site(client, auth, db):
    from tests.factories import UserFactory
    UserFactory(email="admin@example.com", role="admin")
    site, _key = make_site()
    auth.login("admin@example.com")
    html = client.get(f"/manage/sites/{site.id}").get_data(as_text=True)
    assert f'data-site="{site.public_key}"' in html and "js/embed.js" in html
