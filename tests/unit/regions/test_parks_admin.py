"""Admins keep the parks inside counties; every edit is audited; others are refused."""
import pytest
from sqlalchemy import select

from crm import regions
from crm.intake import message
from crm.models import AuditLog, Park
from crm.regions import search
from tests.conftest import errors_in
from tests.factories import UserFactory


@pytest.fixture
def admin(client, auth, db):
    UserFactory(email="root@example.com", role="admin")
    auth.login("root@example.com")


def test_an_admin_adds_a_park_the_picker_and_the_reader_then_know(client, db, admin):
    response = client.post("/admin/parks", data={
        "parent": "江苏 / 苏州 / 昆山市", "name": "昆山高新技术产业开发区",
        "name_en": "Kunshan Hi-tech Zone", "aliases": "昆山高新区，玉山高新区", "active": "y"})
    assert response.status_code == 302, errors_in(response.get_data(as_text=True))
    park = db.session.scalars(select(Park)).one()
    assert park.code == "320583P01" and park.parent_code == "320583"
    assert park.aliases == "昆山高新区,玉山高新区"
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "park_create")).one()
    assert entry.entity_id == park.id and entry.new["code"] == "320583P01"
    assert regions.full_name("320583P01") == "江苏 / 苏州 / 昆山市 / 昆山高新技术产业开发区"
    assert "320583P01" in [r.code for r in search.search("玉山高新区")]
    found = message.as_fields(message.read("玉山高新区找厂房3000平"))
    assert found["region"] == "320583P01"
    second = client.post("/admin/parks", data={"parent": "320583", "name": "花桥经济开发区"})
    assert second.status_code == 302
    assert db.session.scalars(select(Park.code).order_by(Park.code)).all() == [
        "320583P01", "320583P02"]


def test_an_edit_is_audited_and_a_retired_park_leaves_the_picker(client, db, admin):
    client.post("/admin/parks", data={"parent": "310117", "name": "G60科创走廊", "active": "y"})
    park = db.session.scalars(select(Park)).one()
    response = client.post(f"/admin/parks/{park.id}", data={"name": "G60科创走廊", "aliases": "G60"})
    assert response.status_code == 302
    db.session.refresh(park)
    assert park.active is False and park.aliases == "G60"
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "park_edit")).one()
    assert entry.old["active"] is True and entry.new["active"] is False
    # Leads that hold it still read its name; nobody can pick it or be read into it.
    assert regions.full_name(park.code) == "上海 / 松江区 / G60科创走廊"
    assert park.code not in [r.code for r in search.search("G60")]
    assert "region" not in message.as_fields(message.read("G60科创走廊找厂房"))


def test_bad_input_is_refused_next_to_the_field_and_kept(client, db, admin):
    response = client.post("/admin/parks", data={"parent": "火星", "name": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert len(errors_in(html)) == 2 and 'value="火星"' in html
    client.post("/admin/parks", data={"parent": "310117", "name": "出口加工区"})
    park = db.session.scalars(select(Park)).one()
    under_park = client.post("/admin/parks", data={"parent": park.code, "name": "子园区"})
    twice = client.post("/admin/parks", data={"parent": "310117", "name": "出口加工区"})
    assert under_park.status_code == 422 and twice.status_code == 422
    assert db.session.scalars(select(Park)).all() == [park]


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_only_admins_keep_parks(client, auth, db, role):
    UserFactory(email="x@example.com", role=role)
    auth.login("x@example.com")
    assert client.get("/admin/parks").status_code == 403
    refused = client.post("/admin/parks", data={"parent": "310117", "name": "私设园区"})
    assert refused.status_code == 403 and db.session.scalars(select(Park)).all() == []


def test_the_search_endpoint_is_public_json_without_personal_data(client, db):
    answer = client.get("/regions/search?q=ks")
    assert answer.status_code == 200
    results = answer.get_json()["results"]
    assert {"code": "320583", "name": "昆山市", "path": "江苏 / 苏州 / 昆山市", "depth": 3} in results
    english = client.get("/regions/search?q=ks&lang=en").get_json()["results"]
    assert any(r["path"] == "Jiangsu / Suzhou / Kunshan" for r in english)
    assert client.get("/regions/search").get_json() == {"results": []}
