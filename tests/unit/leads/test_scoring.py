"""The lead score: explainable, weighted from config, 0-100, stored on create and update."""
from datetime import timedelta
from decimal import Decimal

from crm.leads import scoring
from crm.models import InquiryRepeat
from crm.models.types import utcnow
from tests.factories import LeadFactory, UserFactory

FULL = dict(deal_type="buy", property_type="land", region_code="3305", area_min_sqm=Decimal("20000"),
            area_max_sqm=Decimal("20000"), industry="nev", usage="电池", annual_tax_wan=Decimal("1500"),
            investment_wan=Decimal("300000"), company="湖州某公司", credit_code="91110000600037341L",
            credit_code_valid=True)


def test_a_complete_big_land_project_scores_100(app, db):
    lead = LeadFactory(**FULL)
    # Issue 30: asking again is a repeat of this need; another lead of the mobile is another
    # need and no longer counts.
    LeadFactory(mobile_e164=lead.mobile_e164, created_at=utcnow() - timedelta(days=3))
    assert scoring.compute(lead).value == 95
    db.session.add(InquiryRepeat(original_lead_id=lead.id, matched_on="mobile",
                                 created_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    score = scoring.compute(lead)
    assert score.value == 100
    assert [f.name for f in score.factors] == ["tax", "investment", "tax_per_mu", "completeness",
                                                "industry_fit", "repeat"]


def test_tax_per_mu_only_for_land(app, db):
    # 1500万 tax on 20000 ㎡ = 30 亩 → 50 万元/亩: the top tier.
    land = LeadFactory(**FULL)
    assert scoring.tax_per_mu(land) == Decimal("50.0")
    factory = LeadFactory(**{**FULL, "property_type": "factory"})
    assert "tax_per_mu" not in [f.name for f in scoring.compute(factory).factors]
    thin = LeadFactory(**{**FULL, "annual_tax_wan": Decimal("100")})  # 3.3 万/亩
    tpm = next(f for f in scoring.compute(thin).factors if f.name == "tax_per_mu")
    assert tpm.points == tpm.weight * 0.1


def test_an_empty_lead_scores_low_with_reasons(app, db):
    lead = LeadFactory(investment_wan=None, company="", property_type=None, deal_type=None)
    score = scoring.compute(lead)
    assert score.value == 0
    with app.test_request_context("/?lang=en"):
        reasons = [str(f.reason) for f in score.factors]
    assert "No annual tax stated" in reasons and "Industry not stated" in reasons
    assert "0 of 10 details given" in reasons


def test_weights_come_from_config(app, db):
    lead = LeadFactory(investment_wan=None, company="", property_type="factory", industry="nev")
    before = scoring.compute(lead).value
    app.config["CRM_SCORE_WEIGHTS"] = {**app.config["CRM_SCORE_WEIGHTS"], "industry_fit": 80}
    assert scoring.compute(lead).value > before
    app.config["CRM_LEADING_TRACKS"] = ["ic"]
    outside = next(f for f in scoring.compute(lead).factors if f.name == "industry_fit")
    assert outside.points == 80 * 0.3


def test_config_parses_weights_from_the_environment(monkeypatch):
    from config import Config
    monkeypatch.setenv("CRM_SCORE_WEIGHTS", "tax=40,bogus=3,investment=x")
    weights = Config().CRM_SCORE_WEIGHTS
    assert weights["tax"] == 40 and "bogus" not in weights and weights["investment"] == 20


def test_score_is_stored_on_capture_and_on_follow_up(client, auth, db):
    from sqlalchemy import select

    from crm.models import Lead
    client.post("/inquiry", data={"contact_name": "刘先生", "mobile": "13391219793", "consent": "y",
                                  "annual_tax_wan": "500", "property_type": "factory"})
    lead = db.session.scalars(select(Lead)).one()
    assert lead.score is not None and lead.score == scoring.compute(lead).value
    me = UserFactory(email="me@example.com")
    lead.assigned_to_id, lead.score = me.id, None
    db.session.commit()
    auth.login("me@example.com")
    client.post(f"/agent/leads/{lead.id}/follow-ups", data={"kind": "call", "outcome": "reached"})
    db.session.refresh(lead)
    assert lead.score is not None
