"""Issue 15: prospects see the business's own name, hotline and WeChat (settings an admin
edits), not "厂房 CRM"; the thank-you page gives a number to call with the reference."""
from sqlalchemy import select

from crm.models import AuditLog
from tests.factories import UserFactory

GOOD = {"contact_name": "刘先生", "mobile": "133 9121 9793", "consent": "y"}


def test_prospects_see_the_brand_and_a_number_to_call(client, auth, db):
    UserFactory(email="root@example.com", role="admin")
    db.session.commit()
    client.post("/inquiry", data=GOOD)
    bare = client.get("/inquiry/thanks").get_data(as_text=True)
    assert "厂房 CRM" not in bare and "厂房仓库咨询" in bare
    assert "请保留您的咨询编号" in bare and "内致电您。如您致电" not in bare

    auth.login("root@example.com")
    wrong = client.post("/admin/branding", data={"brand_name": "长三角厂房网",
                                                  "hotline": "call us", "wechat": ""})
    assert wrong.status_code == 422 and "请输入电话号码" in wrong.get_data(as_text=True)
    assert 'value="长三角厂房网"' in wrong.get_data(as_text=True)       # kept as typed
    assert client.post("/admin/branding", data={"brand_name": "长三角厂房网",
                                                 "hotline": "400-800-1234",
                                                 "wechat": "csj_changfang"}).status_code == 302
    assert db.session.scalars(select(AuditLog.action)).all() == ["branding_edit"]
    auth.logout()

    form = client.get("/inquiry").get_data(as_text=True)
    assert "长三角厂房网" in form and "厂房 CRM" not in form
    client.post("/inquiry", data={**GOOD, "mobile": "139 1234 5678"})
    thanks = client.get("/inquiry/thanks").get_data(as_text=True)
    assert 'href="tel:4008001234"' in thanks and "csj_changfang" in thanks
    assert "联系我们时，请提供您的咨询编号" in thanks
    assert "顾问将在工作时间 30 分钟内致电您。" in thanks
