"""The lead page and a listing's page run a fixed number of SQL statements, however long
the history behind them: no statement per activity, repeat, linked listing or author."""
from datetime import timedelta
from decimal import Decimal

from crm.leads import stages, timeline
from crm.models import (
    Activity,
    Contact,
    InquiryRepeat,
    LeadListing,
    Listing,
    Recommendation,
    SiteVisit,
    SiteVisitListing,
)
from crm.models.types import utcnow
from tests.factories import LeadFactory, TeamFactory, UserFactory, make_site
from tests.support.sql import statements_run

# What one GET of each page may run, whatever the history (login, the lead, its history in
# one statement per kind, suggestions, forms' choices, ...).
# 16 for the owner, 17 for a manager once merged with the repeats' splits (15 and 16
# without): the lead with its people, timeline, repeats, suggestions, score (with what was
# sent and opened), listings sent, visit requests, visits, and the contact's other needs
# (one statement with their counts; a manager's members are read for the scope), and the
# need's signed deal and its stage probability (issue 31).
LEAD_PAGE_BOUND = 18
# 10 today: the listing and its linked leads, its photos, and its sent / asked / visited numbers.
LISTING_PAGE_BOUND = 11
# 9 for the owner, 10 for a manager (their members) today on the contact page: login, the
# contact with its company, its visible needs with owners and counts, repeats, visits
# (+ stops), pages sent (+ listings), the timeline with authors.
CONTACT_PAGE_BOUND = 11
# 13 today for a manager's queue (tab "all"): login, the page of leads with their owners,
# the tab badges, the members for the forms, settings.
QUEUE_PAGE_BOUND = 14


def counting(db):
    return statements_run(db.engine)


def _staff():
    """A team: its owner of the pages measured, four colleagues and its manager."""
    team = TeamFactory()
    owner = UserFactory(team=team, email="owner@example.com")
    colleagues = [UserFactory(team=team) for _ in range(4)]
    UserFactory(team=team, email="boss@example.com", role="manager")
    return team, owner, colleagues


def _statements_as_owner_and_manager(client, auth, db, urls: dict[str, str]):
    """The statements of one warm GET of each url, as the owner and as the manager
    ({(email, name): count}), and each page's HTML ({(email, name): html})."""
    counts, pages = {}, {}
    for email in ("owner@example.com", "boss@example.com"):
        auth.login(email)
        for name, url in urls.items():
            client.get(url)  # warm the caches (settings, policy)
            with counting(db) as statements:
                pages[email, name] = client.get(url).get_data(as_text=True)
            counts[email, name] = len(statements)
        auth.logout()
    return counts, pages


def _listing(db, n: int, author) -> Listing:
    listing = Listing(title=f"长兴单层厂房{n}号", property_type="factory", deal_type="rent",
                      region_code="zj.huzhou.changxing", area_sqm=Decimal(3000 + n),
                      price=Decimal("0.8"), status="available", created_by=author)
    db.session.add(listing)
    db.session.flush()
    return listing


def _lead_with_history(db, team, owner, colleagues, size: int, listings: list[Listing]):
    """A lead and `size` of everything: activities by several authors, repeat inquiries
    from several sites, other leads from the same mobile, stage rows, linked listings."""
    now = utcnow()
    sites = [make_site(f"站点{size}-{i}", (f"https://s{size}{i}.example.cn",))[0]
             for i in range(min(size, 3))]
    mobile = f"+86139{size:08d}"
    person = Contact(name="刘先生", mobile_e164=mobile)
    db.session.add(person)
    db.session.flush()
    lead = LeadFactory(contact_id=person.id, team=team, assigned_to=owner, escalated_to=colleagues[0],
                       sourced_by=owner, mobile_e164=mobile, status="negotiating",
                       created_at=now - timedelta(days=3), annual_tax_wan=Decimal("300"),
                       listing_id=listings[0].id, property_type="factory")
    for i in range(size):
        LeadFactory(team=team, assigned_to=colleagues[i % len(colleagues)], mobile_e164=mobile,
                    contact_id=person.id,
                    created_at=now - timedelta(days=4, minutes=i))
        author = (owner, *colleagues)[i % (1 + len(colleagues))]
        db.session.add(Activity(lead_id=lead.id, kind="call", author_id=author.id,
                                outcome="reached", body=f"第{i}次电话",
                                created_at=now - timedelta(hours=i)))
        db.session.add(InquiryRepeat(original_lead_id=lead.id, matched_on="mobile",
                                     source_site_id=sites[i % len(sites)].id,
                                     message=f"第{i}次询问", created_at=now - timedelta(hours=i)))
    for stage in stages.RECORDED[:min(size, len(stages.RECORDED))]:
        stages.record(lead, stage, now - timedelta(days=2))
    for i, listing in enumerate(listings[:size]):
        db.session.add(LeadListing(lead_id=lead.id, listing_id=listing.id, kind="recommended",
                                   author_id=(owner, *colleagues)[i % 3].id))
    db.session.commit()
    return lead


