"""The audit report as one self-contained HTML file.

No network, no script: inline CSS and inline SVG bar charts (queries per
route; measured p50/p95 per route when logs were read). Every piece of text
from the code or the logs is escaped.
"""

from __future__ import annotations

import re
from html import escape

from urllib.parse import quote

from perfaudit.server.cli.report import DONE, NOT_CHECKED, TODO, fixable_text

_CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --ok:#1a7f37; --todo:#cf222e; --skip:#8c959f;
        --bar:#0969da; --bar2:#bf8700; --bg:#ffffff; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0; padding: 24px 32px; max-width: 1200px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; border-bottom: 1px solid var(--line);
     padding-bottom: 4px; margin-top: 32px; } h3 { font-size: 15px; margin: 18px 0 6px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft);
       padding: 1px 4px; border-radius: 4px; }
.muted { color: var(--muted); }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 140px; background: var(--soft); }
.card b { display: block; font-size: 26px; line-height: 1.2; }
.card span { display: block; color: var(--muted); font-size: 13px; }
.card.error b { color: var(--todo); } .card.warning b { color: #9a6700; }
.sev { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 9px; border: 1px solid var(--line);
       margin-right: 4px; white-space: nowrap; }
.sev.error { color: #fff; background: var(--todo); border-color: var(--todo); }
.sev.warning { background: #fff8c5; border-color: #d4a72c; }
.sev.information, .sev.hint { background: var(--soft); }
a { color: var(--bar); text-decoration: none; } a:hover { text-decoration: underline; }
table.first td:first-child { color: var(--muted); }
ul.check { list-style: none; padding-left: 0; margin: 0; }
ul.check > li { margin: 3px 0; }
.mark { display: inline-block; width: 18px; font-weight: bold; }
.done .mark { color: var(--ok); } .todo .mark { color: var(--todo); } .skip .mark { color: var(--skip); }
details { margin-left: 18px; } summary { cursor: pointer; color: var(--muted); }
ul.findings { margin: 2px 0 6px; padding-left: 18px; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart text { font: 11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; fill: var(--fg); }
.chart .axis { stroke: var(--line); }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; }
pre { background: var(--soft); padding: 8px 12px; border-radius: 6px; overflow-x: auto; }
"""

_MARKS = {DONE: ("done", "\u2713"), TODO: ("todo", "\u2717"), NOT_CHECKED: ("skip", "\u2013")}


def _e(text) -> str:
    return escape(str(text), quote=True)


def _inline(text) -> str:
    """Escaped text with `code` spans, as in the markdown titles."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(text))


def _sev(label: str) -> str:
    return f'<span class="sev {_e(label)}">{_e(label)}</span>'


def _file(path: str, line: int, link_base: str) -> str:
    """`path:line`, linked to the file (relative to where the page is saved)."""
    return f'<a href="{_e(link_base + quote(path))}"><code>{_e(path)}:{line}</code></a>'


def _bar_chart(rows: list[tuple[str, list[float]]], colors: list[str], unit: str, label_width: int = 300,
               names: list[str] | None = None) -> str:
    """A horizontal bar chart in SVG: one row per label, one bar per figure
    that differs (equal figures share one bar, named for all of them)."""
    if not rows:
        return '<p class="muted">Nothing to chart.</p>'
    bar_h, gap = 12, 8
    width, plot = 980, 980 - label_width - 90
    top = 6
    shown = [(label, _distinct(values, names)) for label, values in rows]
    row_h = bar_h * max(len(bars) for _, bars in shown) + gap
    height = top + row_h * len(rows) + 6
    peak = max((v for _, values in rows for v in values), default=0) or 1
    parts = [f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}">']
    parts.append(f'<line class="axis" x1="{label_width}" y1="0" x2="{label_width}" y2="{height}"/>')
    for i, (label, bars) in enumerate(shown):
        y = top + i * row_h
        short = label if len(label) <= 44 else label[:43] + "\u2026"
        parts.append(f'<text x="{label_width - 6}" y="{y + bar_h * len(bars) / 2 + 4}" text-anchor="end">'
                     f'<title>{_e(label)}</title>{_e(short)}</text>')
        for j, (value, series_index, what) in enumerate(bars):
            w = max(0.0, value / peak * plot)
            by = y + j * bar_h
            parts.append(f'<rect x="{label_width}" y="{by}" width="{w:.1f}" height="{bar_h - 2}" '
                         f'fill="{colors[series_index]}"><title>{_e(label)}: {value:g}{" " + unit if unit else ""} ({_e(what)})</title></rect>')
            parts.append(f'<text x="{label_width + w + 4:.1f}" y="{by + bar_h - 3}">{value:g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _distinct(values: list[float], names: list[str] | None) -> list[tuple[float, int, str]]:
    """(value, series index, what it stands for) per distinct value, first series first."""
    names = names or [str(i) for i in range(len(values))]
    out: list[tuple[float, int, str]] = []
    for i, v in enumerate(values):
        same = next((k for k, (w, _, _) in enumerate(out) if w == v), None)
        if same is None:
            out.append((v, i, names[i]))
        else:
            value, index, what = out[same]
            out[same] = (value, index, f"{what} = {names[i]}")
    return out


def _fix_first(rows: list[dict], link_base: str) -> list[str]:
    out = ["<h2>Fix first</h2>",
           '<p class="muted">Every finding, most costly first: estimated round trips per request &times; how often '
           "its routes are hit (measured with <code>--logs</code>, else the number of routes) &times; severity. "
           "An estimate to order the work, with the figures behind it.</p>"]
    if not rows:
        return out + ["<p>Nothing to fix.</p>"]
    out.append('<table class="first"><tr><th>#</th><th>Finding</th><th>Fix</th><th>Effort</th><th>Estimate</th></tr>')
    for i, r in enumerate(rows, 1):
        out.append(f"<tr><td>{i}</td><td>{_sev(r['severity'])}<code>{_e(r['code'])}</code> "
                   f"{_file(r['path'], r['line'], link_base)}<br>{_inline(r['message'])}</td>"
                   f"<td>{_inline(r['fix']) or '&ndash;'}</td><td>{_inline(r['effort'])}</td>"
                   f'<td class="muted">{_e(r["why"])}</td></tr>')
    out.append("</table>")
    return out


def to_html(report: dict, link_base: str = "") -> str:
    """`link_base`: the path from where the page is saved to the project root
    ("" when saved in the root), so that file links open the files."""
    s = report["summary"]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           # No network, no script: the page is a document.
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
           f"<title>{_e(report['title'])}</title><style>{_CSS}</style></head><body>"]
    out.append(f"<h1>{_e(report['title'])}</h1>")
    out.append(f'<p class="muted">Generated by perfaudit {_e(report["tool"]["version"])}.</p>')
    sev = s["by_severity"]
    cards = [("", s["findings"], f"findings in {s['files']} file{'s' if s['files'] != 1 else ''}")]
    cards += [(label, n, label if n == 1 else {"information": "information", "hint": "hints"}.get(label, label + "s"))
              for label, n in sev.items() if n]
    cards += [("", f"{s['checklist_done']}/{s['checklist_total']}", "checklist items done"),
              ("", len(report["routes"]), "routes"), ("", len(report["indexes"]), "missing indexes")]
    out.append('<div class="cards">')
    for cls, figure, label in cards:
        out.append(f'<div class="card {cls}"><b>{_e(figure)}</b><span>{_e(label)}</span></div>')
    out.append("</div>")
    out += _fix_first(report.get("fix_first", []), link_base)

    out.append("<h2>Checklist</h2>")
    for phase in report["checklist"]:
        out.append(f'<h3>{_e(phase["title"])} <span class="muted">({phase["done"]}/{phase["total"]})</span></h3>')
        out.append('<ul class="check">')
        for item in phase["items"]:
            cls, mark = _MARKS[item["status"]]
            code = f"<code>{_e(item['code'])}</code> " if item["code"] else ""
            extra = ""
            if item["status"] == NOT_CHECKED:
                extra = ' <span class="muted">(not checked: rule disabled)</span>'
            elif item["note"]:
                extra = f' <span class="muted">({_e(item["note"])})</span>'
            out.append(f'<li class="{cls}"><span class="mark">{mark}</span>{code}{_inline(item["title"])}{extra}')
            if item["findings"]:
                n = item["count"]
                out.append(f"<details><summary>{n} finding{'s' if n != 1 else ''}</summary><ul class=\"findings\">")
                for f in item["findings"]:
                    out.append(f"<li>{_sev(f['severity'])}{_file(f['path'], f['line'], link_base)} {_inline(f['message'])}</li>")
                out.append("</ul></details>")
            out.append("</li>")
        out.append("</ul>")

    out.append("<h2>Findings per rule</h2>")
    if report["rules"]:
        out.append('<table><tr><th>Rule</th><th>Name</th><th class="n">Count</th><th class="n">Fixable</th></tr>')
        for r in report["rules"]:
            out.append(f"<tr><td><code>{_e(r['code'])}</code></td><td>{_e(r['name'])}</td>"
                       f'<td class="n">{r["count"]}</td><td class="n">{_e(fixable_text(r))}</td></tr>')
        out.append("</table>")
    else:
        out.append("<p>No findings.</p>")

    routes = report["routes"]
    logs = report.get("logs")
    out.append("<h2>Routes</h2>")
    out.append("<h3>Queries per route</h3>")
    out.append('<p class="legend muted"><span style="background:#0969da"></span>queries reached'
               '<span style="background:#bf8700"></span>sequential round trips</p>')
    out.append(_bar_chart([(f"{r['method']} {r['path']}", [r["queries"], r["sequential"]]) for r in routes],
                          ["#0969da", "#bf8700"], "", names=["queries reached", "sequential round trips"]))
    if logs:
        read = logs["read"]
        measured = [r for r in routes if r["latency"]]
        out.append("<h3>Measured latency per route</h3>")
        out.append(f'<p class="muted">{read["requests"]:,} requests from {len(read["files"])} log file(s); '
                   f'nearest-rank percentiles; {read["malformed"]:,} lines not parsed, {read["too_long"]:,} '
                   f'over-long lines skipped, {read["unmatched"]:,} request{"s" if read["unmatched"] != 1 else ""} '
                   'matched no route.</p>')
        out.append('<p class="legend muted"><span style="background:#8250df"></span>p50 ms'
                   '<span style="background:#cf222e"></span>p95 ms</p>')
        out.append(_bar_chart([(f"{r['method']} {r['path']}", [r["latency"]["p50_ms"], r["latency"]["p95_ms"]])
                               for r in measured], ["#8250df", "#cf222e"], "ms", names=["p50", "p95"]))
    out.append("<h3>Inventory</h3>")
    several = any(r.get("schemas") for r in routes)  # name the schemas only where there are several
    head = ("<tr><th>Method</th><th>Path</th><th class=\"n\">Queries</th>" + ("<th>Schemas</th>" if several else "")
            + "<th class=\"n\">Sequential</th><th>Cached</th><th>Paginated</th><th class=\"n\">Findings</th>")
    if logs:
        head += '<th class="n">Requests</th><th class="n">p50 ms</th><th class="n">p95 ms</th>'
    head += "<th>Handler</th></tr>"
    out.append(f"<table>{head}")
    for r in routes:
        row = (f"<tr><td>{_e(r['method'])}</td><td><code>{_e(r['path'])}</code></td>"
               f'<td class="n">{r["queries"]}</td>'
               + (f"<td>{_e(', '.join(r['schemas']) or '-')}</td>" if several else "")
               + f'<td class="n">{r["sequential"]}</td>'
               f"<td>{'yes' if r['cached'] else 'no'}</td><td>{ {True: 'yes', False: 'no', None: '&ndash;'}[r['paginated']] }</td>"
               f'<td class="n">{r["findings"]}</td>')
        if logs:
            lat = r["latency"]
            row += (f'<td class="n">{lat["count"]:,}</td><td class="n">{lat["p50_ms"]:g}</td>'
                    f'<td class="n">{lat["p95_ms"]:g}</td>' if lat else '<td class="n">0</td><td></td><td></td>')
        row += f"<td>{_e(r['handler'])} {_file(r['file'], r['line'], link_base)}</td></tr>"
        out.append(row)
    out.append("</table>")

    out.append("<h2>Missing indexes</h2>")
    if report["indexes"]:
        for ix in report["indexes"]:
            out.append(f"<h3><code>{_e(ix['model'])}</code> <span class=\"muted\">in {_e(ix['schema'])} "
                       f"({_e(', '.join(ix['rules']))})</span></h3>")
            out.append(f"<pre>{_e(ix['index'])}</pre>")
        out.append("<p>Then create the migration: <code>npx prisma migrate dev --name add_performance_indexes</code>.</p>")
    else:
        out.append("<p>None: every filtered or sorted field and every foreign key has an index.</p>")
    planner = report.get("planner")
    if planner:
        from perfaudit.server.postgres.verdicts import human_rows

        out.append("<h2>Index advice checked by the PostgreSQL planner</h2>")
        out.append("<table><tr><th>Index</th><th>Table rows</th><th>Cost before</th><th>Cost after</th><th>Verdict</th></tr>")
        for e in planner.get("indexes", []):
            after = e.get("after")
            after_cost = f"{after['cost']:,.2f}" if after else "-"
            out.append(f"<tr><td><code>{_e(e['model'])}</code> <code>@@index([{_e(', '.join(e['fields']))}])</code></td>"
                       f"<td class=\"n\">{_e(human_rows(e['table_rows']))}</td>"
                       f"<td class=\"n\">{e['before']['cost']:,.2f}</td>"
                       f"<td class=\"n\">{after_cost}</td>"
                       f"<td><b>{_e(e['verdict'])}</b></td></tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
