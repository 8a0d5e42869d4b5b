"""One problem, one finding: where two rules describe the same problem at
the same place, one finding stays.

- P101 (no `select`) and P103 (an `include` loaded whole) on one call: one
  P103 finding that names both, with P103's fix first (it narrows the
  relations; P101's then turns the include into the select).
- P104 (a query per item) and A404 (an unbounded `Promise.all`) on one line:
  P104, which says what to do (batch the items).
- A401 (independent awaits in sequence) on awaits that an E303 route finding
  lists as its round trips: E303, which gets A401's "Run in parallel" fix.
- P102 (a `findMany` with no `take`) on the query of a GET route in the same
  file that E304 reports unpaginated: E304, which says why the list matters,
  with P102's fix when it has none of its own. A query in a service keeps
  its P102 there: that is where the service's own fix goes.
"""

from __future__ import annotations

import dataclasses

from perfaudit.server.findings import Finding


def merge_overlaps(findings: list[Finding], context: list[Finding] = (), line_of=None) -> list[Finding]:
    """`findings` with the overlapping pairs made one. `context`: findings
    of other files (an E303 in a routes file covers an A401 in a service);
    `line_of(path, offset)`: the 0-based line of an offset."""
    by_call: dict[tuple[str, int, int], dict[str, Finding]] = {}
    for f in findings:
        if f.code in ("P101", "P103"):
            by_call.setdefault((f.path, f.start, f.end), {})[f.code] = f
    merged: dict[Finding, Finding | None] = {}
    for pair in by_call.values():
        if len(pair) == 2:
            p101, p103 = pair["P101"], pair["P103"]
            detail = p101.message.split(" has no `select`: ", 1)[-1]
            merged[p103] = dataclasses.replace(p103, message=f"{p103.message}; nor does the query select its own columns: {detail}",
                                               fixes=p103.fixes + p101.fixes)
            merged[p101] = None
    p104_lines = {(f.path, line_of(f.path, f.start)) for f in findings if f.code == "P104"} if line_of else set()
    route_steps = {(r.path, r.start, r.end) for f in list(findings) + list(context) if f.code == "E303" for r in f.related}
    route_lists = {(r.path, r.start, r.end): f for f in findings if f.code == "E304" for r in f.related if r.path == f.path}
    a401_fixes: dict[Finding, list] = {}
    p102_fixes: dict[Finding, tuple] = {}
    out: list[Finding] = []
    for f in findings:
        if f in merged:
            if merged[f] is not None:
                out.append(merged[f])
            continue
        if f.code == "A404" and line_of and (f.path, line_of(f.path, f.start)) in p104_lines:
            continue
        if f.code == "A401" and _covers(route_steps, f):
            a401_fixes[f] = list(f.fixes)
            continue
        if f.code == "P102":
            e304 = next((e for step, e in route_lists.items() if _covers((step,), f)), None)
            if e304 is not None:
                p102_fixes.setdefault(e304, f.fixes)
                continue
        out.append(f)
    if a401_fixes:
        out = [_with_a401_fixes(f, a401_fixes) if f.code == "E303" else f for f in out]
    if p102_fixes:
        out = [dataclasses.replace(f, fixes=f.fixes or p102_fixes[f]) if f in p102_fixes else f for f in out]
    return out


def _covers(steps, f: Finding) -> bool:
    """Whether one of the round trips is the awaited call of `f` (the same
    node, or one inside the other: `await x()` and `x()`)."""
    return any(path == f.path and (start <= f.start < f.end <= end or f.start <= start < end <= f.end)
               for path, start, end in steps)


def _with_a401_fixes(e303: Finding, a401s: dict[Finding, list]) -> Finding:
    steps = {(r.path, r.start, r.end) for r in e303.related}
    extra = tuple(fx for a, fixes in a401s.items() if _covers(steps, a) for fx in fixes)
    return dataclasses.replace(e303, fixes=e303.fixes + extra) if extra else e303
