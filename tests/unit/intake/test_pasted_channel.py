"""Issue 28 walkthrough: the paste page left the channel at 电话 for a WeChat message. A
pasted text is taken as WeChat unless it reads as a call note or an SMS."""
import re

import pytest

from crm.intake.channel import pasted_channel
from tests.factories import UserFactory
from tests.unit.intake.test_parse_message import MESSAGE


def _checked_channel(html: str) -> str:
    return re.search(r'<input checked[^>]*name="channel"[^>]*value="(\w+)"', html)[1]


@pytest.mark.parametrize("text, channel", [
    (MESSAGE, "wechat"),                                  # "微信同号", a chat message
    ("老板你好，嘉兴有2000平厂房吗？电话：13912345678", "wechat"),   # 电话 as a label
    ("王总来电，找湖州3000平仓库，13912345678", "phone"),
    ("400热线 李先生 想租地50亩", "phone"),
    ("【短信】您好，我想咨询厂房出租", "phone"),
    ("Called back: needs 2000 sqm in Suzhou", "phone"),
])
def test_the_rule(text, channel):
    assert pasted_channel(text) == channel


def test_the_paste_page_checks_wechat_for_a_wechat_message(client, auth, db):
    UserFactory(email="me@example.com")
    db.session.commit()
    auth.login("me@example.com")
    html = client.post("/agent/leads/new/paste", data={"pasted": MESSAGE}).get_data(as_text=True)
    assert _checked_channel(html) == "wechat"
    html = client.post("/agent/leads/new/paste",
                       data={"pasted": "王总来电，找湖州3000平仓库"}).get_data(as_text=True)
    assert _checked_channel(html) == "phone"
    assert _checked_channel(client.get("/agent/leads/new").get_data(as_text=True)) == "phone"
