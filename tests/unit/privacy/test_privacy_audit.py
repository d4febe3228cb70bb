"""PIPL export and erase, the retention job, the audit log (append-only, admin viewer), admin CRUD."""
import json
import re
from datetime import timedelta

from sqlalchemy import select

from crm.extensions import db as _db
from crm.models import Activity, AuditLog, Lead, LostReason, Team, User
from crm.models.types import utcnow
from crm.privacy import rights
from tests.factories import LeadFactory, UserFactory


def test_export_and_erase_one_prospect(client, auth, db):
    UserFactory(email="root@example.com", role="admin")
    lead = LeadFactory(mobile_e164="+8613391219793", contact_name="刘先生", wechat_id="liu888",
                       email="liu@example.com", message="我的电话13391219793", credit_code="91110000600037341L")
    other = LeadFactory(mobile_e164="+8613800001111", contact_name="王女士")
    db.session.add(Activity(lead_id=lead.id, kind="call", body="刘先生说下周看厂"))
    db.session.commit()
    auth.login("root@example.com")
    found = client.post("/admin/privacy", data={"mobile": "133 9121 9793"}).get_data(as_text=True)
    assert lead.reference in found and other.reference not in found
    exported = client.post("/admin/privacy/export", data={"mobile": "13391219793"})
    data = json.loads(exported.get_data(as_text=True))
    # Readable by the person (issue 14): Chinese labels, Shanghai times, words not codes.
    assert [i["编号"] for i in data["咨询"]] == [lead.reference]
    assert data["咨询"][0]["微信号"] == "liu888" and data["咨询"][0]["物业类型"] == "厂房"
    assert data["咨询"][0]["跟进记录"][0]["跟进内容"] == "刘先生说下周看厂"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", data["咨询"][0]["收到时间"])
    # First the confirmation, naming the person and what goes; nothing is erased yet.
    confirm = client.post("/admin/privacy/erase", data={"mobile": "+86 133 9121 9793"})
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "刘先生" in page and lead.reference in page
    assert 'id="erase-scope"' in page and db.session.get(Lead, lead.id).erased_at is None
    assert client.post("/admin/privacy/erase", data={"mobile": "+86 133 9121 9793",
                                                     "confirm": "yes"}).status_code == 302
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.contact_name == "已删除" and "13391219793" not in lead.mobile_e164
    assert (lead.wechat_id, lead.email, lead.message, lead.credit_code) == ("", "", "", None)
    assert lead.erased_at is not None and lead.company  # non-personal facts stay
    assert db.session.scalars(select(Activity.body).where(Activity.lead_id == lead.id)).all() == [""]
    assert db.session.get(Lead, other.id).contact_name == "王女士"
    assert db.session.scalar(select(_db.func.count()).select_from(Lead)) == 2  # counts kept
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["pipl_lookup", "pipl_export", "pipl_erase"]
    page = client.get(f"/agent/leads/{lead.id}").get_data(as_text=True)
    assert "13391219793" not in page and "刘先生" not in page
    bad = client.post("/admin/privacy/erase", data={"mobile": "400 0123 021"})
    assert bad.status_code == 422


def test_retention_job_anonymises_only_leads_closed_long_ago(app, db):
    app.config["CRM_RETENTION_DAYS"] = 730
    long_ago = utcnow() - timedelta(days=800)
    old_won = LeadFactory(status="won", created_at=long_ago)
    db.session.add(Activity(lead_id=old_won.id, kind="status_change", to_status="won",
                            created_at=long_ago + timedelta(days=10)))
    recent_lost = LeadFactory(status="lost", created_at=long_ago)  # lost only last week
    db.session.add(Activity(lead_id=recent_lost.id, kind="status_change", to_status="lost",
                            created_at=utcnow() - timedelta(days=7)))
    open_old = LeadFactory(status="negotiating", created_at=long_ago)
    db.session.commit()
    from workers.tasks import retention_sweep
    assert retention_sweep.delay().get() == 1
    assert rights.retention_sweep() == 0  # idempotent
    db.session.expire_all()
    assert db.session.get(Lead, old_won.id).contact_name == "已删除"
    assert db.session.get(Lead, recent_lost.id).contact_name == "刘先生"
    assert db.session.get(Lead, open_old.id).contact_name == "刘先生"
    entry = db.session.scalars(select(AuditLog)).one()
    assert (entry.action, entry.entity_id, entry.actor_id) == ("retention_erase", old_won.id, None)


