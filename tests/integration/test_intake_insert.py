"""A new lead is written by one Core INSERT with its first stage row (crm.intake.capture):
the same row as the ORM wrote, on SQLite and on PostgreSQL, in one statement on PostgreSQL."""
import json
import uuid
from datetime import datetime

import pytest
from psycopg._queries import MAX_CACHED_STATEMENT_PARAMS
from sqlalchemy import event, insert, select

from crm.extensions import db
from crm.intake import capture
from crm.leads import stages
from crm.models import Company, Contact, Lead, LeadStage
from tests.factories import make_site

BODY = {"contact_name": "刘先生", "consent": True, "deal_type": "buy", "property_type": "land",
        "region": "330522", "area_min": 30, "area_max": "50亩", "area_unit": "mu",
        "industry": "nev", "usage": "動力電池PACK", "needs_eia": True, "annual_tax_wan": 1200.5,
        "investment_wan": "30,000", "company": "湖州某某科技有限公司",
        "credit_code": "91110000600037341L", "wechat": "liu_wx", "email": "liu@example.com",
        "message": "尽快看厂", "page_url": "https://partner.example.cn/a/1",
        "referrer": "https://www.baidu.com/", "utm_source": "mini", "utm_medium": "app",
        "utm_campaign": "g60"}
# Companies no earlier run made (the PostgreSQL tables keep theirs between tests).
TAG = uuid.uuid4().hex[:8]
# Differ between two submissions by construction.
OWN = {"id", "reference"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def app_(request):
    app = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    app.config["CRM_SPAM_MIN_FILL_SECONDS"] = 0
    return app


def _post(client, key, mobile, **changed):
    body = {k: v for k, v in (BODY | changed).items() if v is not None}
    response = client.post("/api/v1/inquiries", data=json.dumps({**body, "mobile": mobile}),
                           headers={"X-Api-Key": key}, content_type="application/json")
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    return db.session.scalars(select(Lead).where(Lead.mobile_e164 == "+86" + mobile)).one()


def _orm_insert(lead):
    """What intake did before: the ORM's unit of work, then the stage row."""
    capture._add(lead)
    stages.record_created(lead)


def _row(lead) -> dict:
    row = {c.key: getattr(lead, c.key) for c in Lead.__table__.columns if c.key not in OWN}
    # Instants differ between two submissions; whether they are set may not.
    return {k: (v is not None) if isinstance(v, datetime) else v for k, v in row.items()}


def test_the_core_insert_writes_the_row_the_orm_wrote(app_, monkeypatch):
    with app_.app_context():
        _site, key = make_site()
        client = app_.test_client()
        core = _post(client, key, "13391219793")
        (stage,) = db.session.scalars(select(LeadStage).where(LeadStage.lead_id == core.id))
        assert (stage.stage, stage.reached_at, core.stage_rank) == ("new", core.created_at, 0)
        assert "动力电池" in core.search_text and core.reference.startswith("CF")
        written = _row(core)
        # The same inquiry again, through the ORM, once the first is gone (else a repeat).
        db.session.delete(core)
        db.session.commit()
        monkeypatch.setattr(capture, "_insert_new", _orm_insert)
        orm = _post(client, key, "13391219793")
        assert written == _row(orm)
        (stage,) = db.session.scalars(select(LeadStage).where(LeadStage.lead_id == orm.id))
        assert (stage.stage, stage.reached_at) == ("new", orm.created_at)


def test_a_new_lead_is_one_statement_with_its_stage_row_on_postgresql(pg_app):
    pg_app.config["CRM_SPAM_MIN_FILL_SECONDS"] = 0
    _site, key = make_site()
    seen = []

    bound = {}

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))
        bound[seen[-1]] = len(parameters)
    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        # A company met by no test before (the tables keep theirs between tests).
        lead = _post(pg_app.test_client(), key, "13391219795", company=f"湖州{TAG}科技有限公司",
                     credit_code=None)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    writes = [s for s in seen if "INSERT INTO lead" in s]
    assert len(writes) == 1 and "INSERT INTO lead_stage" in writes[0], writes
    assert db.session.scalars(select(LeadStage.stage).where(LeadStage.lead_id == lead.id)).all() \
        == ["new"]
    # A person not met before, of a company not met before: their contact and the company
    # are made by that same statement, the lead on both.
    assert [s for s in seen if "INSERT INTO contact" in s] == writes
    assert [s for s in seen if "INSERT INTO company" in s] == writes
    # Few enough values that psycopg keeps the parsed statement (else parsed per inquiry):
    # the contact's columns that equal the lead's are bound once.
    assert bound[writes[0]] <= MAX_CACHED_STATEMENT_PARAMS
    contact = db.session.scalars(select(Contact).where(Contact.mobile_e164 == "+8613391219795")).one()
    assert (lead.contact_id, lead.contact_seq) == (contact.id, 1)
    assert lead.company_id == contact.company_id is not None
    assert contact.consent_at == lead.consent_at and contact.name == "刘先生"
    company = db.session.get(Company, lead.company_id)
    assert (company.name, company.name_key, company.credit_code, company.industry) == (
        f"湖州{TAG}科技有限公司", f"湖州{TAG}科技", None, "nev")
    assert company.created_at == lead.created_at


