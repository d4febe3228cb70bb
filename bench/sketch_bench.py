"""Quantile sketches of the report durations: PostgreSQL's tdigest against DataSketches KLL.

    .venv/bin/python bench/sketch_bench.py                  # crm_bench, rollups folded
    .venv/bin/python bench/sketch_bench.py --runs 10 --k 200,400 --keep

Issue 32 asks for mergeable quantile sketches per day of the assignment and first-contact
durations, tdigest or KLL, measured. On a database that bench/reports_bench.py seeded and
whose rollups are folded (report_dirty_day empty), for the last 18 months, 2 years and
120 days (local days in Asia/Shanghai, real leads: status not spam or merged), it times and
compares, in total, per team and per agent:

- exact: percentile_cont(0.5, 0.9) of both durations in SQL (the floor to beat);
- tdigest N: the app's report_speed / report_speed_month (N: the compression their digests
  hold), read as crm.reporting.rollup's Plan reads them (day cells for the partial months,
  month cells for the whole ones); and the same built at the other --compressions into
  scratch tables sk_speed_cN(_month), read the same way;
- KLL k (kll_floats_sketch): per (day, team, agent) and (month, team, agent) sketches built
  in Python from the same durations, stored serialized in sk_kll_day / sk_kll_month
  (bytea); timed: fetch the range's bytes, deserialize and merge in Python.

Building is not timed. Each figure is the median of --runs after a warm-up. It prints one
table: per range, method and part (total; the worst team or agent) the p50 and p90 of each
duration as the value (totals), its error against exact in % and its rank error (the
estimate's rank among the exact durations, minus q, in percentile points), and the time.
It writes nothing but the sk_ tables, dropped at the end unless --keep.
Not a test: it prints figures (bench/README.md keeps a run).
"""
import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from datasketches import kll_floats_sketch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ZONE = "Asia/Shanghai"
QS = (0.5, 0.9)
EPOCH = date(2000, 1, 1)  # day numbers in the arrays count from here
ASSIGN = "date_part('epoch', assigned_at - created_at)"
CONTACT = "date_part('epoch', first_contact_at - created_at)"
REAL = "status NOT IN ('spam', 'merged')"
MEASURES = ("assign", "contact")
PARTS = {"total": None, "team": "team_id", "agent": "agent_id"}


def today() -> date:
    from zoneinfo import ZoneInfo
    return datetime.now(ZoneInfo(ZONE)).date()


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def timed(fn, runs: int) -> tuple[float, object]:
    """Median milliseconds of `runs` calls after one warm-up, and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


# -- the durations, once, for the exact figures and for building KLL ---------------------

def durations(conn) -> dict[str, np.ndarray]:
    rows = conn.execute(f"""
        SELECT (created_at AT TIME ZONE '{ZONE}')::date - DATE '{EPOCH}',
               coalesce(team_id, -1), coalesce(assigned_to_id, -1),
               coalesce({ASSIGN}, 'NaN'), coalesce({CONTACT}, 'NaN')
        FROM lead WHERE {REAL}""").fetchall()
    a = np.array(rows, dtype=np.float64)
    return {"day": a[:, 0].astype(np.int32), "team_id": a[:, 1].astype(np.int32),
            "agent_id": a[:, 2].astype(np.int32), "assign": a[:, 3], "contact": a[:, 4]}


def day_number(day: date) -> int:
    return (day - EPOCH).days


# -- building the scratch sketches (not timed) -----------------------------------------

def app_compression(conn) -> int:
    """The compression the app's digests were built with (fold() writes
    crm.reporting.rollup.COMPRESSION into them; the lead may have changed it)."""
    found = {int(row[0]) for row in conn.execute(
        "SELECT DISTINCT substring(assign_digest::text from 'compression ([0-9]+)') "
        "FROM report_speed_month WHERE assign_digest IS NOT NULL")}
    if len(found) != 1:
        sys.exit(f"report_speed_month holds digests of compressions {sorted(found)}: fold again")
    return found.pop()


def build_tdigest(conn, compression: int) -> str:
    """sk_speed_cN / sk_speed_cN_month shaped like report_speed(_month), as fold() builds
    them (within / late are left 0: not read here); the day table's name."""
    name = f"sk_speed_c{compression}"
    conn.execute(f"DROP TABLE IF EXISTS {name}, {name}_month")
    conn.execute(f"CREATE TABLE {name} (LIKE report_speed)")
    conn.execute(f"""
        INSERT INTO {name}
        SELECT (created_at AT TIME ZONE '{ZONE}')::date, team_id, assigned_to_id, count(*),
               count(assigned_at), count(first_contact_at), 0, 0,
               tdigest({ASSIGN}, {compression}), tdigest({CONTACT}, {compression})
        FROM lead WHERE {REAL} GROUP BY 1, 2, 3""")
    conn.execute(f"CREATE TABLE {name}_month (LIKE report_speed)")
    conn.execute(f"""
        INSERT INTO {name}_month
        SELECT date_trunc('month', day)::date, team_id, agent_id, sum(leads), sum(assigned),
               sum(contacted), 0, 0, tdigest(assign_digest), tdigest(contact_digest)
        FROM {name} GROUP BY 1, 2, 3""")
    for table in (name, f"{name}_month"):
        conn.execute(f"CREATE INDEX ON {table} (day)")
        conn.execute(f"ANALYZE {table}")
    return name