def test_audit_log_is_append_only_and_admin_only(app, client, auth, db):
    # No route can change or delete an entry: only GET views exist for it.
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods - {"HEAD", "OPTIONS"} == {"GET"}
    import pathlib

    import crm
    source = "\n".join(p.read_text() for p in pathlib.Path(crm.__file__).parent.rglob("*.py"))
    assert "delete(AuditLog" not in source and "update(AuditLog" not in source
    admin = UserFactory(email="root@example.com", role="admin")
    agent = UserFactory(email="me@example.com")
    lead = LeadFactory(assigned_to=agent)
    auth.login("me@example.com")
    assert client.get("/admin/audit").status_code == 403
    client.post(f"/agent/leads/{lead.id}/reveal")
    auth.logout()
    auth.login("root@example.com")
    html = client.get("/admin/audit?action=reveal_contact").get_data(as_text=True)
    table = html.split('id="audit"')[1]
    assert "查看完整联系方式" in table and agent.name in table
    other = client.get("/admin/audit?action=export").get_data(as_text=True)
    assert "查看完整联系方式" not in other.split('id="audit"')[1]
    assert client.get(f"/admin/audit?actor_id={admin.id}").status_code == 200
    assert client.get("/admin/audit?date_from=nonsense").status_code == 400


def test_admin_manages_users_teams_and_passwords(client, auth, db):
    root = UserFactory(email="root@example.com", role="admin")
    auth.login("root@example.com")
    assert client.post("/admin/teams/new", data={"name": "嘉兴组"}).status_code == 302
    team = db.session.scalars(select(Team).where(Team.name == "嘉兴组")).one()
    response = client.post("/admin/users/new", data={
        "email": "new@example.com", "name": "新顾问", "role": "agent", "team_id": team.id,
        "active": "y", "password": "kiln-harbor-velvet"})
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "new@example.com")).one()
    assert user.team_id == team.id and user.check_password("kiln-harbor-velvet")
    dup = client.post("/admin/users/new", data={"email": "NEW@example.com", "name": "x",
                                                 "role": "agent", "password": "kiln-harbor-velvet"})
    assert dup.status_code == 422
    client.post(f"/admin/users/{user.id}/password", data={"password": "quiet-orchard-lamp"})
    db.session.refresh(user)
    assert user.check_password("quiet-orchard-lamp")
    short = client.post(f"/admin/users/{user.id}/password", data={"password": "short"})
    assert short.status_code == 422
    demote = client.post(f"/admin/users/{root.id}", data={"email": root.email, "name": root.name,
                                                          "role": "agent", "active": "y"})
    assert demote.status_code == 422  # an admin cannot lock themselves out
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["team_create", "user_create", "password_reset"]


def test_managers_keep_the_lost_reasons(client, auth, db):
    UserFactory(email="boss@example.com", role="manager")
    auth.login("boss@example.com")
    client.post("/manage/lost-reasons/", data={"name": "交通不便", "position": "5", "active": "y"})
    reason = db.session.scalars(select(LostReason)).one()
    assert client.post("/manage/lost-reasons/", data={"name": "交通不便", "position": "1",
                                                      "active": "y"}).status_code == 422
    LeadFactory(status="lost", lost_reason_id=reason.id)
    client.post(f"/manage/lost-reasons/{reason.id}/delete")
    db.session.refresh(reason)
    assert reason.active is False  # used by a lead: retired, not deleted
    unused = LostReason(name="其他")
    db.session.add(unused)
    db.session.commit()
    unused_id = unused.id
    client.post(f"/manage/lost-reasons/{unused_id}/delete")
    db.session.expire_all()
    assert db.session.get(LostReason, unused_id) is None
