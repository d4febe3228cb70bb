"""Permission matrix: every role × every route of the app's url_map.

A new route fails test_every_route_is_classified until it is added to MINIMUM_ROLE, so
no route ships without a decision on who may use it.
"""
from decimal import Decimal

import pytest

from crm.models import (
    Company,
    Contact,
    ImportJob,
    Listing,
    ListingImage,
    LostReason,
    NotificationChannel,
    Park,
)
from tests.factories import LeadFactory, RuleFactory, TeamFactory, UserFactory

# Routes anyone may open, logged in or not.
PUBLIC = {"static", "public.index", "public.inquiry", "public.thanks", "public.privacy",
          "public.set_language", "listings.public", "auth.login", "api.openapi",
          "ops.healthz", "ops.readyz", "ops.prometheus", "regions.region_search"}
# Routes with their own gate, tested in their own modules: the API's key (401), the embed's
# site key, and export jobs that belong to the user who started them. Here: never a 500.
OWN_GATE = {"api.create_inquiry", "public.embed_inquiry", "public.embed_thanks",
            "reports.export", "reports.export_job", "reports.export_status",
            "reports.export_download"}

MINIMUM_ROLE = {
    **{endpoint: "public" for endpoint in PUBLIC},
    **{endpoint: "own" for endpoint in OWN_GATE},
    "agent.new_lead": "agent",
    "reports.speed": "agent", "reports.ranking": "agent", "reports.funnel": "manager",
    "reports.pipeline": "manager", "reports.sources": "manager", "reports.contacts": "manager",
    "manage.spam_list": "manager", "manage.spam_release": "manager",
    "manage.site_list": "admin", "manage.site_new": "admin", "manage.site_edit": "admin",
    "manage.site_rotate_key": "admin",
    "auth.logout": "agent",
    "auth.change_password": "agent",
    "agent.paste_message": "agent",
    "agent.lookup_reference": "agent",
    "agent.tell_owner": "agent",
    "api.parse_message": "own", "api.contact_needs": "own",
    "admin.branding_settings": "admin",
    "admin.intake_policy": "admin",
    "manage.site_qr": "admin",
    "listings.qr": "public",
    "listings.public_list": "public",
    "listings.embed_list": "own",
    "workcalendar.index": "admin",
    "workcalendar.set_day": "admin",
    "workcalendar.paste_notice": "admin",
    "agent.my_leads": "agent", "agent.poll": "agent", "agent.export_leads": "agent",
    "agent.claim": "agent", "agent.lead_detail": "agent", "agent.reveal": "agent",
    "agent.add_follow_up": "agent", "agent.change_status": "agent", "agent.edit_lead": "agent",
    "agent.merge_lead": "agent", "agent.link_listing": "agent",
    # A repeat's differences adopted, or the repeat made a need: who may work the lead.
    "agent.adopt_repeat": "agent", "agent.split_repeat": "agent",
    # Deals and the pipeline: who may work the need (tested in tests/unit/deals, reporting).
    "agent.sign_deal": "agent", "agent.edit_deal": "agent", "agent.fall_through": "agent",
    "agent.edit_expectation": "agent",
    "manage.stage_probabilities": "manager",
    "manage.spend_list": "manager", "manage.spend_new": "manager", "manage.spend_edit": "manager",
    "manage.spend_delete": "manager",
    "reports.forecast": "manager", "reports.deals": "manager", "reports.parks": "manager",
    "reports.occupancy": "manager", "reports.roi": "manager",
    # A contact or company: whoever sees one of its needs (else 404), tested in tests/unit/contacts.
    "contacts.contact": "agent", "contacts.reveal": "agent", "contacts.company": "agent",
    "agent.reassign": "manager", "agent.bulk_reassign": "manager",
    "listings.index": "agent", "listings.detail": "agent", "listings.edit": "agent",
    "listings.delete": "manager",
    # Photos: who may edit the listing (the world's listing was entered by its agent).
    "listings.photo_upload": "agent", "listings.photo_panel": "agent",
    "listings.photo_move": "agent", "listings.photo_cover": "agent",
    "listings.photo_caption": "agent", "listings.photo_delete": "agent",
    "listings.media": "own",
    "lost_reasons.index": "manager", "lost_reasons.edit": "manager", "lost_reasons.delete": "manager",
    "imports.upload": "manager", "imports.mapping": "manager", "imports.dry_run": "manager",
    "imports.progress_page": "manager", "imports.progress": "manager",
    "imports.dry_run_result": "manager",
    "reports.index": "manager",
    "routing_admin.rules": "manager", "routing_admin.edit_rule": "manager",
    "routing_admin.delete_rule": "manager", "routing_admin.preview": "manager",
    "routing_admin.agents": "manager", "routing_admin.edit_agent": "manager",
    "routing_admin.channels": "admin", "routing_admin.channel_action": "admin",
    "admin.index": "admin", "admin.users": "admin", "admin.edit_user": "admin", "admin.reset_password": "admin",
    "admin.teams": "admin", "admin.edit_team": "admin", "admin.audit_log": "admin",
    "admin.privacy_requests": "admin", "admin.privacy_export": "admin", "admin.privacy_erase": "admin",
    # Recommendations, site visits, agenda (crm/web/visits): the lead's workers; one's own
    # account (crm/web/auth); the prospect's page and the calendar feed open by their token
    # (crm/web/share).
    "visits.send": "agent", "visits.revoke": "agent", "visits.qr": "agent",
    "visits.new_visit": "agent", "visits.visit_detail": "agent", "visits.cancel_visit": "agent",
    "visits.agenda": "agent", "auth.account": "agent", "auth.calendar_token": "agent",
    "listings.listing_stats": "manager",
    "share.page": "public", "share.request_visit": "own", "share.calendar_feed": "own",
    "regions.park_list": "admin", "regions.park_edit": "admin",
}
RANK = {"public": -1, "anonymous": -1, "agent": 0, "manager": 1, "admin": 2}
# GET pages that answer with a redirect by design.
REDIRECTING = {"public.index", "public.thanks", "public.set_language", "admin.index"}