def sketch(values: np.ndarray, k: int) -> kll_floats_sketch | None:
    values = values[~np.isnan(values)]
    if not len(values):
        return None
    s = kll_floats_sketch(k)
    s.update(values.astype(np.float32))
    return s


def build_kll(conn, d: dict[str, np.ndarray], ks: list[int]) -> None:
    """Per (day, team, agent) sketches from the durations, and per (month, team, agent)
    the day sketches merged, serialized into sk_kll_day / sk_kll_month."""
    conn.execute("DROP TABLE IF EXISTS sk_kll_day, sk_kll_month")
    for name in ("sk_kll_day", "sk_kll_month"):
        conn.execute(f"CREATE TABLE {name} (k smallint NOT NULL, day date NOT NULL, "
                     "team_id integer, agent_id integer, assign bytea, contact bytea)")
    order = np.lexsort((d["agent_id"], d["team_id"], d["day"]))
    keys = np.stack([d["day"][order], d["team_id"][order], d["agent_id"][order]], axis=1)
    cuts = np.flatnonzero(np.any(keys[1:] != keys[:-1], axis=1)) + 1
    bounds = zip(np.r_[0, cuts], np.r_[cuts, len(order)], strict=True)
    cells = [(tuple(int(x) for x in keys[a]), order[a:b]) for a, b in bounds]

    def none(v: int) -> int | None:
        return None if v == -1 else v

    for k in ks:
        months: dict[tuple, list] = {}
        with conn.cursor() as cur, cur.copy(
                "COPY sk_kll_day (k, day, team_id, agent_id, assign, contact) FROM STDIN") as copy:
            for (day, team, agent), rows in cells:
                built = [sketch(d[m][rows], k) for m in MEASURES]
                when = EPOCH + timedelta(days=day)
                copy.write_row((k, when, none(team), none(agent),
                                *[s.serialize() if s else None for s in built]))
                month = months.setdefault((when.replace(day=1), team, agent), [None, None])
                for i, s in enumerate(built):
                    if s is not None:
                        if month[i] is None:
                            month[i] = kll_floats_sketch(k)
                        month[i].merge(s)
        with conn.cursor() as cur, cur.copy(
                "COPY sk_kll_month (k, day, team_id, agent_id, assign, contact) FROM STDIN") as copy:
            for (month, team, agent), built in months.items():
                copy.write_row((k, month, none(team), none(agent),
                                *[s.serialize() if s else None for s in built]))
    for name in ("sk_kll_day", "sk_kll_month"):
        conn.execute(f"CREATE INDEX ON {name} (k, day)")
        conn.execute(f"ANALYZE {name}")


# -- reading a range ----------------------------------------------------------------------

def whole_months(start: date, end: date) -> tuple[date, ...]:
    """The calendar months wholly inside [start, end], as the app's plan takes them, with no
    live day: the bench reads every day of the range from the sketches."""
    from crm.reporting import rollup
    return rollup.whole_months(start, end, [])


