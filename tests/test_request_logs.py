"""Measured latency from request logs: formats, matching, percentiles,
malformed and huge lines, and the CLI / lens surfaces."""

from __future__ import annotations

import gzip
import json
import os
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import pytest

from perfaudit.server.express import request_logs as rl
from perfaudit.command_line import main
from perfaudit.server.analysis.workspace import Workspace

HERE = Path(__file__).parent
LOGS = HERE / "fixtures" / "logs"
BACKEND = HERE.parent / "examples" / "backend"
CUSTOM = r"method=(?P<method>\w+) path=(?P<url>\S+) status=(?P<status>\d+) duration=(?P<seconds>[\d.]+)s"


@pytest.fixture(scope="module")
def ws():
    w = Workspace(str(BACKEND))
    w.load()
    return w


def measure(ws, *names, pattern=None, **kw):
    return rl.measure_workspace(ws, [str(LOGS / n) for n in names], pattern, **kw)


# ------------------------------------------------------------------ parsing each format


def test_pino_http_line():
    line = ('{"level":30,"time":1,"req":{"id":1,"method":"GET","url":"/api/books/7?x=1"},'
            '"res":{"statusCode":200},"responseTime":12.5,"msg":"request completed"}')
    assert rl.parse_line(line) == rl.Request("GET", "/api/books/7", 12.5, 200)


def test_flat_json_and_other_duration_keys():
    assert rl.parse_line('{"method":"post","url":"/x","duration":"40ms","statusCode":201}') == rl.Request("POST", "/x", 40.0, 201)


@pytest.mark.parametrize("line, expected", [
    ('1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "GET /api/users/1 HTTP/1.1" 200 12 "-" "curl/8" 12.345',
     rl.Request("GET", "/api/users/1", 12.345, 200)),
    ('1.2.3.4 - bob [10/Oct/2024:13:55:36 +0000] "POST /a?b=c HTTP/2.0" 201 - "http://r/" "ua \\"q\\"" 7 ms',
     rl.Request("POST", "/a", 7.0, 201)),
    ('1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "GET /common HTTP/1.1" 200 12 3.5',
     rl.Request("GET", "/common", 3.5, 200)),
    ("\x1b[0mGET /api/readlists \x1b[32m200\x1b[0m 45.123 ms - 512\x1b[0m", rl.Request("GET", "/api/readlists", 45.123, 200)),
    ("POST /api/auth/login 200 87 - 250.500 ms", rl.Request("POST", "/api/auth/login", 250.5, 200)),
])
def test_morgan_formats(line, expected):
    assert rl.parse_line(line) == expected


@pytest.mark.parametrize("line", [
    "", "not a log line", '{"req":', '{"level":30,"msg":"server listening"}',
    '{"req":{"method":"GET","url":"/x"},"responseTime":-3}',
    '{"req":{"method":"GET","url":"/x"},"responseTime":true}',
    '1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "GET /x HTTP/1.1" 200 12 "-" "curl/8"',  # combined, no time
    "GET /x 200 - ms - -", "[" * 100_000,
])
def test_lines_that_are_not_requests(line):
    assert rl.parse_line(line) is None


def test_custom_pattern():
    rx = rl.compile_pattern(CUSTOM)
    assert rl.parse_line("t method=GET path=/p?q=1 status=500 duration=0.25s", rx) == rl.Request("GET", "/p", 250.0, 500)
    assert rl.parse_line("level=warn message=x", rx) is None
    us = rl.compile_pattern(r"(?P<method>\w+) (?P<path>\S+) (?P<us>\d+)us")
    assert rl.parse_line("GET /a 1500us", us).ms == 1.5


@pytest.mark.parametrize("pattern, problem", [("(", "log pattern"), (r"(?P<method>\w+)", "url"), (r"(?P<url>\S+)", "method")])
def test_bad_custom_pattern(pattern, problem):
    with pytest.raises(rl.LogFormatError, match=problem):
        rl.compile_pattern(pattern)


