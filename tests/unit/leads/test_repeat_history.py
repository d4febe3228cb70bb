"""Issue 15: a lead that asked again many times shows one count and a paged history (the
page of a lead with 1,204 repeats rendered all of them, 487 KB)."""
import re

from crm.models import InquiryRepeat
from tests.factories import LeadFactory, UserFactory


def test_repeat_history_is_paged_with_one_count(client, auth, db):
    agent = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=agent)
    db.session.add_all(InquiryRepeat(original_lead_id=lead.id, matched_on="mobile",
                                     message=f"第{i}次询问") for i in range(45))
    db.session.commit()
    auth.login("me@example.com")
    first = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert "再次咨询 45 次" in first
    assert first.count("次询问</div>") == 20 and "第44次询问" in first and "第24次询问" not in first
    assert first.count('id="repeats"') == 1
    older = re.search(r'href="([^"]*repeats_before=\d+)[^"]*"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert "第24次询问" in second and "第44次询问" not in second
    third = client.get(re.search(r'href="([^"]*repeats_before=\d+)[^"]*"', second).group(1)
                       .replace("&amp;", "&")).get_data(as_text=True)
    assert third.count("次询问</div>") == 5 and "较早的咨询" not in third
    hostile = client.get(f"/agent/leads/{lead.id}?repeats_before=99999999999999999999")
    assert hostile.status_code == 200