def _routes():
    from config import TestConfig
    from crm import create_app
    app = create_app(TestConfig())
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, rule.rule, method))
    return sorted(out)


ROUTES = _routes()


def test_every_route_is_classified():
    missing = {endpoint for endpoint, _rule, _method in ROUTES} - set(MINIMUM_ROLE)
    assert not missing, f"classify these routes in MINIMUM_ROLE: {sorted(missing)}"


@pytest.fixture
def world(db):
    team = TeamFactory()
    agent = UserFactory(team=team, email="agent@example.com")
    manager = UserFactory(team=team, email="manager@example.com", role="manager")
    UserFactory(team=team, email="admin@example.com", role="admin")
    company = Company(name="松江精密机械有限公司")
    db.session.add(company)
    db.session.flush()
    person = Contact(name="刘先生", company_id=company.id)
    db.session.add(person)
    db.session.flush()
    lead = LeadFactory(assigned_to=agent, team=team, contact_id=person.id, company_id=company.id)
    listing = Listing(title="松江厂房", property_type="factory", deal_type="rent",
                      area_sqm=Decimal("1000"), price=Decimal("1.2"), created_by_id=agent.id)
    reason = LostReason(name="价格")
    job = ImportJob(created_by_id=manager.id, filename="a.csv", headers=["联系人", "手机"],
                    rows=[["刘先生", "13391219793"]], mapping={"contact_name": 0, "mobile": 1},
                    total=1)
    channel = NotificationChannel(kind="webhook", target="http://127.0.0.1:9/x", team_id=team.id)
    park = Park(code="310117P09", parent_code="310117", name="测试园区")
    db.session.add_all([listing, reason, job, channel, park])
    db.session.commit()
    rule = RuleFactory(team=team)
    image = ListingImage(listing_id=listing.id, content_type="image/jpeg", bytes=1,
                         sha256="0" * 64, raw_key="uploads/1/x")
    db.session.add(image)
    db.session.commit()
    from tests.factories import make_site
    site, _key = make_site()
    from crm.leads import recommend, visits
    from crm.models.types import utcnow
    rec = recommend.send(lead, agent, [listing])
    visit = visits.schedule(lead, agent, visits.Plan(utcnow(), 60, "北门", "", [listing], [agent]))
    from datetime import date

    from crm.models import Deal, InquiryRepeat, SourceSpend
    signed = LeadFactory(assigned_to=agent, team=team, status="won")
    deal = Deal(lead_id=signed.id, signed_on=date(2026, 11, 2), agent_id=agent.id,
                team_id=team.id, deal_type="rent", property_type="factory",
                listing_id=listing.id, area_value=Decimal("1000"), area_sqm=Decimal("1000"),
                price=Decimal("0.8"), price_unit="yuan_sqm_day", term_months=36,
                value_wan=Decimal("87.6"))
    spend = SourceSpend(month=date(2026, 11, 1), channel="web", team_id=team.id,
                        amount_yuan=Decimal("8000"), entered_by_id=manager.id)
    db.session.add_all([deal, spend])
    repeat = InquiryRepeat(original_lead_id=lead.id, matched_on="mobile", contact_id=person.id,
                           reference="CF2612REP01", details={"area_min_sqm": "3000"})
    db.session.add(repeat)
    db.session.commit()
    return {"rec_id": rec.id, "visit_id": visit.id, "token": recommend.link_token(rec), "site_id": site.id,
            "name": "funnel", "lead_id": lead.id, "listing_id": listing.id, "reason_id": reason.id,
            "job_id": job.id, "user_id": agent.id, "team_id": team.id, "rule_id": rule.id,
            "channel_id": channel.id, "park_id": park.id, "kind": "recommended", "fmt": "csv",
            "code": "en", "action": "disable", "filename": "css/app.css", "image_id": image.id,
            "contact_id": person.id, "company_id": company.id,
            "repeat_id": repeat.id, "reference": repeat.reference,
            "deal_id": deal.id, "spend_id": spend.id}