# ------------------------------------------------------------------ percentiles


def test_nearest_rank_percentiles():
    assert rl.percentile([10, 20, 30, 40], 50) == 20
    assert rl.percentile(list(range(1, 21)), 95) == 19
    assert rl.percentile([5], 95) == 5
    assert rl.percentile([], 50) == 0.0
    assert rl.percentile(list(range(1, 101)), 95) == 95
    assert rl.percentile(list(range(1, 101)), 100) == 100


def test_lens_text():
    lat = rl.RouteLatency("GET", "/x")
    for ms in [1200.0] * 3412:
        lat.add(rl.Request("GET", "/x", ms))
    assert rl.lens_text(lat) == "p95 1.2 s over 3,412 requests"
    one = rl.RouteLatency("GET", "/y")
    one.add(rl.Request("GET", "/y", 0.4))
    assert rl.lens_text(one) == "p95 0.4 ms over 1 request"
    assert rl.lens_text(None) is None
    assert [rl.format_ms(v) for v in (0.42, 12.4, 340, 1249, 12_345)] == ["0.4 ms", "12 ms", "340 ms", "1.2 s", "12 s"]


# ------------------------------------------------------------------ matching to routes


def test_route_matching_literal_before_parameter():
    m = rl.RouteMatcher([("GET", "/api/books/:id"), ("GET", "/api/books/batch"), ("ALL", "/any/*"),
                         ("GET", "/opt/:a?"), ("GET", "/n/:id(\\d+)")])
    assert m.match("GET", "/api/books/batch") == ("GET", "/api/books/batch")
    assert m.match("GET", "/api/books/42") == ("GET", "/api/books/:id")
    assert m.match("HEAD", "/api/books/42") == ("GET", "/api/books/:id")
    assert m.match("GET", "/api/books/42/") == ("GET", "/api/books/:id")
    assert m.match("POST", "/api/books/42") is None
    assert m.match("GET", "/api/books/1/2") is None
    assert m.match("DELETE", "/any/thing/deep") == ("ALL", "/any/*")
    assert m.match("GET", "/opt") == ("GET", "/opt/:a?")
    assert m.match("GET", "/opt/x") == ("GET", "/opt/:a?")
    assert m.match("GET", "/n/12") == ("GET", "/n/:id(\\d+)")
    assert m.match("GET", "/n/ab") is None


def test_pino_log_on_the_example_backend(ws):
    lat = measure(ws, "pino.log")
    books = lat.get("GET", "/api/books/:id")
    assert (books.count, books.p50, books.p95) == (20, 100, 190)
    assert lat.get("GET", "/api/books/batch").count == 5  # not swallowed by /api/books/:id
    overview = lat.get("GET", "/api/stats/overview")
    assert (overview.count, overview.p50, overview.p95, overview.errors) == (10, 1400, 1900, 1)
    s = lat.stats
    assert (s.requests, s.malformed, s.too_long, s.unmatched) == (36, 4, 0, 1)
    assert lat.top_unmatched() == [("GET /favicon.ico", 1)]
    # Ranked by total time: the slow stats route first.
    assert lat.ranked()[0][0] == ("GET", "/api/stats/overview")


def test_morgan_logs_on_the_example_backend(ws):
    lat = measure(ws, "morgan-combined.log", "morgan-dev.log", "morgan-tiny.log")
    assert lat.get("GET", "/api/users/:id").count == 4
    assert lat.get("GET", "/api/users/:id").p95 == 55.75
    assert lat.get("POST", "/api/readlists/:id/duplicate").p50 == 480.125
    assert lat.get("GET", "/api/readlists").count == 3
    assert lat.get("DELETE", "/api/readlists/:id").count == 1
    assert lat.get("POST", "/api/auth/login").p95 == 250.5
    assert lat.get("PATCH", "/api/readlists/:id/items/order").count == 1
    assert lat.get("GET", "/healthz").count == 1
    assert lat.stats.malformed == 4  # combined without time, cut short, dev and tiny with '-'


