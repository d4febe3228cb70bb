"""Issue 15: the audit log reads in words (the action, the object, what changed), not in
internal codes and raw JSON."""
from tests.factories import LeadFactory, UserFactory


def test_the_audit_log_is_translated_and_formatted(client, auth, db):
    UserFactory(email="root@example.com", role="admin")
    agent = UserFactory(email="me@example.com", name="李顾问")
    lead = LeadFactory(assigned_to=agent, team=agent.team)
    db.session.commit()
    auth.login("me@example.com")
    client.post(f"/agent/leads/{lead.id}/status", data={"status": "contacted", "note": "已电话沟通"})
    auth.logout()
    auth.login("root@example.com")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "阶段变更" in page and f"线索 {lead.id}" in page
    assert "阶段：" in page
    table = page.split('id="audit"')[1]
    for code in ("status_change", '{"status"', "lead #", "&#34;"):
        assert code not in table
    assert client.get("/admin/audit?action=status_change").status_code == 200
    # An unreadable filter is refused (issue 27: it must never widen to the whole log).
    refused = client.get("/admin/audit?action=" + "x" * 500)
    assert refused.status_code == 400 and "线索 " not in refused.get_data(as_text=True).split('id="audit"')[-1]
