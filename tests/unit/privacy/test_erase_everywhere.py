"""Issue 14 (PIPL Art. 47): erase reaches every table that holds the person's data.

A prospect is seeded into each such table the way the product puts them there (a web
inquiry, a repeat with email and WeChat, an API retry key, an agent's notes, a stage note,
notifications, an import not yet run, an export searched by their number); after the
erase, the digits of their mobile are found nowhere in the database."""
from datetime import UTC

from sqlalchemy import select, text

from crm.extensions import db as _db
from crm.intake import importer
from crm.models import Lead, Notification
from crm.privacy import rights
from tests.factories import ChannelFactory, TeamFactory, UserFactory, make_site

MOBILE, DIGITS = "139 1234 5678", "13912345678"


def _every_text_in_the_database() -> str:
    """Every row of every table, as text (the test's own dump, not the app's)."""
    out = []
    for table in _db.metadata.sorted_tables:
        for row in _db.session.execute(text(f'SELECT * FROM "{table.name}"')):
            out.append(" ".join(str(value) for value in row))
    return "\n".join(out)


def test_erase_leaves_no_trace_of_the_mobile(client, auth, db):
    team = TeamFactory(is_default=True)
    UserFactory(team=team, email="agent@example.com")
    admin = UserFactory(role="admin", team=None, email="root@example.com")
    ChannelFactory(team=team)
    _site, key = make_site()
    db.session.commit()
    person = {"contact_name": "周明", "mobile": MOBILE, "consent": "y", "company": "周氏精密",
              "message": f"请打 {DIGITS}", "wechat_id": "zhouming88", "email": "zm@example.cn"}
    assert client.post("/inquiry", data=person).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    # A repeat through the API, with an Idempotency-Key the API remembers.
    api = client.post("/api/v1/inquiries", headers={"X-Api-Key": key, "Idempotency-Key": "k1"},
                      json={"contact_name": "周明", "mobile": DIGITS, "consent": True,
                            "email": "zm@example.cn", "wechat": "zhouming88",
                            "message": f"再问一次 {DIGITS}"})
    assert api.status_code == 201
    auth.login("agent@example.com")
    assert client.post(f"/agent/leads/{lead.id}/follow-ups", data={
        "kind": "call", "body": f"他说另一个号也是 {DIGITS}"}).status_code == 302
    assert client.post(f"/agent/leads/{lead.id}/status", data={
        "status": "qualified", "lost_reason": f"加微信 {DIGITS}"}).status_code == 302
    assert client.post(f"/agent/leads/export.csv?q={DIGITS}").status_code == 200
    auth.logout()
    db.session.add(Notification(channel_id=1, lead_id=lead.id, event="assigned",
                                subject=f"新线索 周明 {DIGITS}", body=f"手机 {DIGITS}"))
    job = importer.create_job("a.csv", f"联系人,手机\n周明,{DIGITS}\n".encode(), admin)
    db.session.commit()
    before = _every_text_in_the_database()
    # Seeded where the product puts it: lead, repeat, notes, notification, import rows.
    for table in ("lead", "inquiry_repeat", "activity", "notification", "import_job", "contact"):
        rows = db.session.execute(text(f'SELECT * FROM "{table}"')).all()
        assert any(DIGITS in " ".join(map(str, r)) for r in rows), table
    assert db.session.execute(text("SELECT count(*) FROM company")).scalar() == 1
    assert "zhouming88" in before and db.session.execute(
        text("SELECT count(*) FROM api_idempotency_key")).scalar() == 1

    rights.erase_person("+86" + DIGITS, admin)

    dump = _every_text_in_the_database()
    for trace in (DIGITS, MOBILE, "1234 5678", "zhouming88", "zm@example.cn", "周明"):
        assert trace not in dump, trace
    assert db.session.get(type(job), job.id).total == 0
    assert db.session.execute(text("SELECT count(*) FROM api_idempotency_key")).scalar() == 0
    erased = db.session.get(Lead, lead.id)
    assert erased.reference and erased.channel == "web"  # non-personal facts stay
    # The company had no credit code and nobody else: it goes, and its name with it (a
    # 个体户's name is often its owner's).
    assert erased.company == "" and db.session.execute(
        text("SELECT count(*) FROM company")).scalar() == 0


def test_copy_and_erase_reach_the_same_rows(db):
    """Issue 27: the copy left out the person's repeat inquiries on someone else's lead while
    the erase removed them; erase left the lost note and the visit's meeting point."""
    from datetime import datetime

    from crm.models import InquiryRepeat, SiteVisit
    from tests.factories import LeadFactory
    admin = UserFactory(role="admin", team=None, email="root@example.com")
    mine = LeadFactory(mobile_e164="+86" + DIGITS, contact_name="周明", company="周氏精密",
                       status="lost", lost_reason=f"加微信后说 {DIGITS} 停用")
    colleague = LeadFactory(mobile_e164="+8613800001111", contact_name="王工", company="周氏精密")
    theirs_elsewhere = InquiryRepeat(original_lead_id=colleague.id, matched_on="company",
                                     contact_name="周明", mobile_e164="+86" + DIGITS,
                                     company="周氏精密", message="再问一次：三千平厂房",
                                     details={"wechat_id": "zhouming88"}, reference="R-REPEAT-1")
    theirs_by_wechat = InquiryRepeat(original_lead_id=colleague.id, matched_on="company",
                                     contact_name="周先生", mobile_e164="", company="周氏精密",
                                     details={"wechat_id": DIGITS})
    someone_else = InquiryRepeat(original_lead_id=mine.id, matched_on="company",
                                 contact_name="李会计", mobile_e164="+8613700002222",
                                 company="周氏精密", message="李会计的问题")
    db.session.add_all([theirs_elsewhere, theirs_by_wechat, someone_else,
                        SiteVisit(lead_id=mine.id, starts_at=datetime(2026, 12, 8, 2, tzinfo=UTC),
                                  meeting_point="周氏精密南门 (老厂区)", map_url="https://map.example/x")])
    db.session.commit()

    copy = rights.export_person("+86" + DIGITS, admin)
    text_of_copy = str(copy)
    assert "再问一次：三千平厂房" in text_of_copy and "R-REPEAT-1" in text_of_copy
    assert "周先生" in text_of_copy and "周氏精密南门" in text_of_copy and "停用" in text_of_copy
    assert "李会计" not in text_of_copy and "王工" not in text_of_copy  # not theirs
    copied = {r.id for r in rights.rows_of("+86" + DIGITS).repeats}
    assert copied == {theirs_elsewhere.id, theirs_by_wechat.id}
    assert rights.erase_preview("+86" + DIGITS)["repeats"] == len(copied)

    rights.erase_person("+86" + DIGITS, admin)
    db.session.expire_all()
    erased = {r.id for r in db.session.scalars(select(InquiryRepeat))
              if r.contact_name == rights.ERASED_NAME}
    assert erased == copied  # the erase reached exactly the rows the copy gave
    lead = db.session.get(Lead, mine.id)
    assert lead.lost_reason == "" and DIGITS not in _every_text_in_the_database()
    visit = db.session.scalars(select(SiteVisit)).one()
    assert visit.meeting_point == "" and visit.map_url == ""
    assert db.session.get(InquiryRepeat, someone_else.id).message == "李会计的问题"
