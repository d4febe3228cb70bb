"""Admin pages for source sites: role checks, the API key shown once, origins validated."""
import re

from sqlalchemy import select

from crm.intake.sites import hash_api_key
from crm.models import SourceSite
from tests.conftest import errors_in
from tests.factories import UserFactory, make_site


def login_as(auth, role):
    UserFactory(email=f"{role}@example.com", role=role)
    auth.login(f"{role}@example.com")


def test_only_admins_manage_sites(client, auth, db):
    site, _key = make_site()
    for role in ("agent", "manager"):
        login_as(auth, role)
        for url in ("/manage/sites", "/manage/sites/new", f"/manage/sites/{site.id}"):
            assert client.get(url).status_code == 403, (role, url)
        assert client.post("/manage/sites/new", data={"name": "x"}).status_code == 403
        assert client.post(f"/manage/sites/{site.id}/rotate-key").status_code == 403
        auth.logout()
    assert client.get("/manage/sites").status_code == 302  # anonymous: to the login page


def test_admin_registers_a_site_and_sees_its_key_once(client, auth, db):
    login_as(auth, "admin")
    response = client.post("/manage/sites/new", data={
        "name": "浙江站", "origins": "HTTPS://zj.example.cn/\nhttps://m.zj.example.cn", "active": "y"})
    assert response.status_code == 200
    key = re.search(r'<p class="code">(cfk_[^<]+)</p>', response.get_data(as_text=True)).group(1)
    site = db.session.scalars(select(SourceSite)).one()
    assert site.origin_list == ["https://zj.example.cn", "https://m.zj.example.cn"]
    assert site.api_key_hash == hash_api_key(key) and site.active
    assert key not in client.get(f"/manage/sites/{site.id}").get_data(as_text=True)
    assert "浙江站" in client.get("/manage/sites").get_data(as_text=True)


def test_bad_origins_and_duplicate_names_are_refused_next_to_the_field(client, auth, db):
    make_site("浙江站")
    login_as(auth, "admin")
    response = client.post("/manage/sites/new?lang=en", data={
        "name": "浙江站", "origins": "https://ok.example.cn\nhttps://a.cn/path"})
    assert response.status_code == 422
    errors = errors_in(response.get_data(as_text=True))
    assert any("https://a.cn/path" in e for e in errors)
    response = client.post("/manage/sites/new?lang=en", data={
        "name": "浙江站", "origins": "https://ok.example.cn"})
    assert response.status_code == 422
    assert "A site with this name exists." in errors_in(response.get_data(as_text=True))
    assert len(db.session.scalars(select(SourceSite)).all()) == 1


def test_admin_edits_deactivates_and_rotates_the_key(client, auth, db):
    site, old_key = make_site()
    login_as(auth, "admin")
    assert client.post(f"/manage/sites/{site.id}", data={
        "name": "浙江新站", "origins": "https://new.example.cn"}).status_code == 302
    db.session.refresh(site)
    assert (site.name, site.origin_list, site.active) == ("浙江新站", ["https://new.example.cn"], False)
    html = client.post(f"/manage/sites/{site.id}/rotate-key").get_data(as_text=True)
    new_key = re.search(r'<p class="code">(cfk_[^<]+)</p>', html).group(1)
    db.session.refresh(site)
    assert site.api_key_hash == hash_api_key(new_key) != hash_api_key(old_key)
