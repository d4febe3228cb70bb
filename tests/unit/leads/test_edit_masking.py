"""crm.leads.edit: the edit form shows contact details as the editor may see them, and a
field sent back masked keeps the stored value."""
from werkzeug.datastructures import MultiDict

from crm.leads import edit
from tests.factories import LeadFactory, TeamFactory, UserFactory


def _world():
    team = TeamFactory()
    owner = UserFactory(team=team)
    senior = UserFactory(team=team, is_senior=True)
    lead = LeadFactory(team=team, assigned_to=owner, escalated_to_id=senior.id,
                       mobile_e164="+8613912345678", mobile_display="139 1234 5678",
                       mobile_note="晚上打", wechat_id="zhouming88", email="zm@example.cn")
    return lead, owner, senior


def test_the_owner_edits_the_contact_details_as_stored(db):
    lead, owner, _senior = _world()
    data = {"company": "x", **edit.contact_as_typed(lead)}
    assert data["mobile"] == "139 1234 5678 晚上打"
    assert edit.masked_for(owner, lead, data) == data
    posted = MultiDict({"mobile": "139****5678", "wechat_id": "new"})
    assert edit.unmasked(owner, lead, posted) == posted  # what the owner typed is kept


def test_whoever_may_not_read_them_gets_them_masked_and_keeps_them_on_save(db):
    lead, _owner, senior = _world()
    shown = edit.masked_for(senior, lead, {"company": "x", **edit.contact_as_typed(lead)})
    assert shown == {"company": "x", "mobile": "139****5678", "wechat_id": "zh****88",
                     "email": "z***@example.cn"}
    posted = MultiDict({**shown, "email": "new@example.cn"})
    back = edit.unmasked(senior, lead, posted)
    assert back["mobile"] == "139 1234 5678 晚上打" and back["wechat_id"] == "zhouming88"
    assert back["email"] == "new@example.cn" and back["company"] == "x"
    assert posted["mobile"] == "139****5678"  # the request's own data is left alone
