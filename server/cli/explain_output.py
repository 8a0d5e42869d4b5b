"""`perfaudit explain` results for people: text for the terminal, markdown for
pull requests and the report."""

from __future__ import annotations

from perfaudit.server.postgres.verdicts import human_bytes, human_rows

VERDICT_WORDS = {
    "confirmed": "the planner uses it and the cost drops",
    "not-used": "the planner keeps its plan: do not add it",
    "small-table": "the table is small, a scan is cheap: do not add it",
    "no-hypopg": "HypoPG is missing: only the plan before is known",
}


def _measured(plan: dict) -> str:
    ms = plan.get("actual_ms")
    return f" ({ms:,.2f} ms measured)" if isinstance(ms, (int, float)) else ""


def _cost(entry: dict) -> str:
    before = entry.get("before") or {}
    after = entry.get("after")
    text = f"{before.get('node', '?')} {before.get('cost', 0):,.2f}{_measured(before)}"
    if after is not None:
        used = "uses it" if after.get("uses_index") else "does not use it"
        text += f" -> {after.get('node', '?')} {after.get('cost', 0):,.2f} ({used})"
    return text


def to_text(results: dict) -> str:
    db = results.get("database", {})
    lines = [f"PostgreSQL {db.get('server_version', '?')}, HypoPG {db.get('hypopg') or 'not installed'}", ""]
    indexes = results.get("indexes", [])
    if not indexes:
        lines.append("No index to ask about: P105 suggests none.")
    for entry in indexes:
        lines.append(f"{entry['verdict']:<12} @@index([{', '.join(entry['fields'])}]) on {entry['model']} "
                     f"({entry['table']}, {human_rows(entry['table_rows'])} rows)")
        lines.append(f"{'':<12} {VERDICT_WORDS.get(entry['verdict'], '')}; cost {_cost(entry)}")
        for site in entry.get("query_sites", []):
            lines.append(f"{'':<12} {site['op']} in {site['path']}:{site['line']}")
    lines += ["", "Tables:"]
    for t in sorted(results.get("tables", []), key=lambda t: -t.get("rows", 0)):
        lines.append(f"  {t['model']:<20} {human_rows(t['rows']):>8} rows  {human_bytes(t['bytes']):>9}  {t['table']}")
    for note in results.get("notes", []):
        lines += ["", note]
    return "\n".join(lines) + "\n"


def index_table_markdown(results: dict) -> list[str]:
    """The verdict table: one row per suggested index."""
    rows = ["| Index | Table rows | Before | After | Verdict |", "| --- | --- | --- | --- | --- |"]
    for e in results.get("indexes", []):
        before = e.get("before") or {}
        after = e.get("after")
        after_text = (f"{after['node']} {after['cost']:,.2f}" + ("" if after.get("uses_index") else " (not used)")
                      if after is not None else "-")
        rows.append(f"| `{e['model']}` `@@index([{', '.join(e['fields'])}])` | {human_rows(e['table_rows'])} "
                    f"| {before.get('node', '?')} {before.get('cost', 0):,.2f}{_measured(before)} | {after_text} "
                    f"| **{e['verdict']}** |")
    return rows


def tables_markdown(results: dict) -> list[str]:
    rows = ["| Model | Table | Rows | Size |", "| --- | --- | --- | --- |"]
    for t in sorted(results.get("tables", []), key=lambda t: -t.get("rows", 0)):
        rows.append(f"| `{t['model']}` | `{t['table']}` | {human_rows(t['rows'])} | {human_bytes(t['bytes'])} |")
    return rows


def to_markdown(results: dict) -> str:
    db = results.get("database", {})
    lines = ["# Index advice checked by the PostgreSQL planner", "",
             f"PostgreSQL {db.get('server_version', '?')}, HypoPG {db.get('hypopg') or 'not installed'}.", ""]
    lines += index_table_markdown(results) if results.get("indexes") else ["No index to ask about: P105 suggests none."]
    lines += ["", "## Tables", ""] + tables_markdown(results)
    for note in results.get("notes", []):
        lines += ["", note]
    return "\n".join(lines) + "\n"