def tdigest_statements(start: date, end: date, daily: str) -> dict[str, tuple[str, dict]]:
    """The app's statements: Plan.rows() of report_speed, percentiles of the merged
    digests, in total and grouped; `daily` renames the tables (the scratch ones)."""
    import re

    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql

    from crm.reporting import rollup
    from crm.reporting.scope import Scope

    plan = rollup.Plan(Scope(start, end), (), whole_months(start, end))
    cells = plan.rows(rollup.report_speed)
    figures = [rollup.percentiles(cells.c.assign_digest, QS),
               rollup.percentiles(cells.c.contact_digest, QS)]
    out = {}
    for part, key in PARTS.items():
        statement = select(*figures) if key is None else (
            select(cells.c[key], *figures).group_by(cells.c[key]))
        compiled = statement.compile(dialect=postgresql.psycopg.dialect(),
                                    compile_kwargs={"render_postcompile": True})
        sql = str(compiled)
        sql = re.sub(r"\breport_speed_month\b", f"{daily}_month", sql)
        sql = re.sub(r"\breport_speed\b", daily, sql)
        out[part] = (sql, compiled.params)
    return out


def run_sql(conn, sql: str, params: dict | None = None, work_mem: bool = False) -> list:
    with conn.transaction():
        if work_mem:  # as crm.reporting.speed.room_to_sort() does for exact percentiles
            conn.execute("SET LOCAL work_mem = '64MB'")
        return conn.execute(sql, params).fetchall()


def as_estimates(rows: list, grouped: bool) -> dict:
    """{group: {measure: (p50, p90)}} from rows of (group?, array, array)."""
    out = {}
    for row in rows:
        group = row[0] if grouped else None
        values = row[1:] if grouped else row
        out[-1 if group is None and grouped else group] = {
            m: tuple(v) if v is not None else (np.nan, np.nan)
            for m, v in zip(MEASURES, values, strict=True)}
    return out


def exact_statements(start: date, end: date) -> dict[str, tuple[str, dict]]:
    from crm.reporting.scope import local_day_bounds
    lo, hi = local_day_bounds(start, end, ZONE)
    figures = (f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {ASSIGN}), "
               f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {CONTACT})")
    where = f"FROM lead WHERE created_at >= %(lo)s AND created_at < %(hi)s AND {REAL}"
    params = {"lo": lo, "hi": hi}
    return {"total": (f"SELECT {figures} {where}", params),
            "team": (f"SELECT team_id, {figures} {where} GROUP BY team_id", params),
            "agent": (f"SELECT assigned_to_id, {figures} {where} GROUP BY assigned_to_id", params)}


def kll_merge(conn, start: date, end: date, k: int, key: str | None) -> dict:
    """What the app would do with KLL: fetch the range's serialized sketches (day rows for the
    partial months, month rows for the whole ones), deserialize and merge in Python."""
    from crm.reporting.rollup import Plan
    from crm.reporting.scope import Scope

    months = whole_months(start, end)
    ranges = Plan(Scope(start, end), (), months).day_ranges()
    days = " OR ".join(["day BETWEEN %s AND %s"] * len(ranges)) or "false"
    column = key or "NULL"
    rows = conn.execute(
        f"SELECT {column}, assign, contact FROM sk_kll_day WHERE k = %s AND ({days}) "
        f"UNION ALL SELECT {column}, assign, contact FROM sk_kll_month "
        "WHERE k = %s AND day = ANY(%s)",
        [k, *[d for r in ranges for d in r], k, list(months)]).fetchall()
    merged: dict = defaultdict(lambda: [kll_floats_sketch(k), kll_floats_sketch(k)])
    deserialize = kll_floats_sketch.deserialize
    for group, *blobs in rows:
        target = merged[-1 if group is None and key else group]
        for i, blob in enumerate(blobs):
            if blob is not None:
                target[i].merge(deserialize(blob))
    return {group: {m: tuple(s.get_quantile(q) for q in QS) if not s.is_empty()
                    else (np.nan, np.nan) for m, s in zip(MEASURES, pair, strict=True)}
            for group, pair in merged.items()}


# -- errors against exact ---------------------------------------------------------------