def test_the_lead_page_runs_as_many_statements_for_a_long_history_as_for_a_short_one(
        client, auth, db):
    team, owner, colleagues = _staff()
    listings = [_listing(db, n, owner) for n in range(12)]
    short = _lead_with_history(db, team, owner, colleagues, 1, listings)
    long = _lead_with_history(db, team, owner, colleagues, 40, listings)
    counts, pages = _statements_as_owner_and_manager(
        client, auth, db, {"short": f"/agent/leads/{short.id}", "long": f"/agent/leads/{long.id}"})
    for email in ("owner@example.com", "boss@example.com"):
        html = pages[email, "long"]
        assert short.reference in pages[email, "short"] and long.reference in html
        # The long history is on the page (its timeline a page at a time), read without a
        # query per row.
        assert "第39次询问" in html and listings[11].title in html
        assert "第0次电话" in html and f"第{timeline.PAGE_SIZE - 1}次电话" in html
        assert f"第{timeline.PAGE_SIZE}次电话" not in html
        assert html.count('class="kind-call"') == timeline.PAGE_SIZE
    for email in ("owner@example.com", "boss@example.com"):
        assert counts[email, "long"] == counts[email, "short"] <= LEAD_PAGE_BOUND, counts


def test_a_listing_page_runs_as_many_statements_for_many_linked_leads_as_for_one(
        client, auth, db):
    team = TeamFactory()
    owner = UserFactory(team=team, email="owner@example.com")
    colleagues = [UserFactory(team=team) for _ in range(4)]
    UserFactory(team=team, email="boss@example.com", role="manager")
    one, many = _listing(db, 1, owner), _listing(db, 2, owner)
    for i in range(30):
        lead = LeadFactory(team=team, assigned_to=(owner, *colleagues)[i % 5],
                           company=f"第{i}机械有限公司")
        for listing in ([one, many] if i == 0 else [many]):
            db.session.add(LeadListing(lead_id=lead.id, listing_id=listing.id, kind="site_visit",
                                       author_id=colleagues[i % 4].id))
    db.session.commit()
    auth.login("boss@example.com")
    counts = {}
    for listing in (one, many):
        client.get(f"/agent/listings/{listing.id}")
        with counting(db) as statements:
            html = client.get(f"/agent/listings/{listing.id}").get_data(as_text=True)
        counts[listing.id] = len(statements)
    assert "第29机械有限公司" in html and html.count("/agent/leads/") >= 30
    assert counts[one.id] == counts[many.id] <= LISTING_PAGE_BOUND, counts
    # An agent sees only the leads they may see, still in a fixed number of statements.
    auth.logout()
    auth.login("owner@example.com")
    with counting(db) as statements:
        html = client.get(f"/agent/listings/{many.id}").get_data(as_text=True)
    assert "第0机械有限公司" in html and "第5机械有限公司" in html
    assert "第1机械有限公司" not in html and "第29机械有限公司" not in html
    assert len(statements) <= LISTING_PAGE_BOUND


