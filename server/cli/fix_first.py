"""The report's "Fix first": every finding ranked by what it is estimated to
cost, with its fix and the effort the fix takes.

    cost = round trips per request x requests x table size x severity weight

- round trips per request: what the rule's pattern costs one request (a query
  per loop item is many round trips, a missing index one slow scan, a missing
  compression middleware a little on every response); for a route that makes
  several sequential queries, the route's own count.
- requests: when request logs were read, how often the routes the finding is
  on were hit; otherwise how many routes it is on (at least 1), so a helper
  under three routes weighs three times one under one.
- table size, when `perfaudit explain` measured the table the finding's
  query reads (its saved results): 1 up to 1,000 rows, +1 for each tenfold
  beyond (2 for 10 k rows, 4 for 1 M); else 1.
- severity weight: error 4, warning 2, information 1, hint 0.5.

An estimate to order the work, not a measurement: the figures behind it are
shown next to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from perfaudit.server.findings import Applicability, Severity

# Round trips (or their equivalent) one request pays for the pattern. A loop or
# fan-out is taken as 20 items: the size of a typical page of rows.
LOOP_ITEMS = 20
PER_REQUEST: dict[str, float] = {
    "P104": LOOP_ITEMS, "R204": LOOP_ITEMS, "A404": LOOP_ITEMS,
    "E305": 10, "R202": 10,           # block the event loop / Redis for everyone
    "P105": 5, "P106": 5, "P102": 5,  # a scan, or every row, of a table that grows
    "R205": 3, "E303": 3,             # the route's queries, on every request
    "R203": 2, "A401": 2,
    "P101": 1, "P103": 1, "P107": 1, "P108": 1, "A402": 1, "A403": 1,
    "E304": 2,
    "R201": 0.5,
    "E301": 0.2, "E302": 0.1,         # a little on every response; cosmetic next to the above
    "X001": 0,
}
SEVERITY_WEIGHT = {Severity.ERROR: 4, Severity.WARNING: 2, Severity.INFORMATION: 1, Severity.HINT: 0.5}


@dataclass(frozen=True)
class Ranked:
    finding: object
    cost: float
    per_request: float
    requests: int
    measured: bool  # requests from logs, not a count of routes
    routes: tuple[str, ...]
    fix: str
    effort: str
    table: tuple[str, int] | None = None  # (model, rows) when the table size is known


def table_factor(rows: int) -> float:
    return max(1.0, math.log10(max(rows, 1)) - 2)


def effort_of(finding) -> tuple[str, str]:
    """(the fix, what it takes)."""
    for applicability, effort in ((Applicability.SAFE, "automatic: `perfaudit check --fix`"),
                                  (Applicability.UNSAFE, "automatic, review the change: `perfaudit check --fix --unsafe-fixes`")):
        for fix in finding.fixes:
            if fix.edits and fix.applicability == applicability:
                return fix.title, effort
    shown = next((fix.title for fix in finding.fixes), None)
    return shown or "", f"by hand: the message says how (`perfaudit rule {finding.code}`)"


def rank(findings, route_rows, routes_of, table_of=lambda f: None) -> list[Ranked]:
    """Findings, most costly first. `route_rows`: the report's route rows
    (method, path, sequential, queries, latency); `routes_of(finding)`: the
    (method, path) of the routes the finding is on; `table_of(finding)`:
    (model, rows) of the table it reads when that is known, else None."""
    by_key = {(r["method"], r["path"]): r for r in route_rows}
    out = []
    for f in findings:
        keys = [k for k in routes_of(f) if k in by_key]
        rows = [by_key[k] for k in keys]
        per_request = PER_REQUEST.get(f.code, 1.0)
        if f.code in ("E303", "R205") and rows:
            per_request = max(per_request, *(max(r["sequential"], r["queries"]) for r in rows))
        measured = any(r.get("latency") for r in rows)
        if measured:
            requests = sum((r.get("latency") or {}).get("count", 0) for r in rows)
        else:
            requests = max(1, len(rows))
        table = table_of(f)
        size = table_factor(table[1]) if table else 1.0
        cost = per_request * requests * size * SEVERITY_WEIGHT.get(f.severity, 1)
        fix, effort = effort_of(f)
        out.append(Ranked(f, cost, per_request, requests, measured, tuple(f"{m} {p}" for m, p in keys), fix, effort, table))
    out.sort(key=lambda r: (-r.cost, r.finding.path, r.finding.start, r.finding.code))
    return out


def why(r: Ranked) -> str:
    """The figures behind the cost, in words."""
    trips = f"~{r.per_request:g} round trip{'s' if r.per_request != 1 else ''}"
    if r.table:
        from perfaudit.server.postgres.verdicts import human_rows

        trips += f" on `{r.table[0]}` ({human_rows(r.table[1])} rows)"
    if r.measured:
        return f"{trips} per request x {r.requests:,} measured request{'s' if r.requests != 1 else ''}"
    if r.routes:
        return f"{trips} per request, on {len(r.routes)} route{'s' if len(r.routes) != 1 else ''}"
    return f"{trips} each time it runs (on no route)"
