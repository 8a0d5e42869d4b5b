"""Measured latency: read request logs, match each request to a route, and
give every route its request count, p50 and p95.

Formats, detected per line (a file may mix them):
- pino / pino-http JSON: `{"req": {"method", "url"}, "res": {"statusCode"},
  "responseTime": 12}`; also flat `method`/`url` (or `path`) keys and
  `responseTime`/`response_time`/`duration`/`elapsed` (milliseconds).
- morgan `combined` (and `common`) with the response time appended
  (`... "agent" 12.345` or `... 12.345 ms`), `dev` (`GET /x 200 12.345 ms - 13`,
  ANSI colours stripped) and `tiny` (`GET /x 200 13 - 12.345 ms`).
- a line format the user gives as a regular expression, with named groups
  `method`, `url` (or `path`) and one of `ms`, `seconds` or `us`.

Logs are streamed line by line and never loaded whole; a line longer than
`max_line` bytes (64 KiB by default) is skipped without being held in memory
and counted, as are lines that do not parse. Nothing here is ever fatal:
unreadable files are counted too. `.gz` files are read through gzip.

Percentiles are *nearest-rank*: for N sorted durations, the p-th percentile
is the value at rank ceil(p/100 * N) (1-based), so it is always a measured
value, p50 of [10, 20, 30, 40] is 20 and p95 of 20 requests is the 19th.
"""

from __future__ import annotations

import glob
import gzip
import json
import math
import os
import re
from array import array
from dataclasses import dataclass, field
from typing import Iterable, Iterator

MAX_LINE = 64 * 1024
_CHUNK = 64 * 1024

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_METHODS = "GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|TRACE|CONNECT"
# morgan combined/common: `addr - user [date] "GET /x HTTP/1.1" 200 123 "ref" "ua" 12.3` (time appended).
_MORGAN_COMBINED = re.compile(
    r'^\S+ \S+ \S+ \[[^\]]*\] "(?P<method>[A-Z]+) (?P<url>\S+)(?: HTTP/[\d.]+)?" (?P<status>\d{3}|-) \S+'
    r'(?: "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*")?\s+(?:-\s+)?(?P<ms>\d+(?:\.\d+)?)(?: ?ms)?\s*$'
)
# morgan dev: `GET /x 200 12.345 ms - 13`.
_MORGAN_DEV = re.compile(rf"^(?P<method>{_METHODS}) (?P<url>\S+) (?P<status>\d{{3}}) (?P<ms>\d+(?:\.\d+)?) ms - \S+\s*$")
# morgan tiny: `GET /x 200 13 - 12.345 ms`.
_MORGAN_TINY = re.compile(rf"^(?P<method>{_METHODS}) (?P<url>\S+) (?P<status>\d{{3}}|-) \S+ - (?P<ms>\d+(?:\.\d+)?) ms\s*$")
_DURATION_KEYS = ("responseTime", "response_time", "duration", "elapsed", "latency")


class LogFormatError(ValueError):
    """A user-given line pattern that cannot be used."""


def compile_pattern(pattern: str) -> re.Pattern:
    """The user's line format; it must name `method`, `url` or `path`, and `ms`, `seconds` or `us`."""
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise LogFormatError(f"log pattern: {exc}") from None
    groups = set(rx.groupindex)
    missing = []
    if "method" not in groups:
        missing.append("method")
    if not groups & {"url", "path"}:
        missing.append("url (or path)")
    if not groups & {"ms", "seconds", "us"}:
        missing.append("ms (or seconds, us)")
    if missing:
        raise LogFormatError(f"log pattern: needs the named groups {', '.join(missing)}")
    return rx


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without query string or fragment
    ms: float
    status: int | None = None


def _path_of(url: str) -> str:
    if "://" in url:  # absolute form: keep the path
        rest = url.split("://", 1)[1]
        url = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return url.split("?", 1)[0].split("#", 1)[0] or "/"


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) and value >= 0 else None
    if isinstance(value, str):
        try:
            v = float(value.strip().removesuffix("ms").strip())
        except ValueError:
            return None
        return v if math.isfinite(v) and v >= 0 else None
    return None


