"""Issue 17: the same parser behind the CLI, the API and the agent's entry page."""
import json

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
        "mobile": "13912345678", "wechat": "13912345678"}
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
