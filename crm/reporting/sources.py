"""Where leads came from: per page (or site, UTM, channel), how many were spam or
duplicates, and how many of the rest were won (ever reached won).

Spam and duplicates are counted by status; 'duplicate' is counted if that status is in use.
They are usually unrouted, so they show up only in a scope without a team restriction.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Lead
from crm.reporting import dimensions
from crm.reporting.scope import JUNK_STATUSES, Scope
from crm.models.sql import ratio
from crm.reporting.tables import Column, Table
from crm.leads.stages import PIPELINE

WON = len(PIPELINE) - 1
DEFAULT = "page"


@dataclass
class SourceRow:
    key: object
    label: str
    leads: int
    spam: int
    duplicates: int
    won: int

    @property
    def valid(self) -> int:
        return self.leads - self.spam - self.duplicates

    def as_dict(self) -> dict:
        return {"key": self.label, "leads": self.leads, "spam": self.spam,
                "duplicates": self.duplicates, "valid": self.valid, "won": self.won,
                "win_rate": ratio(self.won, self.valid)}


@dataclass
class SourcesReport:
    dimension: dimensions.Dimension
    rows: list[SourceRow]
    total: SourceRow

    def tables(self) -> list[Table]:
        cols = [Column("key", self.dimension.label, "text"), Column("leads", _l("Inquiries")),
                Column("spam", _l("Spam")), Column("duplicates", _l("Duplicates")),
                Column("valid", _l("Leads")), Column("won", _l("Won")),
                Column("win_rate", _l("Won / leads"), "pct")]
        return [Table("sources", _l("Sources"), cols, [r.as_dict() for r in self.rows],
                      footer=self.total.as_dict() | {"key": _l("Total")})]

    def chart(self) -> dict:
        top = self.rows[:12]
        return {"kind": "bar", "horizontal": True, "categories": [r.label for r in top],
                "series": [{"name": str(_l("Leads")), "data": [r.valid for r in top],
                            "stack": "all"},
                           {"name": str(_l("Spam")), "data": [r.spam for r in top], "stack": "all"},
                           {"name": str(_l("Duplicates")), "data": [r.duplicates for r in top],
                            "stack": "all"},
                           {"name": str(_l("Won")), "data": [r.won for r in top]}]}


def _counts():
    return [func.count().label("leads"),
            func.count().filter(Lead.status == "spam").label("spam"),
            func.count().filter(Lead.status == "duplicate").label("duplicates"),
            func.count().filter(Lead.stage_rank >= WON,
                                Lead.status.notin_(JUNK_STATUSES)).label("won")]


def sources(scope: Scope, dimension_key: str | None = DEFAULT, limit: int | None = 100) -> SourcesReport:
    dim = dimensions.get(dimension_key, dimensions.SOURCE_KEYS) or dimensions.get(DEFAULT)
    where = scope.leads(include_junk=True)
    expr = dim.expression().label("key")
    stmt = select(expr, *_counts()).where(*where).group_by(expr).order_by(func.count().desc(), expr)
    if limit:
        stmt = stmt.limit(limit)
    rows = list(db.session.execute(stmt))
    names = dim.display([r.key for r in rows])
    t = db.session.execute(select(*_counts()).where(*where)).one()
    total = SourceRow(None, "", t.leads, t.spam or 0, t.duplicates or 0, t.won or 0)
    return SourcesReport(dim, [SourceRow(r.key, names[r.key], r.leads, r.spam or 0,
                                         r.duplicates or 0, r.won or 0) for r in rows], total)
