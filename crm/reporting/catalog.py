"""The reports by name: who may open them, and how each is computed from a scope."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from crm import access
from crm.models import Role
from crm.reporting import dashboard, funnel, pipeline, ranking, roi, sources, speed
from crm.reporting.scope import Scope


@dataclass(frozen=True)
class Report:
    name: str
    title: object
    role: Role  # the least role that may open it; an agent sees only their own leads
    uses_month: bool = False
    dimensions: tuple[str, ...] | None = ()  # () none, None every dimension


REPORTS = {r.name: r for r in [
    Report("dashboard", _l("Dashboard"), Role.MANAGER),
    Report("funnel", _l("Funnel"), Role.MANAGER, dimensions=None),
    Report("speed", _l("Speed to lead"), Role.AGENT),
    Report("ranking", _l("Monthly ranking"), Role.AGENT, uses_month=True),
    Report("pipeline", _l("Pipeline and lost reasons"), Role.MANAGER),
    Report("sources", _l("Sources"), Role.MANAGER, dimensions=(
        "source_site", "page", "utm_source", "utm_medium", "utm_campaign", "channel")),
    Report("roi", _l("Source ROI"), Role.MANAGER),
    # Export only: one row per lead, no contact details.
    Report("leads", _l("Leads (list)"), Role.MANAGER),
]}
PAGES = ("dashboard", "funnel", "speed", "ranking", "pipeline", "sources", "roi")


def may_open(user, name: str) -> bool:
    report = REPORTS.get(name)
    return report is not None and access.has_role(user, report.role)


def compute(name: str, scope: Scope, *, sla_minutes: int, dim: str | None = None,
            month: date | None = None, full: bool = False):
    """The report object (it has .tables()); `full` lifts the top-N limits, for exports."""
    limit = None if full else 50
    if name == "dashboard":
        return dashboard.dashboard(scope, sla_minutes)
    if name == "funnel":
        return funnel.funnel(scope, dim, limit=limit)
    if name == "speed":
        return speed.speed(scope, sla_minutes)
    if name == "ranking":
        return ranking.ranking(scope, month or scope.end.replace(day=1), sla_minutes)
    if name == "pipeline":
        return pipeline.pipeline(scope)
    if name == "sources":
        return sources.sources(scope, dim, limit=None if full else 100)
    if name == "roi":
        return roi.roi(scope)
    raise KeyError(name)