def test_custom_format_on_the_example_backend(ws):
    lat = measure(ws, "custom.log", pattern=CUSTOM)
    assert lat.get("GET", "/api/stats/popular").p95 == 25
    assert lat.get("GET", "/api/reports/activity").p50 == 2500
    assert lat.stats.malformed == 1


# ------------------------------------------------------------------ robustness


def test_huge_and_binary_lines_are_skipped_and_counted(tmp_path, ws):
    log = tmp_path / "huge.log"
    good = '{"req":{"method":"GET","url":"/api/books/1"},"res":{"statusCode":200},"responseTime":30}\n'
    with open(log, "wb") as fh:
        fh.write(good.encode())
        fh.write(b'{"msg":"' + b"x" * (10 * 1024 * 1024) + b'"}\n')  # a 10 MB line
        fh.write(b"\xff\xfe\x00garbage\x00\n")
        fh.write(b"y" * (200 * 1024))  # over-long last line, no newline
        fh.write(b"\n" + good.encode())
        fh.write(good.encode().rstrip(b"\n"))  # last line without newline
    tracemalloc.start()
    lat = rl.measure_workspace(ws, [str(log)])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 3 * 1024 * 1024, f"the 10 MB line was held in memory (peak {peak:,} bytes)"
    assert lat.get("GET", "/api/books/:id").count == 3
    assert (lat.stats.too_long, lat.stats.malformed, lat.stats.lines) == (2, 1, 6)


def test_max_line_is_configurable(tmp_path):
    log = tmp_path / "a.log"
    log.write_text("GET /a 200 1 - 5.0 ms\n" + "GET /" + "b" * 100 + " 200 1 - 5.0 ms\n")
    lat = rl.measure([str(log)], [("GET", "/a")], max_line=64)
    assert (lat.stats.requests, lat.stats.too_long) == (1, 1)


def test_gzip_missing_and_directories(tmp_path):
    gz = tmp_path / "access.log.gz"
    with gzip.open(gz, "wb") as fh:
        fh.write(b"GET /a 200 1 - 5.0 ms\nGET /a 200 1 - 7.0 ms\n")
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(b"GET /a 200 1 - 9.0 ms\n" * 50)[:40])
    files = rl.expand_globs([str(tmp_path / "*"), str(tmp_path / "nope.log")])
    assert files == [str(gz), str(broken)] or sorted(files) == sorted([str(gz), str(broken)])
    lat = rl.measure(files + [str(tmp_path / "vanished.log")], [("GET", "/a")])
    assert lat.get("GET", "/a").count >= 2
    assert {os.path.basename(f) for f, _ in lat.stats.unreadable} >= {"vanished.log", "broken.gz"}


def test_reading_streams(tmp_path):
    log = tmp_path / "a.log"
    log.write_text("GET /a 200 1 - 5.0 ms\n" * 3)
    stats = rl.ReadStats()
    it = rl.read_requests([str(log)], None, stats)
    assert next(it).path == "/a"
    assert stats.lines == 1  # one line read so far: nothing is loaded ahead


# ------------------------------------------------------------------ severity on slow routes


def test_raise_slow(ws):
    from perfaudit.server.engine import analyze

    result = analyze(str(BACKEND))
    lat = measure(ws, "pino.log")
    findings, raised = rl.raise_slow(result.findings, result.workspace, rl.measure_workspace(result.workspace, [str(LOGS / "pino.log")]), 1000)
    errors = [f for f in findings if f.severity.label == "error"]
    assert raised == len(errors) >= 1
    assert {f.code for f in errors} == {"R205"}
    assert "p95 1.9 s over 10 requests" in errors[0].message
    assert lat.get("GET", "/api/stats/overview") is not None


# ------------------------------------------------------------------ CLI


