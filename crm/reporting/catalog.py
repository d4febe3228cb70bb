"""The reports by name: who may open them, and how each is computed from a scope."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from crm import access
from crm.models import Role
from crm.reporting import (
    contacts,
    dashboard,
    deals,
    dimensions,
    forecast,
    funnel,
    occupancy,
    parks,
    pipeline,
    ranking,
    roi,
    sources,
    speed,
)
from crm.reporting.scope import Scope


@dataclass(frozen=True)
class Report:
    name: str
    title: object
    role: Role  # the least role that may open it; an agent sees only their own leads
    uses_month: bool = False
    dimensions: tuple[str, ...] | None = ()  # () none, None every dimension
    orders: dict | None = None  # a toggle of the order (the ranking: by count or by value)


REPORTS = {r.name: r for r in [
    Report("dashboard", _l("Dashboard"), Role.MANAGER),
    Report("funnel", _l("Funnel"), Role.MANAGER, dimensions=None),
    Report("speed", _l("Speed to lead"), Role.AGENT),
    Report("ranking", _l("Monthly ranking"), Role.AGENT, uses_month=True, orders=ranking.ORDERS),
    Report("pipeline", _l("Pipeline and lost reasons"), Role.MANAGER),
    # The open needs now (the range picks the forecast's months): crm.reporting.forecast.
    Report("forecast", _l("Weighted pipeline and forecast"), Role.MANAGER),
    Report("sources", _l("Sources"), Role.MANAGER, dimensions=dimensions.SOURCE_KEYS),
    Report("contacts", _l("New and returning contacts"), Role.MANAGER,
           dimensions=dimensions.SOURCE_KEYS),
    # The signed deals (crm.reporting.deals): breakdowns of their own (month, credited agent…).
    Report("deals", _l("Signed deals"), Role.MANAGER, dimensions=("deals",)),
    Report("parks", _l("Investment and milestones"), Role.MANAGER),
    Report("occupancy", _l("Occupancy"), Role.MANAGER, dimensions=("occupancy",)),
    Report("roi", _l("Source ROI"), Role.MANAGER),
    # Export only: one row per lead, no contact details.
    Report("leads", _l("Leads (list)"), Role.MANAGER),
]}
PAGES = ("dashboard", "funnel", "speed", "ranking", "pipeline", "forecast", "sources", "contacts",
         "deals", "parks", "occupancy", "roi")


def breakdowns(report: Report) -> list[tuple[str, str]]:
    """(key, label) of what the report can be broken down by: the filter's choices."""
    if report.dimensions == ("deals",):
        return [(d.key, str(d.label)) for d in deals.available()]
    if report.dimensions == ("occupancy",):
        return [(k, str(label)) for k, label in occupancy.GROUPS.items()]
    if report.dimensions == ():
        return []
    return [(d.key, str(d.label)) for d in dimensions.available(report.dimensions)]


def may_open(user, name: str) -> bool:
    report = REPORTS.get(name)
    return report is not None and access.has_role(user, report.role)


def compute(name: str, scope: Scope, *, sla_minutes: int, dim: str | None = None,
            month: date | None = None, full: bool = False, order: str | None = None):
    """The report object (it has .tables()); `full` lifts the top-N limits, for exports."""
    limit = None if full else 50
    if name == "dashboard":
        return dashboard.dashboard(scope, sla_minutes)
    if name == "funnel":
        return funnel.funnel(scope, dim, limit=limit)
    if name == "speed":
        return speed.speed(scope, sla_minutes)
    if name == "ranking":
        return ranking.ranking(scope, month or scope.end.replace(day=1), sla_minutes, order)
    if name == "pipeline":
        return pipeline.pipeline(scope)
    if name == "forecast":
        return forecast.forecast(scope, limit=limit)
    if name == "sources":
        return sources.sources(scope, dim, limit=None if full else 100)
    if name == "contacts":
        return contacts.contacts(scope, dim, limit=None if full else 100)
    if name == "deals":
        return deals.deals(scope, dim or deals.DEFAULT, limit=limit)
    if name == "parks":
        return parks.parks(scope, limit=None if full else 100)
    if name == "occupancy":
        return occupancy.occupancy(scope, dim or occupancy.DEFAULT, limit=None if full else 100)
    if name == "roi":
        return roi.roi(scope)
    raise KeyError(name)
