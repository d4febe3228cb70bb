"""A reference number drawn twice: intake must draw again, on SQLite and on PostgreSQL."""
import itertools

from sqlalchemy import select

from crm.models import Lead


def post_with_colliding_references(app, monkeypatch, client, key: str) -> list[Lead]:
    """Post three inquiries whose first draws all give the first lead's reference."""
    from crm.intake import reference

    draws = itertools.chain(["CF261123-AAAAA"] * 3, ["CF261123-BBBBB"] * 2, ["CF261123-CCCCC"])
    monkeypatch.setattr(reference, "new_reference", lambda *a, **k: next(draws))
    answers = [client.post("/api/v1/inquiries", headers={"X-Api-Key": key},
                           json={"contact_name": "刘先生", "mobile": mobile, "consent": True})
               for mobile in ("13391219711", "13391219712", "13391219713")]
    assert [a.status_code for a in answers] == [201, 201, 201], [a.get_json() for a in answers]
    assert [a.get_json()["reference"] for a in answers] == [
        "CF261123-AAAAA", "CF261123-BBBBB", "CF261123-CCCCC"]
    with app.app_context():
        from crm.extensions import db
        return list(db.session.scalars(select(Lead).order_by(Lead.id)))
