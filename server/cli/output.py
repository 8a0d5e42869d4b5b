"""How findings leave the CLI: text, JSON and SARIF 2.1.0.

Engine ranges are UTF-8 byte offsets; here they become LSP-style positions
(0-based line, UTF-16 character) once, through `LineIndex`. JSON paths are
relative to the directory checked, with forward slashes.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from perfaudit.server import registry
from perfaudit.server.about import TOOL_NAME, docs_ref, tool_version
from perfaudit.server.findings import Applicability, Finding, Severity
from perfaudit.server.fixes import applicable_fix
from perfaudit.server.rule import doc_section
from perfaudit.server.analysis.text import LineIndex, Position

JSON_VERSION = 1
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _relpath(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(path, root)
    except ValueError:  # another drive on Windows
        rel = path
    return rel.replace(os.sep, "/")


class _Positions:
    """LineIndex per file, from the workspace (falling back to the disk)."""

    def __init__(self, result):
        self.result = result
        self._cache: dict[str, LineIndex] = {}

    def index(self, path: str) -> LineIndex:
        if path not in self._cache:
            data = b""
            try:
                data = self.result.workspace.data_of(path) or b""
            except Exception:  # noqa: BLE001 - a file the workspace never read
                try:
                    data = Path(path).read_bytes()
                except OSError:
                    data = b""
            self._cache[path] = LineIndex(data)
        return self._cache[path]

    def position(self, path: str, offset: int) -> Position:
        return self.index(path).position(offset)

    def range(self, path: str, start: int, end: int) -> dict:
        s, e = self.position(path, start), self.position(path, end)
        return {
            "start": {"line": s.line, "character": s.character},
            "end": {"line": e.line, "character": e.character},
        }


def _counts(result) -> dict[str, Any]:
    by_severity = Counter(f.severity.label for f in result.findings)
    by_code = Counter(f.code for f in result.findings)
    safe = sum(1 for f in result.findings if applicable_fix(f, unsafe=False) is not None)
    with_unsafe = sum(1 for f in result.findings if applicable_fix(f, unsafe=True) is not None)
    return {
        "findings": len(result.findings),
        "files": len({f.path for f in result.findings}),
        "by_severity": {s.label: by_severity.get(s.label, 0) for s in sorted(Severity, reverse=True)},
        "by_code": dict(sorted(by_code.items())),
        "fixable": {"safe": safe, "unsafe": with_unsafe - safe},
        "skipped": len(result.skipped),
    }


# ----------------------------------------------------------------------- text

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_COLORS = {
    Severity.ERROR: "\x1b[1;31m",
    Severity.WARNING: "\x1b[1;33m",
    Severity.INFORMATION: "\x1b[1;36m",
    Severity.HINT: "\x1b[1;34m",
}


def _display_path(path: str, base: str | None) -> str:
    base = base or os.getcwd()
    rel = _relpath(path, base)
    return path.replace(os.sep, "/") if rel.startswith("../") or rel == ".." else rel


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def format_finding_line(finding: Finding, positions: _Positions, color: bool, base: str | None) -> str:
    pos = positions.position(finding.path, finding.start)
    loc = f"{_display_path(finding.path, base)}:{pos.line + 1}:{pos.character + 1}:"
    fixable = fix_mark(finding)
    word = finding.severity.label
    if color:
        sev = _COLORS.get(finding.severity, _BOLD)
        return f"{_BOLD}{loc}{_RESET} {sev}{word} {finding.code}{_RESET}{fixable} {finding.message}"
    return f"{loc} {word} {finding.code}{fixable} {finding.message}"


# `[*]`: a safe fix (`--fix` applies it); `[~]`: only unsafe fixes, which
# change what the code returns and need `--unsafe-fixes` and a look.
SAFE_MARK, UNSAFE_MARK = " [*]", " [~]"


def fix_mark(finding: Finding) -> str:
    if applicable_fix(finding, unsafe=False):
        return SAFE_MARK
    return UNSAFE_MARK if applicable_fix(finding, unsafe=True) else ""


def summary_lines(result, color: bool = False, base: str | None = None, fixed: int | None = None) -> list[str]:
    counts = _counts(result)
    lines = []
    n = counts["findings"]
    if n == 0:
        lines.append("No findings." if not fixed else "No findings remain.")
    else:
        parts = [f"{c} {label}" for label, c in counts["by_severity"].items() if c]
        text = f"Found {_plural(n, 'finding')} in {_plural(counts['files'], 'file')} ({', '.join(parts)})."
        lines.append(f"{_BOLD}{text}{_RESET}" if color else text)
        safe, unsafe = counts["fixable"]["safe"], counts["fixable"]["unsafe"]
        if safe:
            lines.append(f"[*] {safe} fixable with `perfaudit check --fix`.")
        if unsafe:
            lines.append(f"[~] {unsafe} more fixable with `--fix --unsafe-fixes`.")
    if result.skipped:
        shown = [f"{_display_path(p, base)} ({reason})" for p, reason in result.skipped[:10]]
        more = f", and {len(result.skipped) - 10} more" if len(result.skipped) > 10 else ""
        lines.append(f"skipped {_plural(len(result.skipped), 'file')}: {', '.join(shown)}{more}")
    for code, message in getattr(result, "errors", None) or []:
        lines.append(f"rule {code} failed and was skipped: {message}")
    for path, message in getattr(result, "warnings", None) or []:
        lines.append(f"warning: {_display_path(path, base)}: {message}")
    return lines


def to_text(result, color: bool = False, base: str | None = None, fixed: int | None = None) -> str:
    """`path:line:col: CODE message` per finding (1-based, UTF-16 columns), then a summary.

    With `fixed` (after `--fix`), the number of fixes applied comes first.
    """
    positions = _Positions(result)
    lines = [f"Fixed {_plural(fixed, 'finding')}."] if fixed else []
    lines += [format_finding_line(f, positions, color, base) for f in result.findings]
    if result.findings:
        lines.append("")
    lines.extend(summary_lines(result, color, base, fixed))
    return "\n".join(lines) + "\n"


def statistics(result) -> list[dict[str, Any]]:
    """One row per rule with findings: most frequent first."""
    rules = registry.all_rules()
    counts = Counter(f.code for f in result.findings)
    fixable = Counter(f.code for f in result.findings if applicable_fix(f, unsafe=False))
    with_unsafe = Counter(f.code for f in result.findings if applicable_fix(f, unsafe=True))
    rows = []
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = rules.get(code)
        rows.append({
            "code": code,
            "name": rule.name if rule else "",
            "count": count,
            "fixable": fixable.get(code, 0),
            # Fixable only with --unsafe-fixes (on top of `fixable`).
            "fixable_unsafe": with_unsafe.get(code, 0) - fixable.get(code, 0),
        })
    return rows


def to_statistics_text(result) -> str:
    rows = statistics(result)
    if not rows:
        return "No findings.\n"
    width = max(len(str(r["count"])) for r in rows)
    out = []
    for r in rows:
        mark = "[*]" if r["fixable"] else "   "
        out.append(f"{r['count']:>{width}}  {r['code']}  {mark} {r['name']}")
    total = sum(r["count"] for r in rows)
    out.append(f"Found {_plural(total, 'finding')}.")
    if result.skipped:
        out.append(f"skipped {_plural(len(result.skipped), 'file')}")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------- JSON


def _json_fix(fix, positions: _Positions, root: str) -> dict:
    return {
        "title": fix.title,
        "applicability": fix.applicability.value if isinstance(fix.applicability, Applicability) else str(fix.applicability),
        "edits": [
            {
                "path": _relpath(e.path, root),
                "range": positions.range(e.path, e.start, e.end),
                "newText": e.new_text,
            }
            for e in fix.edits
        ],
    }


def finding_to_json(f: Finding, positions: _Positions, root: str) -> dict:
    rules = registry.all_rules()
    rule = rules.get(f.code)
    return {
        "code": f.code,
        "name": f.name or (rule.name if rule else ""),
        "severity": f.severity.label,
        "message": f.message,
        "path": _relpath(f.path, root),
        "range": positions.range(f.path, f.start, f.end),
        "related": [
            {"path": _relpath(r.path, root), "range": positions.range(r.path, r.start, r.end), "message": r.message}
            for r in f.related
        ],
        "fixes": [_json_fix(fix, positions, root) for fix in f.fixes],
        "docs": docs_ref(f.code),
    }


def to_json(result) -> dict:
    positions = _Positions(result)
    root = result.root
    return {
        "version": JSON_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version()},
        "root": root.replace(os.sep, "/"),
        "findings": [finding_to_json(f, positions, root) for f in result.findings],
        "summary": _counts(result),
        "skipped": [{"path": _relpath(p, root), "reason": reason} for p, reason in result.skipped],
        "warnings": [{"path": _relpath(p, root), "message": m} for p, m in getattr(result, "warnings", None) or []],
    }


# ---------------------------------------------------------------------- SARIF

_SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}
SRCROOT = "%SRCROOT%"


def _plain(markdown: str) -> str:
    return markdown.replace("`", "")


def sarif_rule(rule) -> dict:
    doc = rule.doc or ""
    what = doc_section(doc, "What it does") or rule.summary
    # No helpUri: SARIF wants an absolute URI and perfaudit has no web site; the
    # help carries the whole documentation and names where it lives.
    where = f"`perfaudit rule {rule.code}`; `{docs_ref(rule.code)}` in the perfaudit repository."
    help_md = f"# {rule.code} {rule.name}\n\n{doc}\n\n{where}" if doc else f"{rule.summary}\n\n{where}"
    out = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _plain(rule.summary) or rule.name},
        "fullDescription": {"text": _plain(what), "markdown": what},
        "help": {"text": _plain(help_md), "markdown": help_md},
        "defaultConfiguration": {"level": _SARIF_LEVEL.get(rule.severity, "warning")},
        "properties": {
            "tags": ["performance", {"P": "prisma", "R": "redis", "E": "express", "A": "async", "X": "perfaudit"}.get(rule.code[:1], "other")],
            "precision": "high",
            "fix": getattr(rule.fix, "value", str(rule.fix)),
        },
    }
    return out


def _uri(rel: str) -> str:
    return quote(rel, safe="/-._~")


def _artifact(path: str, root: str) -> dict:
    return {"uri": _uri(_relpath(path, root)), "uriBaseId": SRCROOT}


def _region(positions: _Positions, path: str, start: int, end: int) -> dict:
    s, e = positions.position(path, start), positions.position(path, end)
    return {
        "startLine": s.line + 1,
        "startColumn": s.character + 1,
        "endLine": e.line + 1,
        "endColumn": e.character + 1,
    }


def _fingerprint(f: Finding, positions: _Positions, root: str, seen: Counter) -> str:
    index = positions.index(f.path)
    line = index.line_of(f.start)
    text = index.line_text(line).strip()
    key = f"{f.code}\0{_relpath(f.path, root)}\0{text}"
    seen[key] += 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8")).hexdigest()[:32]


def to_sarif(result) -> dict:
    """A SARIF 2.1.0 log that GitHub code scanning accepts."""
    positions = _Positions(result)
    root = result.root
    rules = dict(registry.all_rules())
    for f in result.findings:  # a finding of a rule the registry lost: still describe it
        if f.code not in rules:
            from perfaudit.server.rule import Rule

            rules[f.code] = Rule(code=f.code, name=f.name or f.code.lower(), summary=f.name or f.code)
    codes = sorted(rules)
    rule_index = {code: i for i, code in enumerate(codes)}
    seen: Counter = Counter()
    results = []
    for f in result.findings:
        res: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": rule_index[f.code],
            "level": _SARIF_LEVEL.get(f.severity, "warning"),
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": _artifact(f.path, root),
                    "region": _region(positions, f.path, f.start, f.end),
                }
            }],
            "partialFingerprints": {"perfaudit/v1": _fingerprint(f, positions, root, seen)},
        }
        if f.related:
            res["relatedLocations"] = [
                {
                    "id": i + 1,
                    "physicalLocation": {
                        "artifactLocation": _artifact(r.path, root),
                        "region": _region(positions, r.path, r.start, r.end),
                    },
                    "message": {"text": r.message or "related"},
                }
                for i, r in enumerate(f.related)
            ]
        fixes = []
        for fix in f.fixes:
            changes: dict[str, list] = {}
            for e in fix.edits:
                changes.setdefault(e.path, []).append({
                    "deletedRegion": _region(positions, e.path, e.start, e.end),
                    "insertedContent": {"text": e.new_text},
                })
            if changes:
                fixes.append({
                    "description": {"text": f"{fix.title} ({fix.applicability.value})"},
                    "artifactChanges": [
                        {"artifactLocation": _artifact(path, root), "replacements": repl}
                        for path, repl in changes.items()
                    ],
                })
        if fixes:
            res["fixes"] = fixes
        results.append(res)
    notifications = [
        {
            "level": "note",
            "message": {"text": f"skipped {_relpath(path, root)}: {reason}"},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(path, root)}}],
        }
        for path, reason in result.skipped
    ]
    notifications += [
        {"level": "error", "message": {"text": f"rule {code} failed and was skipped: {message}"},
         "associatedRule": {"id": code}}
        for code, message in getattr(result, "errors", None) or []
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    root_uri = Path(root).as_uri()
    if not root_uri.endswith("/"):
        root_uri += "/"
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": TOOL_NAME,
                    "version": tool_version(),
                    "semanticVersion": tool_version(),
                    "rules": [sarif_rule(rules[c]) for c in codes],
                }
            },
            "invocations": [invocation],
            "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    }