def _url(rule: str, values: dict) -> str:
    import re
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule)


@pytest.mark.parametrize("endpoint,rule,method", ROUTES,
                         ids=[f"{m} {r}" for _e, r, m in ROUTES])
def test_role_matrix(client, auth, world, endpoint, rule, method):
    url = _url(rule, world)
    if MINIMUM_ROLE[endpoint] == "own":
        for role in ("anonymous", "agent", "manager", "admin"):
            if role != "anonymous":
                auth.login(f"{role}@example.com")
            assert client.open(url, method=method, data={}).status_code < 500, (role, url)
            if role != "anonymous":
                auth.logout()
        return
    needed = RANK[MINIMUM_ROLE[endpoint]]
    for role in ("anonymous", "agent", "manager", "admin"):
        if role != "anonymous":
            auth.login(f"{role}@example.com")
        response = client.open(url, method=method, data={}, buffered=True)
        where = f"{role} {method} {url} → {response.status_code}"
        assert response.status_code < 500, where
        if RANK[role] < needed:
            if role == "anonymous":
                assert response.status_code == 302 and "/login" in response.headers["Location"], where
            else:
                assert response.status_code == 403, where
        else:
            assert response.status_code not in (401, 403), where
            if endpoint != "auth.logout":
                assert "/login" not in response.headers.get("Location", ""), where
            if method == "GET" and endpoint not in REDIRECTING and not (
                    endpoint == "auth.login" and role != "anonymous"):
                assert response.status_code == 200, where
        if role != "anonymous":
            auth.logout()


def test_an_agent_cannot_touch_another_agents_lead(client, auth, world):
    UserFactory(email="other@example.com")  # another team, another agent
    auth.login("other@example.com")
    lead_routes = [(rule, method) for endpoint, rule, method in ROUTES
                   if "<int:lead_id>" in rule and endpoint != "agent.claim"]
    assert len(lead_routes) >= 8
    for rule, method in lead_routes:
        response = client.open(_url(rule, world), method=method, data={})
        assert response.status_code == 403, f"{method} {rule} → {response.status_code}"