class Truth:
    """The exact durations of a range, sorted per group, for value and rank errors."""

    def __init__(self, d: dict[str, np.ndarray], start: date, end: date):
        inside = (d["day"] >= day_number(start)) & (d["day"] <= day_number(end))
        self.n = int(inside.sum())
        self.sorted: dict[str, dict] = {}
        for part, key in PARTS.items():
            groups = np.zeros(self.n, dtype=np.int32) if key is None else d[key][inside]
            self.sorted[part] = {}
            for group in np.unique(groups):
                mine = groups == group
                self.sorted[part][None if key is None else int(group)] = {
                    m: np.sort(v[~np.isnan(v)]) for m in MEASURES
                    for v in [d[m][inside][mine]]}

    def exact(self, part: str, group, measure: str) -> tuple[float, ...]:
        values = self.sorted[part][group][measure]
        return tuple(float(np.quantile(values, q)) for q in QS)  # linear: percentile_cont

    def errors(self, part: str, estimates: dict) -> list[tuple[float, float]]:
        """Per (measure, q): the value error (%) and rank error (points) of the total, or
        for groups those of the group with the largest one (each taken apart)."""
        out = []
        for measure in MEASURES:
            for i, q in enumerate(QS):
                worst_value = worst_rank = 0.0
                for group, values in self.sorted[part].items():
                    mine = values[measure]
                    if not len(mine):
                        continue
                    estimate = estimates[group][measure][i]
                    exact = float(np.quantile(mine, q))
                    value = (estimate - exact) / exact * 100
                    # percent_rank(estimate) WITHIN GROUP: the share of durations below it
                    rank = (np.searchsorted(mine, estimate, "left") / len(mine) - q) * 100
                    worst_value = max(worst_value, value, key=abs)
                    worst_rank = max(worst_rank, rank, key=abs)
                out.append((worst_value, worst_rank))
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/crm_bench")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--k", default="200,400", help="KLL k values, comma-separated")
    parser.add_argument("--compressions", default="100,300,500",
                        help="scratch t-digests' compressions, comma-separated (the app "
                        "tables' own is read from them and not built again)")
    parser.add_argument("--keep", action="store_true", help="leave the sk_ tables")
    args = parser.parse_args()
    ks = [int(k) for k in args.k.split(",")]

    conn = psycopg.connect(args.url, autocommit=True)
    dirty = conn.execute("SELECT count(*) FROM report_dirty_day").fetchone()[0]
    if dirty:
        sys.exit(f"{dirty} days not folded: run `flask crm fold-reports` first")
    print(f"{datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, {load()}")
    started = time.monotonic()
    d = durations(conn)
    print(f"{len(d['day']):,} real leads read in {time.monotonic() - started:.1f} s")
    app = app_compression(conn)
    tdigests = [(f"tdigest {app}", "report_speed")]
    for compression in [int(c) for c in args.compressions.split(",")]:
        if compression != app:
            started = time.monotonic()
            tdigests.append((f"tdigest {compression}", build_tdigest(conn, compression)))
            print(f"tdigest {compression} built into {tdigests[-1][1]}(_month) in "
                  f"{time.monotonic() - started:.1f} s")
    tdigests.sort(key=lambda t: int(t[0].split()[1]))
    print(f"the app's report_speed(_month) hold compression {app}")
    started = time.monotonic()
    build_kll(conn, d, ks)
    print(f"KLL k={args.k} built into sk_kll_day / sk_kll_month in "
          f"{time.monotonic() - started:.1f} s")
    # The sketches' own bytes (as stored: pg_column_size), not the tables': the app's may
    # hold dead rows of its last fold.
    size = ("(SELECT sum(coalesce(pg_column_size({a}), 0) + coalesce(pg_column_size({c}), 0))"
            " FROM {t}{w})")
    sizes = [conn.execute(
        "SELECT " + ", ".join(size.format(a="assign_digest", c="contact_digest", t=t, w="")
                              for t in (daily, f"{daily}_month"))).fetchone()
             for _, daily in tdigests]
    sizes += [conn.execute(
        "SELECT " + ", ".join(size.format(a="assign", c="contact", t=t, w=f" WHERE k = {k}")
                              for t in ("sk_kll_day", "sk_kll_month"))).fetchone()
              for k in ks]
    names = [name for name, _ in tdigests] + [f"KLL {k}" for k in ks]
    print("sketch bytes stored, day / month cells: " + "; ".join(
        f"{name} {day / 2**20:.1f} / {month / 2**20:.2f} MiB"
        for name, (day, month) in zip(names, sizes, strict=True)))

    end = today()
    ranges = [("18 months", end - timedelta(days=round(18 * 30.44))),
              ("2 years", end - timedelta(days=round(24 * 30.44))),
              ("120 days", end - timedelta(days=119))]
    cell = "{:>9} {:>7} {:>6}"
    header = ("range      method      part   " + "  ".join(
        cell.format(f"{m} p{round(q * 100)}", "err%", "rank") for m in MEASURES for q in QS)
        + "      ms")
    lines = [header]
    for label, start in ranges:
        print(f"{label}: {start} .. {end}, {load()}", flush=True)
        truth = Truth(d, start, end)
        exact_rows = {}
        methods: list[tuple[str, dict]] = []
        times: dict[str, float] = {}
        for part, (sql, params) in exact_statements(start, end).items():
            times[f"exact {part}"], rows = timed(
                lambda s=sql, p=params: run_sql(conn, s, p, work_mem=True), args.runs)
            exact_rows[part] = as_estimates(rows, part != "total")
        # The SQL's exact total is the arrays' (same leads, same interpolation).
        for m in MEASURES:
            ours, theirs = truth.exact("total", None, m), exact_rows["total"][None][m]
            assert np.allclose(ours, theirs, rtol=1e-9), (m, ours, theirs)
        for name, daily in tdigests:
            got = {}
            for part, (sql, params) in tdigest_statements(start, end, daily).items():
                times[f"{name} {part}"], rows = timed(
                    lambda s=sql, p=params: run_sql(conn, s, p), args.runs)
                got[part] = as_estimates(rows, part != "total")
            methods.append((name, got))
        for k in ks:
            got = {}
            for part, key in PARTS.items():
                times[f"KLL {k} {part}"], got[part] = timed(
                    lambda key=key, k=k, start=start: kll_merge(conn, start, end, k, key),
                    args.runs)
            methods.append((f"KLL {k}", got))

        exact_total = [truth.exact("total", None, m) for m in MEASURES]
        values = [v for pair in exact_total for v in pair]
        lines.append(f"{label:<10} {'exact':<11} {'total':<6} " + "  ".join(
            cell.format(f"{v:.4g}", "", "") for v in values)
            + f" {times['exact total']:7.1f}")
        for part in ("team", "agent"):
            lines.append(f"{'':<10} {'':<11} {part:<6} " + "  ".join(
                cell.format("", "", "") for _ in values) + f" {times[f'exact {part}']:7.1f}")
        for name, got in methods:
            for part in PARTS:
                errors = truth.errors(part, got[part])
                if part == "total":
                    shown = [got[part][None][m][i] for m in MEASURES for i in range(len(QS))]
                    first = [f"{v:.4g}" for v in shown]
                else:
                    first = ["worst"] * len(errors)
                lines.append(f"{'':<10} {name if part == 'total' else '':<11} {part:<6} "
                             + "  ".join(cell.format(f, f"{v:+.2f}", f"{r:+.2f}")
                                         for f, (v, r) in zip(first, errors, strict=True))
                             + f" {times[f'{name} {part}']:7.1f}")
        lines.append(f"{'':<10} {truth.n:,} real leads")
    print()
    print("\n".join(lines))
    print(f"\ndurations in seconds; err%: (estimate - exact) / exact; rank: the estimate's "
          f"percent_rank among the exact durations minus q, in percentile points; team / "
          f"agent rows: the worst group of each column; ms: median of {args.runs} runs "
          "(exact and tdigest: the statement in SQL; KLL: fetch + deserialize + merge in "
          f"Python). {load()}")
    if app_compression(conn) != app or conn.execute(
            "SELECT count(*) FROM report_dirty_day").fetchone()[0]:
        print("the app's rollups changed during the run (folded again?): run it again")
    if not args.keep:
        scratch = [t for _, daily in tdigests if daily.startswith("sk_")
                   for t in (daily, f"{daily}_month")]
        conn.execute(f"DROP TABLE IF EXISTS {', '.join([*scratch, 'sk_kll_day', 'sk_kll_month'])}")


if __name__ == "__main__":
    main()