def parse_json(obj) -> Request | None:
    if not isinstance(obj, dict):
        return None
    req = obj.get("req") if isinstance(obj.get("req"), dict) else obj.get("request")
    req = req if isinstance(req, dict) else {}
    method = req.get("method") or obj.get("method")
    url = req.get("originalUrl") or req.get("url") or req.get("path") or obj.get("url") or obj.get("path")
    ms = None
    for key in _DURATION_KEYS:
        if key in obj:
            ms = _number(obj[key])
            break
    res = obj.get("res") if isinstance(obj.get("res"), dict) else {}
    if ms is None and "responseTime" in res:
        ms = _number(res["responseTime"])
    if not isinstance(method, str) or not isinstance(url, str) or ms is None:
        return None
    status = res.get("statusCode", obj.get("statusCode", obj.get("status")))
    return Request(method.upper(), _path_of(url), ms, status if isinstance(status, int) else None)


def parse_line(line: str, pattern: re.Pattern | None = None) -> Request | None:
    """One request from one log line, or None when the line is not one."""
    if pattern is not None:
        m = pattern.search(line)
        if m is None:
            return None
        g = m.groupdict()
        url = g.get("url") or g.get("path")
        if g.get("ms") is not None:
            ms = _number(g["ms"])
        elif g.get("seconds") is not None:
            ms = _number(g["seconds"])
            ms = ms * 1000 if ms is not None else None
        else:
            ms = _number(g.get("us"))
            ms = ms / 1000 if ms is not None else None
        if not g.get("method") or not url or ms is None:
            return None
        status = g.get("status")
        return Request(g["method"].upper(), _path_of(url), ms, int(status) if status and status.isdigit() else None)
    text = line.strip()
    if text.startswith("{"):
        try:
            return parse_json(json.loads(text))
        except (ValueError, RecursionError):
            return None
    text = _ANSI.sub("", text)
    for rx in (_MORGAN_DEV, _MORGAN_TINY, _MORGAN_COMBINED):
        m = rx.match(text)
        if m is not None:
            ms = _number(m.group("ms"))
            if ms is None:
                return None
            status = m.group("status")
            return Request(m.group("method").upper(), _path_of(m.group("url")), ms,
                           int(status) if status.isdigit() else None)
    return None


# ------------------------------------------------------------------ streaming


@dataclass
class ReadStats:
    files: list[str] = field(default_factory=list)
    lines: int = 0
    requests: int = 0
    malformed: int = 0  # lines that are not a request with a response time (blank lines excluded)
    too_long: int = 0  # lines over the length cap, skipped unread
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    unmatched: int = 0  # requests no route matches

    def to_json(self) -> dict:
        return {
            "files": list(self.files),
            "lines": self.lines,
            "requests": self.requests,
            "malformed": self.malformed,
            "too_long": self.too_long,
            "unmatched": self.unmatched,
            "unreadable": [{"file": f, "reason": r} for f, r in self.unreadable],
        }


