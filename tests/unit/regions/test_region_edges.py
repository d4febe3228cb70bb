"""What a review of the national regions found (each failed before its fix)."""
from crm import parks, regions
from crm.intake import message
from crm.models import Park


def test_six_digit_gbt2260_city_and_province_codes_are_understood(app):
    assert regions.resolve("330500") == "3305"   # 湖州市 as GB/T 2260 writes it
    assert regions.resolve("330000") == "33"     # 浙江省
    assert regions.resolve("310100") == "31"     # 上海市辖区: the municipality
    assert regions.resolve("330522") == "330522"
    assert regions.resolve("999900") is None


def test_an_everyday_short_name_is_a_place_only_beside_its_city(app):
    # 福田 the truck maker does not blot out the place asked for.
    assert message.read("做福田汽车配套，想在嘉兴租3000平厂房")["region"].value == "3304"
    # 金山 beside 上海 is 金山区; alone it is not read as any of the places so named.
    assert message.read("想在上海金山租3000平厂房")["region"].value == "310116"
    assert "region" not in message.read("金山银山不如绿水青山，租3000平厂房 13391219793")


def test_a_place_holds_at_most_99_parks_so_codes_keep_two_digits(app, db, client, auth):
    from tests.factories import UserFactory
    db.session.add_all([Park(code=f"310117P{n:02d}", parent_code="310117", name=f"园区{n}")
                        for n in range(1, 100)])
    db.session.commit()
    assert parks.next_code("310117") is None and parks.next_code("330522") == "330522P01"
    UserFactory(role="admin", email="admin@example.com")
    auth.login("admin@example.com")
    response = client.post("/admin/parks", data={"parent": "310117", "name": "第一百个园区"})
    assert response.status_code == 422 and "已达上限" in response.get_data(as_text=True)