def test_a_company_made_meanwhile_by_another_inquiry_is_joined_not_doubled(pg_app, monkeypatch):
    """Two people of one new company at once: the second's statement fails on the company's
    unique name and is retried whole; the retry finds the company the first made."""
    pg_app.config["CRM_SPAM_MIN_FILL_SECONDS"] = 0
    _site, key = make_site()
    real, calls = capture._insert_new, []

    def other_inquiry_first(lead, person=None, company=None):
        calls.append(company)
        if len(calls) == 1:   # between our match (no company) and our INSERT
            with db.engine.connect() as other:
                # Not for ever, should this request hold the name already (it may not).
                other.exec_driver_sql("SET lock_timeout = '5s'")
                other.execute(insert(Company).values(
                    name=f"湖州{TAG}模具有限公司", name_key=f"湖州{TAG}模具", created_at=lead.created_at))
                other.commit()
        return real(lead, person, company)

    monkeypatch.setattr(capture, "_insert_new", other_inquiry_first)
    lead = _post(pg_app.test_client(), key, "13391219798", company=f"湖州{TAG}模具有限公司",
                 credit_code=None)
    assert calls[0] is not None and calls[1] is None   # made by us, then found
    (company,) = db.session.scalars(select(Company).where(Company.name_key == f"湖州{TAG}模具"))
    contact = db.session.scalars(select(Contact).where(Contact.mobile_e164 == "+8613391219798")).one()
    assert lead.company_id == contact.company_id == company.id
    assert lead.status == "new" and lead.contact_id == contact.id


def test_a_new_company_is_made_when_the_lead_goes_the_long_way(pg_app, monkeypatch):
    """A lead whose first stage is not recorded is inserted without the one statement: the
    company left to that statement is made on its own, and the contact and the lead are on it."""
    pg_app.config["CRM_SPAM_MIN_FILL_SECONDS"] = 0
    _site, key = make_site()
    monkeypatch.setattr(capture.stages, "reached", lambda lead, stage: False)
    lead = _post(pg_app.test_client(), key, "13391219790", company=f"湖州{TAG}包装有限公司",
                 credit_code=None)
    (company,) = db.session.scalars(select(Company).where(Company.name_key == f"湖州{TAG}包装"))
    contact = db.session.scalars(select(Contact).where(Contact.mobile_e164 == "+8613391219790")).one()
    assert lead.company_id == contact.company_id == company.id
    assert lead.contact_id == contact.id


def test_an_agents_entry_and_spam_keep_their_stage_rules(app_):
    """Spam is no stage (no row); a lead an agent types in starts at "new" like the rest."""
    from crm.intake import spam
    with app_.app_context():
        _site, key = make_site()
        client = app_.test_client()
        real = _post(client, key, "13391219796")
        assert db.session.scalars(select(LeadStage.stage)
                                  .where(LeadStage.lead_id == real.id)).all() == ["new"]
        lead = Lead(contact_name="王", mobile_e164="+8613391219797", status="spam",
                    created_at=real.created_at, channel="web", deal_type="rent",
                    property_type="factory", consent=True)
        outcome, _ = capture._save(lead, ["honeypot"], None)
        assert outcome.status == "spam" and not spam.only_haste(["honeypot"])
        assert db.session.scalars(select(LeadStage).where(LeadStage.lead_id == outcome.lead_id)
                                  ).all() == []


@pytest.mark.integration
@pytest.mark.parametrize("person", [
    {"mobile": "mobile"},                                   # the advisory lock on the mobile
    {"company": "宁波某某模具有限公司", "name": "钱经理"},     # neither key: company + name
])
def test_one_contact_under_concurrency(pg_app, person):
    """Issue 30: two inquiries from one new person at once make one contact and one need
    (the second waits on the advisory lock, then finds both: a repeat), not two contacts."""
    import threading
    import uuid

    from sqlalchemy import func

    from crm.inputs.phone import parse_mobile
    from crm.intake.inquiry import ContactInput, Inquiry, NeedInput, Source
    from crm.models import Contact, InquiryRepeat

    tag = uuid.uuid4().int % 10**8       # the tables keep contacts between tests
    mobile = parse_mobile(f"139{tag:08d}") if "mobile" in person else None
    name = person.get("name", "钱经理")
    company = f"{person['company']}{tag}" if "company" in person else ""
    inquiry = Inquiry(contact=ContactInput(name=name, mobile=mobile, company=company),
                      need=NeedInput(deal_type="rent", property_type="factory"),
                      source=Source(channel="import"), consent=True)
    start, outcomes, errors = threading.Barrier(2), [], []

    def submit():
        with pg_app.app_context():
            try:
                start.wait()
                outcomes.append(capture.capture_inquiry(inquiry, route=False, auto_reply=False))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(o.status for o in outcomes) == ["duplicate", "new"]
    contacts = {o.contact_id for o in outcomes}
    assert len(contacts) == 1 and None not in contacts
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Contact)
                             .where(Contact.id.in_(contacts))) == 1
    assert db.session.scalar(select(func.count()).select_from(InquiryRepeat)
                             .where(InquiryRepeat.contact_id.in_(contacts))) == 1


@pytest.mark.integration
def test_the_prospects_lock_is_held_until_the_inquiry_commits(pg_app):
    """The advisory locks are taken inside the inquiry's transaction (held by it, released
    by its commit): taken outside it (autocommit, a pooler's session) they would serialise
    nothing."""
    from sqlalchemy import text

    lead = Lead(mobile_e164="+8613391219799", wechat_id="liu_wx_99", contact_name="刘")
    capture._serialise_same_prospect(lead)
    pid = db.session.scalar(text("SELECT pg_backend_pid()"))

    def held() -> int:
        with db.engine.connect() as other:
            return other.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                     "AND pid = :pid AND granted"), {"pid": pid})

    assert held() == 2                     # the mobile and the WeChat ID
    assert db.session.scalar(text("SELECT now() = statement_timestamp()")) is False  # one transaction
    db.session.commit()
    assert held() == 0
