"""The crawl of every GET route as each role with hostile query strings, shared by the
SQLite unit test (tests/unit/web/test_crawl.py) and the PostgreSQL one
(tests/integration/test_fuzz_pg.py): NUL bytes, for one, answer 200 on SQLite and made
psycopg raise on PostgreSQL."""
import re
from pathlib import Path

from werkzeug.routing import IntegerConverter
from wtforms.fields.core import UnboundField

from crm.models import ExportJob, ImportJob, Listing, LostReason, RoutingRule
from tests.factories import LeadFactory, TeamFactory, UserFactory, make_site

# Parameter names the views read, and values nobody should send.
_SOME_NAMES = ("tab", "status", "need", "deal", "region", "industry", "source", "from", "to",
         "date_from", "date_to", "score_min", "q", "agent_id", "team_id", "team", "agent", "dim",
         "month", "after", "since", "before", "site", "listing", "page", "ref", "lang", "next",
         "action", "entity", "entity_id", "actor_id", "t", "utm_source", "kind", "lead")
HOSTILE = ("99999999999999999999", "-1", "9999-12-31", "0001-01-01", "2026-13-45", "nope",
           "<script>alert(1)</script>", "a\r\nSet-Cookie: x=1", "x" * 3000, "１２３", "0x10",
           "NaN", "1e309", "%00", "2026-11")
STRING_ARGS = {"fmt": ("csv", "xlsx", "pdf"), "name": ("funnel", "leads", "ranking", "nope"),
               "code": ("en", "zh_CN", "xx"), "filename": ("css/app.css", "../config.py")}
ROLES = (None, "agent", "manager", "admin")


def _names_the_views_read() -> tuple[str, ...]:
    """The names above, every request.args.get("…") in crm/ and the fields of the filter
    forms read from the query string: a new parameter is crawled without a list to update."""
    from crm.web.admin.views import AuditFilterForm
    from crm.web.agent.forms import QueueFilterForm
    from crm.web.listings.views import PublicListingFilter
    from crm.web.reports.views import ReportFilterForm
    names = set(_SOME_NAMES)
    for source in (Path(__file__).resolve().parents[2] / "crm").rglob("*.py"):
        names |= set(re.findall(r'request\.args\.(?:get|getlist)\("(\w+)"', source.read_text()))
    for form in (AuditFilterForm, QueueFilterForm, PublicListingFilter, ReportFilterForm):
        names |= {n for n in dir(form) if isinstance(getattr(form, n), UnboundField)}
    return tuple(sorted(names))


NAMES = _names_the_views_read()


def make_world(db) -> dict:
    """A user of each role, and one row of each thing a route takes an id of."""
    team = TeamFactory()
    people = {role: UserFactory(team=team, role=role, email=f"{role}@example.com")
              for role in ROLES if role}
    lead = LeadFactory(team=team, assigned_to=people["agent"])
    site, api_key = make_site()
    listing = Listing(title="独栋厂房", property_type="factory", deal_type="rent", status="available",
                      area_sqm=1000)
    reason = LostReason(name="价格太高")
    rule = RoutingRule(name="规则", position=1, team_id=team.id)
    db.session.add_all([listing, reason, rule])
    db.session.flush()
    export = ExportJob(user_id=people["manager"].id, report="funnel", fmt="csv", params="{}")
    job = ImportJob(created_by_id=people["manager"].id, filename="a.csv", headers=["手机"],
                    rows=[["13912345678"]], mapping={"mobile": 0}, total=1)
    db.session.add_all([export, job])
    db.session.commit()
    return {"ids": {"lead_id": lead.id, "listing_id": listing.id, "reason_id": reason.id,
                    "rule_id": rule.id, "job_id": job.id, "site_id": site.id,
                    "team_id": team.id, "user_id": people["agent"].id},
            "site": site.public_key, "export_id": export.id, "api_key": api_key}


def paths(app, world, odd=()):
    """Each GET route with its arguments filled: a real id, a huge one, and odd strings
    (`odd` too, for the string arguments)."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        options = []
        for arg in sorted(rule.arguments):
            if isinstance(rule._converters[arg], IntegerConverter):
                real = world["export_id"] if rule.endpoint.startswith("reports.export") \
                    else world["ids"].get(arg, 1)
                options.append((arg, (real, 2**31 - 1, 10**20)))
            else:
                options.append((arg, STRING_ARGS.get(arg, ("x",)) + tuple(odd)))
        combos = [{}]
        for arg, values in options:
            combos = [{**c, arg: v} for c in combos for v in values]
        for values in combos:
            path = rule.rule
            for arg, value in values.items():
                path = path.replace(f"<int:{arg}>", str(value)).replace(f"<{arg}>", str(value)) \
                    .replace(f"<path:{arg}>", str(value))
            yield path


def crawl(app, client, world, values=HOSTILE, in_paths=False) -> list[tuple[str, str, int]]:
    """Every GET route with every name set to each value (with `in_paths`, the string path
    arguments too): the (path, value, status) of each 5xx. No answer may carry a header
    smuggled in through the query string."""
    failures = []
    for path in paths(app, world, values if in_paths else ()):
        for value in values:
            query = {name: value for name in NAMES}
            tries = [query]
            if path.startswith("/embed/"):  # with a real site too, to reach the form
                tries.append({**query, "site": world["site"]})
            for args in tries:
                response = client.get(path, query_string=args)
                if response.status_code >= 500:
                    failures.append((path, value[:40], response.status_code))
                assert "\r\nSet-Cookie: x=1" not in str(response.headers)
    return failures
