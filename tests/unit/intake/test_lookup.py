"""Issue 17: a prospect calls and quotes their reference; any agent finds the lead by that
exact number, sees a card without contact details, and can tell the owner."""
from sqlalchemy import func, select

from crm.models import Activity, AuditLog, InquiryRepeat, Notification
from tests.factories import ChannelFactory, LeadFactory, TeamFactory, UserFactory, known_lead


def test_any_agent_finds_a_card_by_the_exact_reference_and_tells_the_owner(client, auth, db):
    owner = UserFactory(email="owner@example.com", name="李招商", team=TeamFactory())
    ChannelFactory(user=owner, target="http://127.0.0.1:9/owner")
    UserFactory(email="me@example.com", name="王接线", team=TeamFactory())
    lead = LeadFactory(assigned_to=owner, team=owner.team, contact_name="刘先生",
                       mobile_e164="+8613391219793", mobile_display="133 9121 9793",
                       property_type="factory")
    db.session.add(InquiryRepeat(original_lead_id=lead.id, matched_on="mobile",
                                 reference="CF261202-7K4QX"))
    db.session.commit()
    auth.login("me@example.com")

    card = client.get(f"/agent/lookup?ref={lead.reference.lower()}")
    html = card.get_data(as_text=True)
    assert card.status_code == 200 and 'id="lead-card"' in html and "李招商" in html
    assert "133****9793" in html and "133 9121 9793" not in html and "刘先生" not in html
    assert client.get(f"/agent/leads/{lead.id}").status_code == 403   # still not theirs
    # A repeat inquiry's own reference finds the same lead; a prefix finds nothing.
    assert 'id="lead-card"' in client.get("/agent/lookup?ref=CF261202-7K4QX").get_data(as_text=True)
    assert client.get(f"/agent/lookup?ref={lead.reference[:-1]}").status_code == 404

    assert client.post("/agent/lookup/tell-owner", data={"ref": str(lead.id)}).status_code == 404
    assert client.post("/agent/lookup/tell-owner", data={"ref": lead.reference}).status_code == 302
    note = db.session.scalars(select(Activity).where(Activity.lead_id == lead.id,
                                                     Activity.kind == "note")).one()
    assert "王接线" in note.body and lead.reference in note.body
    assert db.session.scalars(select(Notification.event)).one().startswith("caller_waiting:")
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert actions.count("lookup_card") == 2 and "tell_owner" in actions


def test_the_owner_goes_straight_to_the_lead(client, auth, db):
    owner = UserFactory(email="owner@example.com")
    lead = LeadFactory(assigned_to=owner, team=owner.team)
    db.session.commit()
    auth.login("owner@example.com")
    response = client.get(f"/agent/lookup?ref={lead.reference}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/agent/leads/{lead.id}")


def test_the_owner_gets_one_tap_copy_buttons_a_stranger_does_not(client, auth, db):
    owner = UserFactory(email="owner@example.com")
    lead = LeadFactory(assigned_to=owner, team=owner.team, mobile_e164="+8613391219793",
                       mobile_display="133 9121 9793", wechat_id="liu_wx2026")
    UserFactory(email="boss@example.com", role="manager", team=TeamFactory())
    db.session.commit()
    auth.login("owner@example.com")
    html = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert 'data-copy="13391219793"' in html and 'data-copy="liu_wx2026"' in html


def test_another_agent_entering_someone_elses_prospect_is_told_who_owns_it(client, auth, db):
    """撞单: the same WeChat ID (no mobile typed) is the same contact; asking about the same
    need is a repeat of it. (A different mobile beside it would be another person: issue 30.)"""
    from crm.models import Lead
    owner = UserFactory(email="owner@example.com", name="李招商")
    UserFactory(email="me@example.com", name="王新人")
    first = known_lead(assigned_to=owner, team=owner.team, wechat_id="liu_factory88",
                       mobile_e164="+8613391219793")
    auth.login("me@example.com")
    response = client.post("/agent/leads/new", data={
        "contact_name": "刘总", "wechat_id": "liu_factory88",
        "consent": "y", "channel": "wechat"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "李招商已在跟进这位客户" in html
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 1
    repeat = db.session.scalars(select(InquiryRepeat)).one()
    assert repeat.original_lead_id == first.id and repeat.matched_on == "wechat"


def test_what_people_type_in_the_wechat_box_does_not_join_two_prospects(client, db):
    from crm.models import Lead
    LeadFactory(wechat_id="同手机号", mobile_e164="+8613912345678")
    db.session.commit()
    client.post("/inquiry", data={"contact_name": "陈女士", "mobile": "138 0013 8000",
                                  "wechat_id": "同手机号", "consent": "y"})
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 2
