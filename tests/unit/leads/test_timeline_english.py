"""Issue 28 walkthrough: in English the timeline stayed Chinese. The system writes its notes
in the default language (they are stored, exported, mailed); the page shows each line that
is one of the code's phrases in the reader's language, and what people typed as typed."""
import re

from sqlalchemy import select

from crm.models import Activity, Lead
from tests.factories import UserFactory


def _timeline(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html.split('id="timeline"')[1].split("</section>")[0])


def test_system_notes_in_english_and_typed_words_as_typed(client, auth, db):
    UserFactory(email="me@example.com", name="王招商")
    auth.login("me@example.com")
    client.post("/agent/leads/new", data={"contact_name": "刘总", "consent": "y",
                                          "channel": "wechat", "mobile": "13391219793"})
    lead = db.session.scalars(select(Lead)).one()
    db.session.add(Activity(lead_id=lead.id, kind="note", body="客户希望月底前看厂\n由 王招商 录入，归其跟进。"))
    db.session.commit()
    chinese = _timeline(client.get(f"/agent/leads/{lead.id}").get_data(as_text=True))
    assert "由 王招商 录入，归其跟进。" in chinese
    english = _timeline(client.get(f"/agent/leads/{lead.id}?lang=en").get_data(as_text=True))
    assert "Entered by 王招商, who keeps it." in english
    assert "由 王招商 录入" not in english
    assert "客户希望月底前看厂" in english                        # typed: as typed
    stored = db.session.scalars(select(Activity.body).where(Activity.kind == "note")).all()
    assert any("由 王招商 录入，归其跟进。" in body for body in stored)   # stored unchanged


def test_each_line_on_its_own(app):
    from crm.i18n import force_locale, in_ui_language
    with app.test_request_context("/?lang=en"), force_locale("en"):
        text = in_ui_language("由 甲 录入，归其跟进。\n随便写的一行\n按轮询分配给 顾问0。")
    assert text == "Entered by 甲, who keeps it.\n随便写的一行\n顾问0 chosen by round-robin."
