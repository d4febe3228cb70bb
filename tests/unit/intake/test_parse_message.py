"""Issue 17: the same parser behind the CLI, the API and the agent's entry page."""
import json

import pytest
from sqlalchemy import func, select

from crm.models import Lead
from tests.factories import UserFactory, make_site

MESSAGE = ("你好，我们是做新能源汽车零部件的，想在嘉兴或者湖州长兴租个单层厂房，3000-5000平，"
           "层高8米以上，需要环评，年税收大概300万，投资5000万左右。苏州某某精密机械有限公司 "
           "王经理 139 1234 5678 微信同号")


def test_cli_prints_the_api_fields_found(runner):
    result = runner.invoke(args=["crm", "parse-message"], input=MESSAGE)
    assert result.exit_code == 0, result.output
    fields = json.loads(result.output)
    assert fields == {
        "usage": "新能源汽车零部件", "industry": "nev", "region": "33", "deal_type": "rent",
        "property_type": "factory", "area_min": 3000.0, "area_max": 5000.0, "area_unit": "sqm",
        "needs_eia": True, "annual_tax_wan": 300.0, "investment_wan": 5000.0,
        "company": "苏州某某精密机械有限公司", "contact_name": "王经理",
        "mobile": "13912345678", "wechat": "13912345678",
        "ceiling_height_m": 8.0, "single_storey": True}   # issue 28: 层高8米以上, 单层
    empty = runner.invoke(args=["crm", "parse-message"], input="谢谢，再联系")
    assert json.loads(empty.output) == {}


def test_api_parse_reads_and_stores_nothing(client, db):
    _site, key = make_site()
    answer = client.post("/api/v1/parse", json={"text": MESSAGE}, headers={"X-Api-Key": key})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["fields"]["mobile"] == "13912345678"
    assert body["sources"]["annual_tax_wan"] == "年税收大概300万"
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0
    assert client.post("/api/v1/parse", json={"text": MESSAGE}).status_code == 401
    assert client.post("/api/v1/parse", json={"text": " "},
                       headers={"X-Api-Key": key}).status_code == 422
    assert client.post("/api/v1/parse", data="[1]", content_type="application/json",
                       headers={"X-Api-Key": key}).status_code == 422


def test_the_agent_pastes_a_message_and_gets_the_form_filled(client, auth, db):
    UserFactory(email="me@example.com")
    db.session.commit()
    auth.login("me@example.com")
    page = client.post("/agent/leads/new/paste", data={"pasted": MESSAGE})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="王经理"' in html and 'value="13912345678"' in html
    assert 'value="苏州某某精密机械有限公司"' in html
    assert "<mark" in html and "年税收大概300万" in html        # the words each field came from
    assert "来自：“3000-5000平”" in html
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0   # nothing saved yet


def test_a_number_labelled_wechat_is_not_taken_for_the_mobile():
    from crm.intake import message
    fields = message.as_fields(message.read("微信：13912345678 电话13812345678"))
    assert fields == {"mobile": "13812345678", "wechat": "13912345678"}
    both = message.as_fields(message.read("手机同微信：13866661234"))
    assert both == {"mobile": "13866661234", "wechat": "13866661234"}
    # A run of thousands of digits reads as nothing (and, bench-side, quickly).
    assert message.as_fields(message.read("1" * 5000)) == {}


@pytest.mark.parametrize("text, code", [
    ("昆山有没有厂房出租？3000平左右 胡先生 18912561234", "320583"),
    ("想在宁波北仑租个仓库，5000平", "330206"),            # county under its city
    ("合肥经开区 厂房 4000平 租", "340177"),                # how people say 合肥经济技术开发区
    ("合肥經開區有地嗎，50畝", "340177"),                   # traditional characters
    ("上海临港新片区找研发楼", "310115P01"),                # a park the admins keep
    ("长春朝阳区的仓库", "220104"),                         # a shared name beside its city
    ("嘉兴或者湖州长兴都可以", "33"),                       # two places: what they share
])
def test_the_reader_finds_places_down_to_county_and_park(app, text, code):
    from crm import parks
    from crm.intake import message
    parks.seed_defaults()
    assert message.as_fields(message.read(text))["region"] == code


@pytest.mark.parametrize("text", [
    "朝阳区的仓库有吗",             # 朝阳区 of 北京 or of 长春: no city, no guess
    "新建厂房2000平，高台库优先",   # 新建 (南昌新建区), 高台 (高台县) are words here
    "做吉利汽车配套的，找厂房",     # 吉利 the car maker, not 洛阳吉利区
])
def test_the_reader_does_not_guess_a_place_from_a_common_word(app, text):
    from crm.intake import message
    assert "region" not in message.as_fields(message.read(text))
