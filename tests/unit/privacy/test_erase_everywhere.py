"""Issue 14 (PIPL Art. 47): erase reaches every table that holds the person's data.

A prospect is seeded into each such table the way the product puts them there (a web
inquiry, a repeat with email and WeChat, an API retry key, an agent's notes, a stage note,
notifications, an import not yet run, an export searched by their number); after the
erase, the digits of their mobile are found nowhere in the database."""
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
    agent = UserFactory(team=team, email="agent@example.com")
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
    for table in ("lead", "inquiry_repeat", "activity", "notification", "import_job"):
        rows = db.session.execute(text(f'SELECT * FROM "{table}"')).all()
        assert any(DIGITS in " ".join(map(str, r)) for r in rows), table
    assert "zhouming88" in before and db.session.execute(
        text("SELECT count(*) FROM api_idempotency_key")).scalar() == 1

    rights.erase_person("+86" + DIGITS, admin)

    dump = _every_text_in_the_database()
    for trace in (DIGITS, MOBILE, "1234 5678", "zhouming88", "zm@example.cn", "周明"):
        assert trace not in dump, trace
    assert db.session.get(type(job), job.id).total == 0
    assert db.session.execute(text("SELECT count(*) FROM api_idempotency_key")).scalar() == 0
    assert db.session.get(Lead, lead.id).company == "周氏精密"  # non-personal facts stay