def test_a_managers_queue_page_runs_as_many_statements_for_many_leads_as_for_few(
        client, auth, db):
    team = TeamFactory()
    agents = [UserFactory(team=team) for _ in range(5)]
    UserFactory(team=team, email="boss@example.com", role="manager")
    now = utcnow()

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            LeadFactory(team=team, assigned_to=agents[i % len(agents)],
                        company=f"第{i}精密机械有限公司", created_at=now - timedelta(hours=i))
        db.session.commit()

    auth.login("boss@example.com")
    counts = {}
    for label, n, start in (("few", 2, 0), ("many", 40, 2)):
        add(n, start)
        client.get("/agent/leads?tab=all")  # warm the caches (settings, policy)
        with counting(db) as statements:
            html = client.get("/agent/leads?tab=all").get_data(as_text=True)
        counts[label] = statements
    assert "第41精密机械有限公司" in html and html.count('name="lead_ids"') == 42
    # Who owns each lead is shown without a query per row; the manager's members (filter
    # and reassign forms) are read once.
    assert len(counts["many"]) == len(counts["few"]) <= QUEUE_PAGE_BOUND, counts
    members = [s for s in counts["many"]
               if s.rstrip().endswith(("ORDER BY user.name", 'ORDER BY "user".name'))]
    assert len(members) == 1, members
    # The tabs' badges (all, mine in two slices, pool, due: five capped counts) are one
    # statement between them.
    badges = [s for s in counts["many"] if s.lstrip().upper().startswith("SELECT (SELECT COUNT(*)")]
    assert len(badges) == 1 and badges[0].upper().count("COUNT(*)") == 5, counts["many"]
    assert not [s for s in counts["many"] if s.lstrip().upper().startswith("SELECT COUNT(*)")]


def _contact_with_needs(db, team, owner, colleagues, size: int, listings: list[Listing]):
    """A contact with `size` needs, each with an activity, a repeat, a visit and a page sent."""
    now = utcnow()
    person = Contact(name=f"王经理{size}", mobile_e164=f"+86137{size:08d}")
    db.session.add(person)
    db.session.flush()
    for i in range(size):
        lead = LeadFactory(contact_id=person.id, team=team, assigned_to=(owner, *colleagues)[i % 3],
                           created_at=now - timedelta(days=i))
        db.session.add_all([
            Activity(lead_id=lead.id, kind="call", author_id=colleagues[i % 4].id,
                     body=f"需求{i}的电话", created_at=now - timedelta(hours=i)),
            InquiryRepeat(original_lead_id=lead.id, matched_on="mobile", message=f"需求{i}再问",
                          contact_id=person.id, created_at=now - timedelta(hours=i)),
            SiteVisit(lead_id=lead.id, starts_at=now + timedelta(days=i), created_by_id=owner.id,
                      stops=[SiteVisitListing(listing_id=listings[i % len(listings)].id)]),
            Recommendation(lead_id=lead.id, agent_id=owner.id,
                           token_hash=f"{size:04d}{i:04d}".ljust(64, "0"),
                           expires_at=now + timedelta(days=30),
                           listings=[listings[(i + 1) % len(listings)]])])
    db.session.commit()
    return person


def test_the_contact_page_runs_as_many_statements_for_many_needs_as_for_one(client, auth, db):
    team, owner, colleagues = _staff()
    listings = [_listing(db, n, owner) for n in range(6)]
    one = _contact_with_needs(db, team, owner, colleagues, 1, listings)
    many = _contact_with_needs(db, team, owner, colleagues, 30, listings)
    counts, pages = _statements_as_owner_and_manager(
        client, auth, db, {"one": f"/contacts/{one.id}", "many": f"/contacts/{many.id}"})
    html = pages["boss@example.com", "many"]
    assert one.name in pages["owner@example.com", "one"] and many.name in html
    # The manager sees all 30 needs, their repeats, visits and pages sent on the page.
    assert html.count('class="lead-item') == 30 and "需求29再问" in html
    assert listings[5].title in html and html.count('class="kind-call"') == 30
    for email in ("owner@example.com", "boss@example.com"):
        assert counts[email, "many"] == counts[email, "one"] <= CONTACT_PAGE_BOUND, counts