def test_check_with_logs_and_slow_ms(capsys):
    code = main(["check", "--no-cache", str(BACKEND), "--format", "json", "--logs", str(LOGS / "*.log"), "--slow-ms", "1000"])
    out, err = capsys.readouterr()
    assert code == 1
    errors = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert [f["code"] for f in errors] == ["R205"]
    assert "49 requests from 5 log files" in err and "12 lines not parsed" in err


def test_check_slow_ms_needs_logs(capsys):
    assert main(["check", "--no-cache", str(BACKEND), "--slow-ms", "10"]) == 2
    assert "--slow-ms needs --logs" in capsys.readouterr().err


def test_bad_log_pattern_is_a_usage_error(capsys):
    assert main(["routes", str(BACKEND), "--logs", str(LOGS / "custom.log"), "--log-pattern", "("]) == 2
    assert "log pattern" in capsys.readouterr().err


def test_logs_glob_matching_nothing_warns(capsys):
    assert main(["routes", str(BACKEND), "--logs", str(LOGS / "*.nothing")]) == 0
    assert "matched no file" in capsys.readouterr().err


def test_routes_with_logs_ordered_by_measured_cost(capsys):
    assert main(["routes", str(BACKEND), "--logs", str(LOGS / "*.log")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:9] == ["METHOD", "PATH", "QUERIES", "SEQ", "CACHED", "PAGINATED", "REQUESTS", "P50", "P95"]
    assert lines[1].split()[:2] == ["GET", "/api/stats/overview"]
    assert "1.4 s" in lines[1] and "1.9 s" in lines[1]
    assert lines[2].split()[:2] == ["GET", "/api/books/:id"]


def test_routes_json_with_custom_pattern(capsys):
    assert main(["routes", str(BACKEND), "--format", "json", "--logs", str(LOGS / "custom.log"), "--log-pattern", CUSTOM]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["routes"][0]["path"] == "/api/reports/activity"
    assert data["routes"][0]["latency"] == {"count": 1, "p50_ms": 2500.0, "p95_ms": 2500.0, "total_ms": 2500.0, "errors": 0}
    assert data["logs"]["requests"] == 3 and data["logs"]["malformed"] == 1


def test_routes_without_logs_unchanged(capsys):
    assert main(["routes", str(BACKEND), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "logs" not in data and "latency" not in data["routes"][0]


# ------------------------------------------------------------------ the route code lens


def test_lens_suffixes_from_the_logs_setting(ws):
    root = SimpleNamespace(path=str(BACKEND), ws=ws, settings=SimpleNamespace(logs=[str(LOGS / "pino.log")], log_pattern=None))
    path = str(BACKEND / "src" / "routes" / "stats.routes.ts")
    from perfaudit.server.express.routes import routes_in

    titles = dict(zip([r.path for r in routes_in(ws, path)], rl.lens_suffixes(root, path)))
    assert titles["/api/stats/overview"] == "p95 1.9 s over 10 requests"
    assert titles["/api/stats/popular"] is None
    first = root._perfaudit_latency
    rl.lens_suffixes(root, path)
    assert root._perfaudit_latency is first  # cached until a log file changes
    root.settings.logs = "tests/fixtures/logs/none-*.log"
    assert rl.lens_suffixes(root, path) == [None] * len(titles)
    assert rl.lens_suffixes(SimpleNamespace(path=str(BACKEND), ws=ws, settings=SimpleNamespace()), path) == []


def test_code_lens_shows_latency(ws):
    from perfaudit.server.lsp.routes_feature import code_lenses
    from perfaudit.server.lsp.convert import path_to_uri

    root = SimpleNamespace(path=str(BACKEND), ws=ws, settings=SimpleNamespace(logs=[str(LOGS / "pino.log")]))

    class Session:
        encoding = "utf-16"

        def root_for(self, path):
            return root

        def index_of(self, path):
            return ws.line_index(path)

    path = str(BACKEND / "src" / "routes" / "stats.routes.ts")
    titles = [lens.command.title for lens in code_lenses(Session(), path_to_uri(path))]
    assert any(t.endswith(" - p95 1.9 s over 10 requests") for t in titles), titles
