"""New and returning contacts (issue 30): who brings the needs of a range, by where they came from.

A need (lead) is a new contact's when it is their first (`contact_seq` 1) and a returning
contact's when they had one before (`contact_seq` > 1). A lead made before contacts existed
(`contact_seq` NULL) is its own person's first. Repeat inquiries (inquiry_repeat rows, never
needs) come from returning contacts too: "returning" = returning needs + repeats, by the day
and source they came in on, in the scope of the need they repeat (as in the sources report).

Needs per contact: the contacts with a need in the range, by how many needs they brought in
it. Everything counts needs as every report does (spam and merged leads left out), in SQL,
in the report scope; the other reports keep counting needs, their meaning unchanged.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from crm import reads
from crm.models import Lead
from crm.models.sql import ratio
from crm.reporting import dimensions, rollup
from crm.reporting.overlap import beside
from crm.reporting.scope import Scope
from crm.reporting.sources import repeat_counts
from crm.reporting.tables import Column, Table

DEFAULT = "channel"
MOST = 4  # needs per contact: 1, 2, 3, 4 or more


@dataclass
class Row:
    key: object
    label: str
    needs: int
    returning_needs: int
    repeats: int

    @property
    def first_needs(self) -> int:
        return self.needs - self.returning_needs

    @property
    def returning(self) -> int:
        return self.returning_needs + self.repeats

    def as_dict(self) -> dict:
        return {"key": self.label, "needs": self.needs, "first_needs": self.first_needs,
                "returning_needs": self.returning_needs, "repeats": self.repeats,
                "returning": self.returning,
                "returning_share": ratio(self.returning, self.needs + self.repeats)}


@dataclass
class ContactsReport:
    dimension: dimensions.Dimension
    rows: list[Row]
    total: Row
    per_contact: dict[int, int]  # needs in the range (1…MOST, MOST = or more) → contacts

    @property
    def contacts(self) -> int:
        return sum(self.per_contact.values())

    @property
    def average(self) -> float | None:
        return ratio(self.total.needs, self.contacts)

    def tables(self) -> list[Table]:
        cols = [Column("key", self.dimension.label, "text"), Column("needs", _l("Needs")),
                Column("first_needs", _l("New contacts' needs")),
                Column("returning_needs", _l("Returning contacts' needs")),
                Column("repeats", _l("Repeats")),
                Column("returning", _l("Returning contacts (needs + repeats)")),
                Column("returning_share", _l("Returning / inquiries"), "pct")]
        by_source = Table("returning", _l("New and returning contacts"), cols,
                          [r.as_dict() for r in self.rows],
                          footer=self.total.as_dict() | {"key": _l("Total")})
        spread = Table("per_contact", _l("Needs per contact"),
                       [Column("needs", _l("Needs in the range"), "text"),
                        Column("contacts", _l("Contacts")), Column("share", _l("Share"), "pct")],
                       [{"needs": f"{n}+" if n == MOST else str(n), "contacts": count,
                         "share": ratio(count, self.contacts)}
                        for n, count in sorted(self.per_contact.items())],
                       footer={"needs": str(_l("Average: %(n)s needs", n=(
                           f"{self.average:.2f}" if self.average is not None else "–"))),
                           "contacts": self.contacts, "share": None})
        return [by_source, spread]

    def chart(self) -> dict:
        top = self.rows[:12]
        return {"kind": "bar", "horizontal": True, "categories": [r.label for r in top],
                "series": [{"name": str(_l("New contacts' needs")),
                            "data": [r.first_needs for r in top], "stack": "all"},
                           {"name": str(_l("Returning contacts' needs")),
                            "data": [r.returning_needs for r in top], "stack": "all"},
                           {"name": str(_l("Repeats")),
                            "data": [r.repeats for r in top], "stack": "all"}]}


# The dimensions the source rollup keeps (crm.reporting.rollup.report_source): its column.
ROLLED = {"channel": "channel", "source_site": "source_site_id"}


def _counts():
    return [func.count().label("needs"),
            func.count().filter(Lead.new_need).label("returned")]


def _need_counts(scope: Scope, dim: dimensions.Dimension) -> dict[object, tuple[int, int]]:
    """key → (needs, returning contacts' needs) of the range. By channel or source site
    over more than a week: the rolled days from report_source (exact, as every rollup
    count), the live days from the leads; any other way, from the leads."""
    plan = rollup.plan(scope, None, counts=True) if dim.key in ROLLED else None
    expr = dim.expression().label("key")
    statements = [select(expr, *_counts()).where(*part.leads()).group_by(expr)
                  for part in (plan.live if plan is not None else (scope,))]
    if plan is not None:
        rows = plan.rows(rollup.report_source)
        key = rows.c[ROLLED[dim.key]]
        statements.append(select(key, func.sum(rows.c.leads), func.sum(rows.c.returned))
                          .group_by(key))
    counted: dict[object, tuple[int, int]] = {}
    for stmt in statements:
        for key_value, needs, returned in reads.session().execute(stmt).tuples():
            have = counted.get(key_value, (0, 0))
            counted[key_value] = (have[0] + int(needs), have[1] + int(returned or 0))
    return counted


def _returning_contacts(scope: Scope) -> tuple[dict[int, int], int]:
    """The contacts met among the range's returning needs, by their needs in the range
    ({bucket: contacts}), and how many needs of the range are theirs.

    A contact's non-junk needs are numbered apart (contact_seq: 1 + those before; a need
    moved out of spam or into it numbers them again), so a contact with two needs in the
    range has one with contact_seq > 1 there: `ix_lead_returning` holds only those. Each contact met is counted
    by a lookup of its own in ix_lead_contact_status (a correlated count, never a hash join
    over the whole range). Grouping every need of two years by person took 1.5 s at a
    million leads; this takes about 4 ms per thousand contacts met."""
    # contact_seq > 1 as written in the index's predicate (Lead.new_need's coalesce would
    # keep the planner off the partial index).
    # In contact order, so the lookups walk the index in order (450 → 350 ms for 93,000
    # contacts over two years at a million leads).
    met = (select(Lead.contact_id).where(*scope.leads(), Lead.contact_seq > 1,
                                         Lead.contact_id.is_not(None))
           .distinct().order_by(Lead.contact_id).cte("met").prefix_with("MATERIALIZED"))
    theirs = (select(func.count()).where(Lead.contact_id == met.c.contact_id, *scope.leads())
              .scalar_subquery())
    # Materialized: inlined, PostgreSQL ran the count twice per contact (bucket and sum).
    each = select(met.c.contact_id, theirs.label("n")).cte("each").prefix_with("MATERIALIZED")
    bucket = case((each.c.n >= MOST, MOST), else_=each.c.n).label("bucket")
    out: dict[int, int] = {}
    held = 0
    for n, count, needs in reads.session().execute(
            select(bucket, func.count(), func.sum(each.c.n)).group_by(bucket)).tuples():
        out[int(n)] = count
        held += int(needs)
    return out, held


def _per_contact(returning: tuple[dict[int, int], int], needs: int) -> dict[int, int]:
    """Needs per contact: the returning contacts' buckets, and every other person of the
    range (a lead without a contact is its own) with the one need they brought."""
    out, held = returning
    out = dict(out)
    # Two statements, two snapshots (READ COMMITTED, as every report): an inquiry saved
    # between them moves at most its own person between buckets.
    if needs > held:
        out[1] = out.get(1, 0) + needs - held
    return out


def contacts(scope: Scope, dimension_key: str | None = DEFAULT,
             limit: int | None = 100) -> ContactsReport:
    dim = dimensions.get(dimension_key, dimensions.SOURCE_KEYS) or dimensions.get(DEFAULT)
    assert dim is not None  # the channel is a column of every schema
    # The returning contacts on a connection of their own, beside the counts by source.
    returning_contacts = beside(lambda: _returning_contacts(scope))
    counted = _need_counts(scope, dim)
    repeats = repeat_counts(scope, dim)
    assert isinstance(repeats, dict)

    def returning(k) -> int:
        return counted.get(k, (0, 0))[1] + repeats.get(k, 0)
    keys = sorted(set(counted) | set(repeats),
                  key=lambda k: (-returning(k), -counted.get(k, (0, 0))[0], str(k or "")))
    if limit:
        keys = keys[:limit]
    names = dim.display(keys)
    rows = [Row(k, names[k], *counted.get(k, (0, 0)), repeats.get(k, 0)) for k in keys]
    # The total is the sum of every group (before the top-N cut): one scan of the range less.
    total = Row(None, "", sum(n for n, _r in counted.values()),
                sum(r for _n, r in counted.values()), sum(repeats.values()))
    return ContactsReport(dim, rows, total, _per_contact(returning_contacts(), total.needs))
