"""Issue 28 walkthrough: agent entry's consent line read "将我的联系方式" although the agent
enters the prospect's details."""
from tests.factories import UserFactory


def _consent_line(html: str) -> str:
    return html.split('class="field consent')[1].split("</label>")[0]


def test_agent_entry_speaks_of_the_prospects_details(client, auth, db):
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    line = _consent_line(client.get("/agent/leads/new").get_data(as_text=True))
    assert "我的" not in line and "客户的联系方式" in line
    public = _consent_line(client.get("/inquiry").get_data(as_text=True))
    assert "将我的联系方式" in public and "客户" not in public
