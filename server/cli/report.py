"""The audit report: one document a team can commit or attach to a pull request.

`build_report(result, latency=None)` turns an analysis (and, optionally, the
latency measured from request logs) into a plain dict:

- "Fix first": every finding ranked by its estimated cost (fix_first.py),
  with its fix and the effort it takes;
- the audit checklist by phase (queries and indexes; cache; endpoints; memory
  and async; pool; compression; metrics), each item a rule, ticked when the
  rule ran and found nothing, with the findings behind it otherwise;
- counts per rule;
- the route inventory with its costs (queries, round trips, cache,
  pagination, findings on the route, measured latency), ordered by measured
  cost when logs were read (total time spent, then p95), else by path;
- the missing indexes with the exact `@@index` lines the P105/P106 fixes add.

`to_markdown` and `to_json` render it here; `report_html.to_html` renders the
self-contained HTML page. Paths are relative to the root; no timestamps, so
the same code gives the same report.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import Any

from perfaudit.server.cli.baseline import relpath
from perfaudit.server.findings import Severity

REPORT_VERSION = 1

# (phase id, title, [(rule code, checklist item)])
PHASES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("queries", "Queries and indexes", [
        ("P101", "Reads select only the columns they use"),
        ("P102", "List queries are bounded with `take`"),
        ("P103", "Included relations select their fields"),
        ("P104", "No query per loop item (N+1)"),
        ("P105", "Filtered and sorted fields are indexed"),
        ("P106", "Foreign keys are indexed"),
    ]),
    ("cache", "Cache", [
        ("R205", "Expensive reads on GET routes are cached"),
        ("R201", "Every Redis key written has a TTL"),
        ("R202", "No `KEYS` over the keyspace"),
        ("R203", "Consecutive Redis commands are pipelined"),
        ("R204", "No Redis command per loop item"),
    ]),
    ("endpoints", "Endpoints", [
        ("E303", "Routes make few sequential round trips"),
        ("E304", "List endpoints are paginated"),
        ("E305", "No blocking calls while serving requests"),
    ]),
    ("memory", "Memory and async", [
        ("A401", "Independent awaits run in parallel"),
        ("A402", "Event listeners do not leak"),
        ("A403", "Intervals are cleared"),
        ("A404", "Fan-outs over arrays are bounded"),
    ]),
    ("pool", "Connection pool", [
        ("P107", "One PrismaClient, one pool"),
        ("P108", "The pool size is explicit"),
    ]),
    ("compression", "Compression", [
        ("E301", "Responses are compressed"),
    ]),
    ("metrics", "Metrics", [
        ("E302", "Request durations are measured"),
        ("logs", "Response times read from the request logs"),
    ]),
]

DONE, TODO, NOT_CHECKED = "done", "todo", "not checked"
_INDEX_LINE = re.compile(r"@@index\(\[[^\]]*\][^\n]*\)")
_FIX_MODEL = re.compile(r" to (\w+)\s*$")


def _finding_row(f, ws, root: str) -> dict:
    try:
        line = ws.line_index(f.path).line_of(f.start) + 1
    except Exception:  # noqa: BLE001 - a path the workspace does not hold
        line = 0
    return {"code": f.code, "path": relpath(f.path, root), "line": line, "severity": f.severity.label,
            "message": f.message}


def _enabled(config, code: str) -> bool:
    if code not in _rules():
        return False
    return config is None or config.enabled(code)


def _rules() -> dict:
    from perfaudit.server.registry import all_rules

    return all_rules()


def _checklist(result, rows_by_code: dict[str, list[dict]], latency) -> list[dict]:
    config = getattr(result.workspace, "config", None)
    rules = _rules()
    phases = []
    for phase_id, title, items in PHASES:
        out_items = []
        for code, text in items:
            if code == "logs":
                measured = latency is not None and latency.stats.requests > 0
                out_items.append({"code": None, "name": "measured-latency", "title": text,
                                  "status": DONE if measured else TODO, "count": 0, "findings": [],
                                  "note": ("" if measured else "run with --logs to rank the routes by measured latency")})
                continue
            found = rows_by_code.get(code, [])
            status = NOT_CHECKED if not _enabled(config, code) else (TODO if found else DONE)
            rule = rules.get(code)
            out_items.append({"code": code, "name": rule.name if rule else "", "title": text, "status": status,
                              "count": len(found), "findings": found, "note": ""})
        done = sum(1 for i in out_items if i["status"] == DONE)
        phases.append({"id": phase_id, "title": title, "done": done, "total": len(out_items), "items": out_items})
    return phases


def _index_suggestions(result, root: str) -> list[dict]:
    """The `@@index` lines that the P105/P106 fixes add, one per (schema file, model, line)."""
    ws = result.workspace
    out: dict[tuple[str, str, str], dict] = {}
    for f in result.findings:
        if f.code not in ("P105", "P106"):
            continue
        for fix in f.fixes:
            for edit in fix.edits:
                m = _INDEX_LINE.search(edit.new_text)
                if m is None:
                    continue
                line = m.group(0)
                model_m = _FIX_MODEL.search(fix.title)
                model = model_m.group(1) if model_m else ""
                key = (relpath(edit.path, root), model, line)
                entry = out.setdefault(key, {"schema": key[0], "model": model, "index": line,
                                             "fields": re.findall(r"\w+", line.split("[", 1)[1].split("]", 1)[0]),
                                             "rules": [], "findings": []})
                if f.code not in entry["rules"]:
                    entry["rules"].append(f.code)
                row = _finding_row(f, ws, root)
                if row not in entry["findings"]:
                    entry["findings"].append(row)
    return [out[k] for k in sorted(out)]


def _planner(root: str) -> dict | None:
    """The saved `perfaudit explain` results (verdicts and table sizes), if any."""
    from perfaudit.server.postgres.results import load

    return load(root)


def _routes_and_spans(result):
    """The routes, and per (METHOD, path) the code ranges that belong to it."""
    from perfaudit.server.express.request_logs import findings_on_routes
    from perfaudit.server.express.routes import routes

    try:
        found = list(routes(result.workspace))
        return found, findings_on_routes(result.workspace, found)
    except Exception:  # noqa: BLE001 - the report still has the rest
        return [], {}


def _on(f, ranges) -> bool:
    return any(p == f.path and s <= f.start < max(e, s + 1) for p, s, e in ranges)


def _route_rows(result, root: str, latency, found, spans) -> list[dict]:
    from perfaudit.server.express.request_logs import lens_text

    rows = []
    for r in found:
        j = r.to_json()
        mine = spans.get((r.method, r.path), [])
        on_route = [f for f in result.findings if _on(f, mine)]
        lat = latency.get(r.method, r.path) if latency is not None else None
        rows.append({
            "method": r.method,
            "path": r.path,
            "file": j["file"],
            "line": j["line"],
            "handler": j["handler"]["name"] if j["handler"] else r.handler_label,
            "queries": j["queries"],
            "sequential": j["sequential"],
            "query_list": j["query_list"],
            "schemas": j["schemas"],
            "cached": j["cached"],
            "paginated": j["paginated"],
            "blocking": j["blocking"],
            "findings": len(on_route),
            "finding_codes": sorted(Counter(f.code for f in on_route)),
            "latency": lat.to_json() if lat is not None and lat.count else None,
            "latency_text": lens_text(lat),
        })
    if latency is not None:
        rows.sort(key=lambda row: (-(row["latency"] or {}).get("total_ms", -1), -(row["latency"] or {}).get("p95_ms", -1),
                                   row["path"], row["method"]))
    else:
        rows.sort(key=lambda row: (row["path"], row["method"]))
    return rows


# Models a finding's message names: `Book.isbn`, (ReadListItem.create), prisma.readList.findMany.
_MODEL_IN_MESSAGE = re.compile(r"\b([A-Z][A-Za-z0-9_]*)\.[a-z]\w*|\b(?:prisma|tx|db|client)\.([a-z][A-Za-z0-9_]*)\.")


def _table_of(planner):
    """finding -> (model, rows) from the saved `perfaudit explain` results, else None."""
    from perfaudit.server.postgres.results import _model_entry

    def table_of(f):
        if not planner or not f.code.startswith(("P", "E303", "E304", "R205", "A404")):
            return None
        for m in _MODEL_IN_MESSAGE.finditer(f.message):
            entry = _model_entry(planner, m.group(1) or m.group(2))
            if entry is not None and isinstance(entry.get("rows"), int):
                return entry["model"], entry["rows"]
        return None

    return table_of


def _fix_first(result, route_rows, spans, planner=None) -> list[dict]:
    from perfaudit.server.cli.fix_first import rank, why

    ranked = rank(result.findings, route_rows, lambda f: [k for k, ranges in spans.items() if _on(f, ranges)],
                  _table_of(planner))
    rows = []
    for r in ranked:
        row = _finding_row(r.finding, result.workspace, result.root)
        row.update({"cost": round(r.cost, 3), "why": why(r), "routes": list(r.routes), "fix": r.fix, "effort": r.effort})
        rows.append(row)
    return rows


def build_report(result, latency=None, title: str | None = None) -> dict[str, Any]:
    from perfaudit.server.cli.output import statistics, tool_version

    ws = result.workspace
    root = result.root
    rows_by_code: dict[str, list[dict]] = {}
    for f in result.findings:
        rows_by_code.setdefault(f.code, []).append(_finding_row(f, ws, root))
    checklist = _checklist(result, rows_by_code, latency)
    by_severity = Counter(f.severity.label for f in result.findings)
    found, spans = _routes_and_spans(result)
    route_rows = _route_rows(result, root, latency, found, spans)
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "tool": {"name": "perfaudit", "version": tool_version()},
        "title": title or f"Performance audit: {os.path.basename(root.rstrip('/')) or root}",
        "project": os.path.basename(root.rstrip("/")) or root,
        "summary": {
            "findings": len(result.findings),
            "files": len({f.path for f in result.findings}),
            "by_severity": {s.label: by_severity.get(s.label, 0) for s in sorted(Severity, reverse=True)},
            "checklist_done": sum(p["done"] for p in checklist),
            "checklist_total": sum(p["total"] for p in checklist),
            "skipped": len(result.skipped),
        },
        "fix_first": _fix_first(result, route_rows, spans, _planner(root)),
        "checklist": checklist,
        "rules": statistics(result),
        "routes": route_rows,
        "indexes": _index_suggestions(result, root),
        "planner": _planner(root),
        "logs": None,
    }
    if latency is not None:
        lat = latency.to_json()
        read = lat["read"]
        read["files"] = [relpath(p, root) if not relpath(p, root).startswith("../") else os.path.basename(p)
                         for p in read["files"]]
        read["unreadable"] = [{**u, "file": os.path.basename(u["file"])} for u in read["unreadable"]]
        report["logs"] = {"percentiles": lat["percentiles"], "read": read, "unmatched_top": lat["unmatched_top"]}
    return report


# ------------------------------------------------------------------ markdown

_MARK = {DONE: "[x]", TODO: "[ ]", NOT_CHECKED: "[ ]"}
_PAGINATED = {True: "yes", False: "no", None: "-"}


def fixable_text(row: dict) -> str:
    """Fixable count of a rule, unsafe fixes included: `3 (1 unsafe)`."""
    unsafe = row.get("fixable_unsafe", 0)
    total = row["fixable"] + unsafe
    return f"{total} ({unsafe} unsafe)" if unsafe else str(total)


def _fix_first_md(rows: list[dict]) -> list[str]:
    out = ["## Fix first", "",
           "Every finding, most costly first: estimated round trips per request x how often its routes are hit "
           "(measured with --logs, else the number of routes) x severity. An estimate to order the work.", ""]
    if not rows:
        return out + ["Nothing to fix.", ""]
    out += ["| # | Severity | Rule | Where | What | Fix | Effort | Estimate |", "|---:|---|---|---|---|---|---|---|"]
    for i, r in enumerate(rows, 1):
        out.append(f"| {i} | {r['severity']} | {r['code']} | [`{r['path']}:{r['line']}`]({_md(r['path'])}) | "
                   f"{_md(r['message'])} | {_md(r['fix']) or '-'} | {_md(r['effort'])} | {_md(r['why'])} |")
    return out + [""]


def _md(text: str) -> str:
    """Escape what would break a table cell or start markup."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def to_markdown(report: dict) -> str:
    s = report["summary"]
    out = [f"# {report['title']}", ""]
    sev = ", ".join(f"{n} {k}" for k, n in s["by_severity"].items() if n)
    out.append(f"**{s['findings']} finding{'s' if s['findings'] != 1 else ''}** in {s['files']} "
               f"file{'s' if s['files'] != 1 else ''}{f' ({sev})' if sev else ''}; checklist "
               f"**{s['checklist_done']}/{s['checklist_total']}** done. Generated by perfaudit {report['tool']['version']}.")
    out += [""] + _fix_first_md(report.get("fix_first", []))
    out += ["## Checklist", ""]
    for phase in report["checklist"]:
        out.append(f"### {phase['title']} ({phase['done']}/{phase['total']})")
        out.append("")
        for item in phase["items"]:
            code = f"`{item['code']}` " if item["code"] else ""
            extra = ""
            if item["status"] == TODO and item["count"]:
                extra = f": {item['count']} finding{'s' if item['count'] != 1 else ''}"
            elif item["status"] == NOT_CHECKED:
                extra = " (not checked: rule disabled)"
            elif item["note"]:
                extra = f" ({item['note']})"
            out.append(f"- {_MARK[item['status']]} {code}{item['title']}{extra}")
            for f in item["findings"]:
                out.append(f"  - {f['severity']} [`{f['path']}:{f['line']}`]({_md(f['path'])}) {_md(f['message'])}")
        out.append("")
    out += ["## Findings per rule", ""]
    if report["rules"]:
        out += ["| Rule | Name | Count | Fixable |", "|---|---|---:|---:|"]
        for r in report["rules"]:
            out.append(f"| {r['code']} | {r['name']} | {r['count']} | {fixable_text(r)} |")
    else:
        out.append("No findings.")
    out += ["", "## Routes", ""]
    logs = report.get("logs")
    if logs:
        read = logs["read"]
        out.append(f"Ordered by measured cost (total time) from {read['requests']:,} requests in "
                   f"{len(read['files'])} log file{'s' if len(read['files']) != 1 else ''}; percentiles are "
                   f"nearest-rank. {read['malformed']:,} lines not parsed, {read['too_long']:,} over-long lines "
                   f"skipped, {read['unmatched']:,} request{'s' if read['unmatched'] != 1 else ''} matched no route.")
        out.append("")
    if report["routes"]:
        several = any(r["schemas"] for r in report["routes"])  # name the schemas only where there are several
        head = "| Method | Path | Queries |" + (" Schemas |" if several else "") + " Sequential | Cached | Paginated | Findings |"
        rule = "|---|---|---:|" + ("---|" if several else "") + "---:|---|---|---:|"
        if logs:
            head += " Requests | p50 ms | p95 ms |"
            rule += "---:|---:|---:|"
        head += " Handler |"
        rule += "---|"
        out += [head, rule]
        for r in report["routes"]:
            schemas = f" {_md(', '.join(r['schemas']) or '-')} |" if several else ""
            row = (f"| {r['method']} | `{_md(r['path'])}` | {r['queries']} |{schemas} {r['sequential']} | "
                   f"{'yes' if r['cached'] else 'no'} | {_PAGINATED[r['paginated']]} | {r['findings']} |")
            if logs:
                lat = r["latency"]
                row += (f" {lat['count']:,} | {lat['p50_ms']:g} | {lat['p95_ms']:g} |" if lat else " 0 | | |")
            row += f" {_md(r['handler'])} (`{r['file']}:{r['line']}`) |"
            out.append(row)
    else:
        out.append("No routes found.")
    out += ["", "## Missing indexes", ""]
    if report["indexes"]:
        for ix in report["indexes"]:
            out.append(f"- `{ix['model']}` in `{ix['schema']}` ({', '.join(ix['rules'])}, "
                       f"{len(ix['findings'])} finding{'s' if len(ix['findings']) != 1 else ''}):")
            out += ["", "  ```prisma", f"  {ix['index']}", "  ```", ""]
        out.append("Then create the migration: `npx prisma migrate dev --name add_performance_indexes`.")
    else:
        out.append("None: every filtered or sorted field and every foreign key has an index.")
    out += ["", "## Index advice checked by the PostgreSQL planner", ""]
    planner = report.get("planner")
    if planner:
        from perfaudit.server.cli.explain_output import index_table_markdown, tables_markdown

        db = planner.get("database", {})
        out.append(f"From the last `perfaudit explain` (PostgreSQL {db.get('server_version', '?')}, "
                   f"HypoPG {db.get('hypopg') or 'not installed'}): a suggestion the planner turns down "
                   "(`not-used`, `small-table`) is left out of the findings above.")
        out += [""] + index_table_markdown(planner) + ["", "Table sizes:", ""] + tables_markdown(planner)
    else:
        out.append("Not asked: run `perfaudit explain --database-url URL` to have the planner check the suggestions.")
    return "\n".join(out).rstrip() + "\n"
