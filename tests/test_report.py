"""`perfaudit report`: the audit as markdown, JSON and one self-contained HTML
page, rendered in headless Chromium to a PNG kept under tests/output/."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from perfaudit.command_line import main
from perfaudit.server.engine import analyze
from perfaudit.server.cli.report import PHASES, build_report, to_markdown
from perfaudit.server.cli.report_html import to_html
from perfaudit.server.express.request_logs import measure_workspace

HERE = Path(__file__).parent
BACKEND = HERE.parent / "examples" / "backend"
LOGS = HERE / "fixtures" / "logs"
OUTPUT = HERE / "output"


@pytest.fixture(scope="module")
def result():
    return analyze(str(BACKEND))


@pytest.fixture(scope="module")
def report(result):
    return build_report(result)


@pytest.fixture(scope="module")
def report_with_logs(result):
    return build_report(result, measure_workspace(result.workspace, [str(LOGS / "*.log")]))


def test_checklist_by_phase(report):
    phases = [p["title"] for p in report["checklist"]]
    assert phases == ["Queries and indexes", "Cache", "Endpoints", "Memory and async", "Connection pool",
                      "Compression", "Metrics"]
    items = {i["code"]: i for p in report["checklist"] for i in p["items"] if i["code"]}
    assert set(items) == {c for _, _, its in PHASES for c, _ in its if c != "logs"}
    assert items["P105"]["status"] == "todo" and items["P105"]["count"] == 5
    assert items["E301"]["findings"][0]["path"] == "src/app.ts"
    metrics = report["checklist"][-1]["items"]
    assert metrics[-1]["status"] == "todo" and "--logs" in metrics[-1]["note"]
    assert report["summary"]["findings"] == 30
    assert report["summary"]["checklist_total"] == 23


def test_a_clean_phase_is_ticked_and_a_disabled_rule_not_checked(tmp_path):
    from perfaudit.server.config import Config

    shutil.copytree(BACKEND, tmp_path / "b")
    config = Config().merged(ignore=["E301", "R2"])
    rep = build_report(analyze(str(tmp_path / "b"), None, config))
    items = {i["code"]: i for p in rep["checklist"] for i in p["items"] if i["code"]}
    assert items["E301"]["status"] == "not checked"
    assert items["R202"]["status"] == "not checked"
    compression = next(p for p in rep["checklist"] if p["id"] == "compression")
    assert compression["done"] == 0
    # Fix compression for real: the item is then ticked.
    app = tmp_path / "b" / "src" / "app.ts"
    text = app.read_text()
    assert "express()" in text
    rep = build_report(analyze(str(tmp_path / "b")))
    app.write_text("import compression from 'compression';\n" + text.replace("express();", "express();\napp.use(compression());", 1))
    rep2 = build_report(analyze(str(tmp_path / "b")))
    before = {i["code"]: i["status"] for p in rep["checklist"] for i in p["items"] if i["code"]}
    after = {i["code"]: i["status"] for p in rep2["checklist"] for i in p["items"] if i["code"]}
    assert (before["E301"], after["E301"]) == ("todo", "done")


def test_missing_indexes_with_exact_lines(report):
    assert [(ix["model"], ix["index"], ix["rules"]) for ix in report["indexes"]] == [
        ("AuditLog", "@@index([actorId, createdAt])", ["P105"]),
        ("Book", "@@index([isbn])", ["P105"]),
        ("Comment", "@@index([bookId])", ["P106"]),
        ("Comment", "@@index([deletedAt, createdAt])", ["P105"]),
    ]
    assert all(ix["schema"] == "prisma/schema.prisma" for ix in report["indexes"])
    schema = (BACKEND / "prisma" / "schema.prisma").read_text()
    assert "@@index([isbn])" not in schema


def test_routes_and_counts(report):
    assert len(report["routes"]) == 29
    dup = next(r for r in report["routes"] if r["path"] == "/api/readlists/:id/duplicate")
    assert (dup["method"], dup["queries"], dup["sequential"], dup["findings"]) == ("POST", 3, 2, 1)
    assert dup["latency"] is None
    rules = {r["code"]: r["count"] for r in report["rules"]}
    assert rules["P105"] == 5 and sum(rules.values()) == 30


def test_routes_ordered_by_measured_cost(report_with_logs):
    routes = report_with_logs["routes"]
    assert [r["path"] for r in routes[:2]] == ["/api/stats/overview", "/api/books/:id"]
    assert routes[0]["latency"]["p95_ms"] == 1900 and routes[0]["latency_text"] == "p95 1.9 s over 10 requests"
    assert routes[-1]["latency"] is None
    logs = report_with_logs["logs"]
    assert logs["percentiles"] == "nearest-rank"
    assert logs["read"]["requests"] == 49 and logs["read"]["malformed"] == 12
    assert all(not f.startswith("/") for f in logs["read"]["files"])
    metrics = report_with_logs["checklist"][-1]["items"]
    assert metrics[-1]["status"] == "done"


def test_markdown(report, report_with_logs):
    md = to_markdown(report)
    assert md.startswith("# Performance audit: backend\n")
    for heading in ("## Checklist", "### Queries and indexes (0/6)", "## Findings per rule", "## Routes", "## Missing indexes"):
        assert heading in md
    assert "- [ ] `E301` Responses are compressed: 1 finding" in md
    assert "  @@index([isbn])" in md
    # "Paginated" only means something for a GET route that reads a list.
    assert "| POST | `/api/readlists/:id/duplicate` | 3 | 2 | no | - | 1 |" in md
    assert "| GET | `/api/readlists` |" in md and "| no | no |" in md
    md2 = to_markdown(report_with_logs)
    assert "| GET | `/api/stats/overview` | 3 | 1 | no | - | 1 | 10 | 1400 | 1900 |" in md2
    assert "- [x] Response times read from the request logs" in md2
    assert str(BACKEND) not in md and str(BACKEND) not in md2


def test_html_is_self_contained(report_with_logs):
    html = to_html(report_with_logs)
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert html.count("<svg") == 2  # queries per route; measured latency per route
    assert "&lt;inline&gt;" in html  # code text is escaped


def test_html_without_logs_has_one_chart(report):
    assert to_html(report).count("<svg") == 1


@pytest.mark.parametrize("fmt, marker", [("markdown", "# Performance audit"), ("json", '"checklist"'), ("html", "<!DOCTYPE html>")])
def test_cli_formats(capsys, fmt, marker):
    assert main(["report", str(BACKEND), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out.lstrip().startswith(marker) or marker in out
    if fmt == "json":
        assert json.loads(out)["summary"]["findings"] == 30


def test_cli_output_file_logs_and_baseline(tmp_path, capsys):
    base = tmp_path / "baseline.json"
    assert main(["check", "--no-cache", str(BACKEND), "--write-baseline", str(base)]) == 0
    out = tmp_path / "deep" / "report.json"
    assert main(["report", str(BACKEND), "--format", "json", "-o", str(out), "--logs", str(LOGS / "pino.log"),
                 "--baseline", str(base), "--title", "Sprint 12"]) == 0
    data = json.loads(out.read_text())
    assert data["title"] == "Sprint 12" and data["summary"]["findings"] == 0
    assert data["routes"][0]["path"] == "/api/stats/overview"
    assert "wrote the json report" in capsys.readouterr().err


def test_report_is_deterministic(result):
    a = json.dumps(build_report(result))
    b = json.dumps(build_report(result))
    assert a == b


# ------------------------------------------------------------------ headless Chromium


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _require_chromium() -> str:
    """Chromium, else a skip; in CI (.ci/install-test-tools.sh installs it) a failure."""
    found = _chromium()
    if found is None:
        reason = "headless Chromium is not installed (apt-get install -y --no-install-recommends chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def test_html_report_renders_in_chromium(report_with_logs, tmp_path):
    _require_chromium()
    OUTPUT.mkdir(exist_ok=True)
    page = OUTPUT / "report.html"
    png = OUTPUT / "report.png"
    page.write_text(to_html(report_with_logs), encoding="utf-8")
    if png.exists():
        png.unlink()
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
           "--no-first-run", "--disable-extensions", "--disable-background-networking", "--enable-logging=stderr",
           "--v=0", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1280,4400",
           page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], "the page logged to the console:\n" + "\n".join(console)
    assert png.exists(), f"no screenshot (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 4400)
    assert len(data) > 50_000  # a rendered page, not a blank one


# ------------------------------------------------------------------ Fix first

COPY_LOOP = ("src/services/readList.service.ts", 110, "P104")  # the N+1 copy loop of ReadListService.duplicate
COSMETIC = {"E301", "E302"}


def _position(rows, key):
    return next(i for i, r in enumerate(rows) if (r["path"], r["line"], r["code"]) == key)


def test_fix_first_ranks_every_finding_by_estimated_cost(report):
    rows = report["fix_first"]
    assert len(rows) == report["summary"]["findings"]
    assert [r["cost"] for r in rows] == sorted((r["cost"] for r in rows), reverse=True)
    copy_loop = rows[_position(rows, COPY_LOOP)]
    assert copy_loop["fix"] == "Use createMany (unsafe)"
    assert copy_loop["effort"].startswith("automatic, review the change")
    assert copy_loop["routes"] == ["POST /api/readlists/:id/duplicate"]
    assert max(_position(rows, (r["path"], r["line"], r["code"])) for r in rows if r["code"] in ("P104", "R204", "A404")) \
        < min(i for i, r in enumerate(rows) if r["code"] in COSMETIC)
    # A finding with no fix says it is work by hand.
    keys = next(r for r in rows if r["code"] == "R202")
    assert keys["fix"] == "" and keys["effort"].startswith("by hand")


def test_fix_first_weighs_measured_traffic(report_with_logs):
    rows = report_with_logs["fix_first"]
    # GET /api/stats/overview was hit 10 times in the logs: its R205 carries that weight.
    stats = next(r for r in rows if r["code"] == "R205")
    assert "10 measured requests" in stats["why"]
    unmeasured = next(r for r in rows if r["code"] == "E301")
    assert "measured" not in unmeasured["why"]


def test_rule_table_counts_unsafe_fixes_as_fixable(report):
    md = to_markdown(report)
    p104 = next(r for r in report["rules"] if r["code"] == "P104")
    assert p104["fixable"] == 0 and p104["fixable_unsafe"] == 1
    assert f"| P104 | prisma-query-in-loop | {p104['count']} | 1 (1 unsafe) |" in md


def test_html_fix_first_links_files_and_shows_severity(report):
    html = to_html(report, link_base="../")
    first = html[html.index("<h2>Fix first</h2>"):html.index("<h2>Checklist</h2>")]
    assert first.count("<tr>") == report["summary"]["findings"] + 1
    assert '<a href="../src/services/readList.service.ts"><code>src/services/readList.service.ts:110</code></a>' in first
    assert '<span class="sev warning">warning</span>' in first
    # Cards: one figure each, with its label.
    s = report["summary"]
    assert f'<div class="card "><b>{s["findings"]}</b><span>findings in {s["files"]} files</span></div>' in html
    assert f'<b>{s["by_severity"]["warning"]}</b><span>warnings</span>' in html


def test_chart_bars_only_for_figures_that_differ():
    from perfaudit.server.cli.report_html import _bar_chart

    same = _bar_chart([("GET /a", [3, 3])], ["#111", "#222"], "", names=["queries", "sequential"])
    differ = _bar_chart([("GET /b", [3, 1])], ["#111", "#222"], "", names=["queries", "sequential"])
    assert same.count("<rect") == 1 and "(queries = sequential)" in same
    assert differ.count("<rect") == 2


def test_fix_first_in_chromium_lists_the_copy_loop_above_cosmetic_findings(report, tmp_path):
    """The page as Chromium renders it (its DOM after layout, and a screenshot):
    the N+1 copy loop comes before compression and request timing."""
    chromium = _require_chromium()
    OUTPUT.mkdir(exist_ok=True)
    page = OUTPUT / "report-fix-first.html"
    page.write_text(to_html(report), encoding="utf-8")
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
              "--disable-extensions", "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0 and "<h2>Fix first</h2>" in dom.stdout, dom.stderr[-2000:]
    table = dom.stdout[dom.stdout.index("<h2>Fix first</h2>"):dom.stdout.index("<h2>Checklist</h2>")]
    rows = re.findall(r"<tr><td>(\d+)</td><td>.*?<code>([A-Z]\d{3})</code>.*?<code>([^<]+):(\d+)</code>", table)
    order = [(path, int(line), code) for _, code, path, line in rows]
    assert len(order) == report["summary"]["findings"]
    cosmetic = min(i for i, (_, _, code) in enumerate(order) if code in COSMETIC)
    assert order.index(COPY_LOOP) < cosmetic
    png = OUTPUT / "report-fix-first.png"
    if png.exists():
        png.unlink()
    shot = subprocess.run([*common, "--hide-scrollbars", f"--screenshot={png}", "--window-size=1280,1600", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert png.exists() and png.stat().st_size > 50_000, shot.stderr[-2000:]


def test_fix_first_weighs_table_sizes_perfaudit_explain_measured(tmp_path):
    """With saved `perfaudit explain` results, a query on a 2.1 M-row table outranks the same on an unmeasured one."""
    from perfaudit.server.postgres.results import save

    root = tmp_path / "backend"
    shutil.copytree(BACKEND, root)
    before = build_report(analyze(str(root)))["fix_first"]
    save(str(root), {"version": 1, "tables": [{"model": "Book", "rows": 2_100_000}], "indexes": []})
    after = build_report(analyze(str(root)))["fix_first"]
    isbn = ("prisma/schema.prisma", 65, "P105")  # Book.isbn: findFirst({ where: { isbn } }) in book.service
    audit = ("prisma/schema.prisma", 114, "P105")  # AuditLog.actorId: the same rule, unmeasured
    assert before[_position(before, isbn)]["cost"] == before[_position(before, audit)]["cost"]
    assert _position(after, isbn) < _position(after, audit)
    row = after[_position(after, isbn)]
    assert "on `Book` (2.1 M rows)" in row["why"]
    assert row["cost"] > before[_position(before, isbn)]["cost"]
