"""Issue 28 walkthrough: "仅微信" typed alone in the mobile box (the hint suggests it) means
"WeChat only, no mobile" where a WeChat ID is given, brackets and all."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.inputs.phone import asks_wechat_only
from crm.intake import policy
from crm.models import Lead
from tests.conftest import errors_in
from tests.factories import UserFactory


@pytest.mark.parametrize("typed", ["仅微信", "((仅微信))", "（（仅微信））", "(仅微信)", "只加微信",
                                   "微信联系", "WeChat only", "仅 VX", "【仅微信】"])
def test_wechat_words_alone_are_wechat_only(typed, client, auth, db):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    response = client.post("/agent/leads/new", data={
        "contact_name": "刘总", "consent": "y", "channel": "wechat", "mobile": typed,
        "wechat_id": "liu_factory88"})
    assert response.status_code == 302, errors_in(response.get_data(as_text=True))
    lead = db.session.scalars(select(Lead)).one()
    assert lead.mobile_e164 is None and lead.wechat_id == "liu_factory88"
    assert lead.contact_preference == "wechat"


def test_wechat_only_needs_the_wechat_id_and_the_public_rule(client, db):
    import dataclasses
    admin = UserFactory()
    form = {"contact_name": "陈女士", "consent": "y", "mobile": "仅微信"}
    refused = client.post("/inquiry", data={**form, "wechat_id": "chen_wx88"})
    assert refused.status_code == 422        # the admin's rule: a mobile on the public form
    assert errors_in(refused.get_data(as_text=True)) == ["请输入手机号码；可在号码后注明“仅微信”。"]
    assert 'value="仅微信"' in refused.get_data(as_text=True)
    policy.save(dataclasses.replace(policy.current(), public_mobile_required=False), admin)
    alone = client.post("/inquiry", data=form)
    assert alone.status_code == 422
    assert errors_in(alone.get_data(as_text=True)) == ["请填写您的微信号，以便我们添加您。"]
    saved = client.post("/inquiry", data={**form, "wechat_id": "chen_wx88"})
    assert saved.status_code == 302
    assert db.session.scalars(select(Lead.wechat_id)).one() == "chen_wx88"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="仅只加请用微信联系号()（）【】 wechatonlyWXVX-", max_size=20))
def test_a_box_without_digits_naming_wechat_is_wechat_only(text):
    lowered = text.lower()
    assert asks_wechat_only(text) == any(w in lowered.replace("ｗ", "w")
                                         for w in ("微信", "wechat", "weixin", "vx", "wx"))


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True), st.sampled_from(["", " 仅微信", "((仅微信))"]))
def test_a_number_is_never_wechat_only(number, note):
    assert not asks_wechat_only(number + note)