def _open(path: str):
    with open(path, "rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def iter_lines(fh, stats: ReadStats, max_line: int = MAX_LINE) -> Iterator[str]:
    """Lines of a binary stream, decoded; a line over `max_line` bytes is
    drained in chunks (never held whole), counted in `stats.too_long`."""
    while True:
        line = fh.readline(max_line + 1)
        if not line:
            return
        if len(line) > max_line and not line.endswith(b"\n"):
            stats.lines += 1
            stats.too_long += 1
            while True:  # drain the rest of the line
                chunk = fh.readline(_CHUNK)
                if not chunk or chunk.endswith(b"\n"):
                    break
            continue
        stats.lines += 1
        yield line.decode("utf-8", errors="replace")


def read_requests(files: Iterable[str], pattern: re.Pattern | None = None, stats: ReadStats | None = None,
                  max_line: int = MAX_LINE) -> Iterator[Request]:
    stats = stats if stats is not None else ReadStats()
    for path in files:
        stats.files.append(path)
        try:
            fh = _open(path)
        except OSError as exc:
            stats.unreadable.append((path, exc.strerror or str(exc)))
            continue
        try:
            with fh:
                for line in iter_lines(fh, stats, max_line):
                    if not line.strip():
                        continue
                    req = parse_line(line, pattern)
                    if req is None:
                        stats.malformed += 1
                        continue
                    stats.requests += 1
                    yield req
        except (OSError, EOFError) as exc:  # a truncated .gz, a file that vanished
            stats.unreadable.append((path, str(exc)))


def expand_globs(patterns: Iterable[str] | str, base: str | None = None) -> list[str]:
    """Files matching the globs (`**` recursive), relative ones from `base`; sorted, unique."""
    if isinstance(patterns, str):
        patterns = [patterns]
    out: dict[str, None] = {}
    for pattern in patterns:
        pattern = os.path.expanduser(pattern)
        if base and not os.path.isabs(pattern):
            pattern = os.path.join(base, pattern)
        matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
        for m in matches:
            if os.path.isfile(m):
                out[os.path.abspath(m)] = None
    return list(out)


# ------------------------------------------------------------------ matching


def percentile(sorted_values, p: float) -> float:
    """Nearest-rank percentile of an ascending sequence (empty: 0.0)."""
    n = len(sorted_values)
    if n == 0:
        return 0.0
    rank = max(1, math.ceil(p / 100 * n))
    return float(sorted_values[min(rank, n) - 1])


@dataclass
class RouteLatency:
    method: str
    path: str
    durations: array = field(default_factory=lambda: array("d"))
    errors: int = 0  # 5xx responses
    _sorted: list | None = field(default=None, repr=False)

    def add(self, req: Request) -> None:
        self.durations.append(req.ms)
        self._sorted = None
        if req.status is not None and req.status >= 500:
            self.errors += 1

    def _values(self) -> list:
        if self._sorted is None:
            self._sorted = sorted(self.durations)
        return self._sorted

    @property
    def count(self) -> int:
        return len(self.durations)

    @property
    def p50(self) -> float:
        return percentile(self._values(), 50)

    @property
    def p95(self) -> float:
        return percentile(self._values(), 95)

    @property
    def total_ms(self) -> float:
        return float(sum(self.durations))

    def to_json(self) -> dict:
        return {"count": self.count, "p50_ms": round(self.p50, 3), "p95_ms": round(self.p95, 3),
                "total_ms": round(self.total_ms, 3), "errors": self.errors}


def _segment_regex(segment: str) -> str:
    """One segment of an Express path: `:id`, `:id?`, `:id(\\d+)`, `*`, literals."""
    out, i = [], 0
    while i < len(segment):
        c = segment[i]
        if c == ":":
            m = re.match(r":(\w+)(\([^)]*\))?(\?)?", segment[i:])
            if m:
                out.append("[^/]+" if not m.group(2) else f"(?:{m.group(2)[1:-1]})")
                i += len(m.group(0))
                continue
        if c == "*":
            out.append(".*")
            i += 1
            continue
        out.append(re.escape(c))
        i += 1
    return "".join(out)


def route_regex(path: str) -> re.Pattern:
    parts = [p for p in path.strip("/").split("/") if p]
    rx = ""
    for part in parts:
        optional = re.fullmatch(r":\w+\?", part) is not None
        seg = "/" + _segment_regex(part.rstrip("?") if optional else part)
        rx += f"(?:{seg})?" if optional else seg
    try:
        return re.compile(f"^{rx}/?$", re.IGNORECASE)
    except re.error:
        return re.compile(f"^{re.escape('/' + '/'.join(parts))}/?$", re.IGNORECASE)


def _specificity(path: str) -> tuple:
    """Literal routes win over parameterised ones (`/books/batch` before `/books/:id`)."""
    parts = [p for p in path.strip("/").split("/") if p]
    static = sum(1 for p in parts if ":" not in p and "*" not in p)
    return (-static, sum(1 for p in parts if "*" in p), -len(parts), path)


class RouteMatcher:
    """Maps (method, path) to one route key `METHOD /path`, most specific first."""

    def __init__(self, routes: Iterable[tuple[str, str]]):
        seen = dict.fromkeys((m.upper(), p) for m, p in routes)
        self._routes = sorted(seen, key=lambda mp: _specificity(mp[1]))
        self._compiled = [(m, p, route_regex(p)) for m, p in self._routes]
        self._memo: dict[tuple[str, str], tuple[str, str] | None] = {}

    def match(self, method: str, path: str) -> tuple[str, str] | None:
        key = (method.upper(), path)
        if key in self._memo:
            return self._memo[key]
        found = None
        for m, p, rx in self._compiled:
            if m in (key[0], "ALL") or (m == "GET" and key[0] == "HEAD"):
                if rx.match(path):
                    found = (m, p)
                    break
        if len(self._memo) < 100_000:
            self._memo[key] = found
        return found


@dataclass
class LatencyReport:
    """Per-route latency measured from the logs, keyed by (METHOD, path)."""

    routes: dict[tuple[str, str], RouteLatency]
    stats: ReadStats
    unmatched_paths: dict[str, int] = field(default_factory=dict)  # the most frequent ones, `GET /x`

    def get(self, method: str, path: str) -> RouteLatency | None:
        return self.routes.get((method.upper(), path))

    def to_json(self) -> dict:
        return {
            "percentiles": "nearest-rank",
            "routes": [{"method": m, "path": p, **lat.to_json()} for (m, p), lat in self.ranked()],
            "read": self.stats.to_json(),
            "unmatched_top": [{"request": k, "count": v} for k, v in self.top_unmatched()],
        }

    def ranked(self) -> list[tuple[tuple[str, str], RouteLatency]]:
        """Routes by measured cost: total time spent, then p95, then path."""
        return sorted(self.routes.items(), key=lambda kv: (-kv[1].total_ms, -kv[1].p95, kv[0]))

    def top_unmatched(self, n: int = 10) -> list[tuple[str, int]]:
        return sorted(self.unmatched_paths.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


_UNMATCHED_KEYS = 1000


def measure(files: Iterable[str], routes: Iterable[tuple[str, str]], pattern: re.Pattern | None = None,
            max_line: int = MAX_LINE) -> LatencyReport:
    """Stream the log files and give each route its durations."""
    matcher = RouteMatcher(routes)
    stats = ReadStats()
    out: dict[tuple[str, str], RouteLatency] = {}
    unmatched: dict[str, int] = {}
    for req in read_requests(files, pattern, stats, max_line):
        key = matcher.match(req.method, req.path)
        if key is None:
            stats.unmatched += 1
            label = f"{req.method} {req.path}"
            if label in unmatched or len(unmatched) < _UNMATCHED_KEYS:
                unmatched[label] = unmatched.get(label, 0) + 1
            continue
        lat = out.get(key)
        if lat is None:
            lat = out[key] = RouteLatency(*key)
        lat.add(req)
    return LatencyReport(out, stats, unmatched)


def measure_workspace(ws, log_globs: Iterable[str] | str, pattern: str | None = None, base: str | None = None,
                      max_line: int = MAX_LINE) -> LatencyReport:
    """Latency for the routes of a loaded workspace. Raises LogFormatError for a bad pattern."""
    from perfaudit.server.express.routes import routes

    rx = compile_pattern(pattern) if pattern else None
    files = expand_globs(log_globs, base)
    return measure(files, [(r.method, r.path) for r in routes(ws)], rx, max_line)


# ------------------------------------------------------------------ display


def format_ms(ms: float) -> str:
    """`0.4 ms`, `12 ms`, `340 ms`, `1.2 s`, `12 s`."""
    if ms < 1:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    s = ms / 1000
    return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"


def lens_text(lat: RouteLatency | None) -> str | None:
    """"p95 1.2 s over 3,412 requests" (None when the route was never seen)."""
    if lat is None or lat.count == 0:
        return None
    return f"p95 {format_ms(lat.p95)} over {lat.count:,} request{'s' if lat.count != 1 else ''}"


def read_summary(stats: ReadStats) -> str:
    """One line for stderr: what was read and what was skipped."""
    parts = [f"{stats.requests:,} request{'s' if stats.requests != 1 else ''} from "
             f"{len(stats.files)} log file{'s' if len(stats.files) != 1 else ''}"]
    if stats.unmatched:
        parts.append(f"{stats.unmatched:,} matched no route")
    if stats.malformed:
        parts.append(f"{stats.malformed:,} line{'s' if stats.malformed != 1 else ''} not parsed")
    if stats.too_long:
        parts.append(f"{stats.too_long:,} over-long line{'s' if stats.too_long != 1 else ''} skipped")
    if stats.unreadable:
        parts.append(f"{len(stats.unreadable)} unreadable")
    return "; ".join(parts)


# ------------------------------------------------------------------ severity on slow routes


def findings_on_routes(ws, route_list) -> dict[tuple[str, str], list[tuple[str, int, int]]]:
    """(METHOD, path) -> ranges (file, start, end) that belong to the route:
    its registration, its handler, and each function where a query or command
    it reaches is issued."""
    out: dict[tuple[str, str], list[tuple[str, int, int]]] = {}
    for r in route_list:
        ranges = [(r.file, r.start, r.end)]
        if r.handler is not None:
            hp, hf = r.handler
            ranges.append((hp, hf.start, hf.end))
        for e in r.effects:
            fn = _innermost_function(ws, e.path, e.start)
            ranges.append((e.path, fn[0], fn[1]) if fn else (e.path, e.start, e.end))
        out[(r.method, r.path)] = ranges
    return out


def _innermost_function(ws, path: str, offset: int) -> tuple[int, int] | None:
    source = ws.files.get(path)
    facts = getattr(source, "facts", None) if source is not None else None
    best = None
    for fn in getattr(facts, "functions", ()) or ():
        if fn.start <= offset < fn.end and (best is None or fn.end - fn.start < best[1] - best[0]):
            best = (fn.start, fn.end)
    return best


def raise_slow(findings, ws, latency: LatencyReport, slow_ms: float):
    """Findings that lie on a route whose measured p95 is at least `slow_ms`
    become errors; the message says why. Returns (findings, how many raised)."""
    import dataclasses

    from perfaudit.server.findings import Severity
    from perfaudit.server.express.routes import routes

    slow = {(r.method, r.path): r for r in routes(ws)
            if (lat := latency.get(r.method, r.path)) is not None and lat.count and lat.p95 >= slow_ms}
    if not slow:
        return list(findings), 0
    ranges = findings_on_routes(ws, slow.values())
    out, raised = [], 0
    for f in findings:
        hit = None
        for key, spans in ranges.items():
            if any(p == f.path and s <= f.start < max(e, s + 1) for p, s, e in spans):
                hit = key
                break
        if hit is not None and f.severity < Severity.ERROR:
            lat = latency.get(*hit)
            f = dataclasses.replace(f, severity=Severity.ERROR,
                                    message=f"{f.message} [on {hit[0]} {hit[1]}: {lens_text(lat)}]")
            raised += 1
        out.append(f)
    return out, raised


# ------------------------------------------------------------------ command line


def add_log_arguments(parser) -> None:
    """`--logs GLOB` (repeatable) and `--log-pattern REGEX`, for check, routes and report."""
    parser.add_argument("--logs", action="append", metavar="GLOB",
                        help="request logs to read measured latency from (pino JSON, morgan; repeatable, `**` allowed)")
    parser.add_argument("--log-pattern", metavar="REGEX",
                        help="a line format of your own: a regular expression with the named groups "
                             "method, url (or path) and ms (or seconds, us)")


def latency_from_args(ws, args) -> LatencyReport | None:
    """The latency report the flags ask for (None without --logs); prints what was read to stderr.
    Raises LogFormatError for a bad --log-pattern."""
    import sys

    globs = getattr(args, "logs", None)
    if not globs:
        return None
    report = measure_workspace(ws, globs, getattr(args, "log_pattern", None))
    if not report.stats.files:
        print(f"perfaudit: warning: --logs matched no file: {', '.join(globs)}", file=sys.stderr)
    else:
        print(f"perfaudit: logs: {read_summary(report.stats)}", file=sys.stderr)
    return report


# ------------------------------------------------------------------ language server


def root_latency(root) -> LatencyReport | None:
    """Latency for a language-server root from its `perfaudit.logs` setting
    (globs relative to the root) and `perfaudit.logPattern`; cached on the
    root until a log file or the set of routes changes. None without logs."""
    import logging

    from perfaudit.server.express.routes import routes

    settings = getattr(root, "settings", None)
    globs = getattr(settings, "logs", None)
    if not globs:
        return None
    globs = [globs] if isinstance(globs, str) else list(globs)
    pattern = getattr(settings, "log_pattern", None)
    files = expand_globs(globs, root.path)
    stamp = []
    for f in files:
        try:
            st = os.stat(f)
            stamp.append((f, st.st_mtime_ns, st.st_size))
        except OSError:
            continue
    keys = tuple((r.method, r.path) for r in routes(root.ws))
    signature = (tuple(globs), pattern, tuple(stamp), keys)
    cached = getattr(root, "_perfaudit_latency", None)
    if cached is not None and cached[0] == signature:
        return cached[1]
    rx = None
    if pattern:
        try:
            rx = compile_pattern(pattern)
        except LogFormatError as exc:
            logging.getLogger("perfaudit").warning("perfaudit.logPattern: %s", exc)
    report = measure([f for f, _, _ in stamp], keys, rx)
    root._perfaudit_latency = (signature, report)
    return report


def lens_suffixes(root, path: str) -> list[str | None]:
    """Per route registered in `path` (the order of `routes_in`), the measured
    latency text for its code lens, or None."""
    from perfaudit.server.express.routes import routes_in

    try:
        latency = root_latency(root)
    except Exception:  # noqa: BLE001 - a lens never fails because of a log file
        import logging

        logging.getLogger("perfaudit").exception("reading request logs failed")
        return []
    if latency is None:
        return []
    return [lens_text(latency.get(r.method, r.path)) for r in routes_in(root.ws, path)]
