"""Issue 28 walkthrough: the thank-you page promised a call to a prospect who gave no
mobile, and left the place and the property type out of its echo of the need."""
import dataclasses

from crm.intake import policy
from tests.factories import UserFactory, make_site

NEED = {"contact_name": "陈女士", "consent": "y", "deal_type": "rent", "property_type": "factory",
        "region_code": "330522", "region_text": "长兴经济开发区"}


def test_a_wechat_only_prospect_is_told_we_add_them_on_wechat(client, db):
    admin = UserFactory()
    policy.save(dataclasses.replace(policy.current(), public_mobile_required=False), admin)
    assert client.post("/inquiry", data={**NEED, "wechat_id": "chen_wx88"}).status_code == 302
    page = client.get("/inquiry/thanks").get_data(as_text=True)
    assert "添加您的微信" in page and "致电" not in page


def test_the_echo_names_the_need_and_the_place(client, db):
    UserFactory()
    assert client.post("/inquiry", data={**NEED, "mobile": "13391219793"}).status_code == 302
    page = client.get("/inquiry/thanks").get_data(as_text=True)
    noted = page.split('id="understood"')[1].split("</div>")[0]
    assert "租赁 · 厂房" in noted and "长兴县" in noted and "长兴经济开发区" in noted
    assert "致电您" in page


def test_the_embed_thanks_page_says_the_same(client, db):
    site, _key = make_site()
    UserFactory()
    answer = client.post(f"/embed/inquiry?site={site.public_key}",
                         data={**NEED, "mobile": "13391219793 仅微信",
                               "started": _fill_token(client, site)})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "租赁 · 厂房" in page and "添加您的微信" in page    # 仅微信 after the number


def _fill_token(client, site) -> str:
    import re
    html = client.get(f"/embed/inquiry?site={site.public_key}").get_data(as_text=True)
    return re.search(r'name="started"[^>]*value="([^"]+)"', html).group(1)
