import re
from tests.factories import UserFactory
def test_dbg(client, auth, db):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    r = client.post("/agent/leads/new", data={"contact_name": "刘总", "consent": "y", "channel": "wechat",
        "mobile": "13391219793", "company": "某某公司", "annual_tax_wan": "300", "property_type": "factory", "area_min": "3000"})
    loc = r.headers["Location"]
    client.get("/lang/en")
    html = client.get(loc).get_data(as_text=True)
    body = html[html.index("<main"):]
    text = re.sub(r"<[^>]+>", " ", body)
    for line in text.splitlines():
        if re.search(r"[\u4e00-\u9fff]", line): print(repr(line.strip()[:200]))
