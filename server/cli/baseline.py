"""The baseline: findings a project accepts for now, so CI fails only on new ones.

A finding is identified by its rule, its file (relative to the root) and a
*fingerprint* of the code around it: the text of its line and of its range,
with whitespace collapsed, hashed. Line numbers are not part of it, so lines
added or removed above a finding do not resurrect it; editing the line itself
does (it is then new code). Identical findings on identical lines in one file
are counted, not told apart: a baseline entry with `count: 2` absorbs two.

The file is JSON, sorted, with relative paths only. It holds no source text:
the fingerprint is a hash, and on a `.env` line only the variable name is
hashed, never the value (a `DATABASE_URL` password stays out of it).

`perfaudit diff` matches findings across two git refs with the same keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from perfaudit.server.findings import Finding

BASELINE_VERSION = 1
_SPAN_CAP = 400  # bytes of the finding's own range that go into the fingerprint
_WS = re.compile(r"\s+")


class BaselineError(ValueError):
    """A baseline file that cannot be read."""


def relpath(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(path, root)
    except ValueError:
        rel = path
    return rel.replace(os.sep, "/")


def _normal(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _is_env(path: str) -> bool:
    name = os.path.basename(path)
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def _text_of(ws, path: str) -> bytes:
    try:
        data = ws.data_of(path)
    except Exception:  # noqa: BLE001 - a file the workspace never read
        data = None
    if data is None:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            data = b""
    return data if isinstance(data, bytes) else str(data).encode("utf-8")


def fingerprint(finding: Finding, data: bytes) -> str:
    """A hash of the finding's line and range (whitespace-insensitive)."""
    start = max(0, min(finding.start, len(data)))
    end = max(start, min(finding.end, len(data)))
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", start)
    line_end = len(data) if line_end < 0 else line_end
    line = data[line_start:line_end].decode("utf-8", errors="replace")
    span = data[start:min(end, start + _SPAN_CAP)].decode("utf-8", errors="replace")
    if _is_env(finding.path):  # never hash a secret: the variable name is enough
        line = line.split("=", 1)[0]
        span = ""
    key = f"{_normal(line)}\0{_normal(span)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Key:
    code: str
    path: str  # relative, forward slashes
    fingerprint: str


def keys_of(findings: Iterable[Finding], root: str, ws) -> list[tuple[Key, Finding]]:
    cache: dict[str, bytes] = {}
    out = []
    for f in findings:
        if f.path not in cache:
            cache[f.path] = _text_of(ws, f.path)
        out.append((Key(f.code, relpath(f.path, root), fingerprint(f, cache[f.path])), f))
    return out


def baseline_counts(findings: Iterable[Finding], root: str, ws) -> Counter:
    return Counter(k for k, _ in keys_of(findings, root, ws))


def to_document(counts: Counter) -> dict:
    entries = [
        {"code": k.code, "path": k.path, "fingerprint": k.fingerprint, "count": n}
        for k, n in sorted(counts.items(), key=lambda kv: (kv[0].path, kv[0].code, kv[0].fingerprint))
    ]
    return {
        "version": BASELINE_VERSION,
        "tool": "perfaudit",
        "findings": entries,
    }


def write_baseline(file: str, findings: Iterable[Finding], root: str, ws) -> int:
    """Write the baseline of `findings`; returns how many findings it holds."""
    counts = baseline_counts(findings, root, ws)
    text = json.dumps(to_document(counts), indent=2, sort_keys=True) + "\n"
    directory = os.path.dirname(os.path.abspath(file))
    os.makedirs(directory, exist_ok=True)
    tmp = f"{file}.perfaudit-tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, file)
    return sum(counts.values())


def read_baseline(file: str) -> Counter:
    try:
        with open(file, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise BaselineError(f"baseline file not found: {file} (create it with --write-baseline)") from None
    except (OSError, ValueError) as exc:
        raise BaselineError(f"cannot read baseline {file}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise BaselineError(f"{file}: not a perfaudit baseline (no `findings` list)")
    if doc.get("version", BASELINE_VERSION) > BASELINE_VERSION:
        raise BaselineError(f"{file}: baseline version {doc.get('version')} is newer than this perfaudit understands")
    counts: Counter = Counter()
    for i, entry in enumerate(doc["findings"]):
        try:
            key = Key(str(entry["code"]), str(entry["path"]), str(entry["fingerprint"]))
            n = int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{file}: entry {i} needs code, path and fingerprint") from None
        counts[key] += max(n, 0)
    return counts


def filter_new(findings: list[Finding], baseline: Counter, root: str, ws) -> tuple[list[Finding], int]:
    """(findings not absorbed by the baseline, how many were absorbed)."""
    remaining = Counter(baseline)
    new, absorbed = [], 0
    for key, f in keys_of(findings, root, ws):
        if remaining[key] > 0:
            remaining[key] -= 1
            absorbed += 1
        else:
            new.append(f)
    return new, absorbed


@dataclass
class Comparison:
    """Findings of two states of a workspace, matched by baseline key."""

    fixed: list[tuple[Key, Finding]]
    introduced: list[tuple[Key, Finding]]
    unchanged: list[tuple[Key, Finding]]  # as in the second state

    def per_rule(self) -> list[dict]:
        codes = sorted({k.code for k, _ in self.fixed + self.introduced + self.unchanged})
        fixed = Counter(k.code for k, _ in self.fixed)
        intro = Counter(k.code for k, _ in self.introduced)
        same = Counter(k.code for k, _ in self.unchanged)
        return [{"code": c, "fixed": fixed[c], "introduced": intro[c], "unchanged": same[c],
                 "before": fixed[c] + same[c], "after": intro[c] + same[c]} for c in codes]


def compare(before: list[tuple[Key, Finding]], after: list[tuple[Key, Finding]]) -> Comparison:
    pool: dict[Key, list[Finding]] = {}
    for k, f in before:
        pool.setdefault(k, []).append(f)
    introduced, unchanged = [], []
    for k, f in after:
        if pool.get(k):
            pool[k].pop(0)
            unchanged.append((k, f))
        else:
            introduced.append((k, f))
    fixed = [(k, f) for k, fs in pool.items() for f in fs]
    def order(kf):
        return (kf[0].path, getattr(kf[1], "line", None) or getattr(kf[1], "start", 0), kf[0].code)

    return Comparison(sorted(fixed, key=order), sorted(introduced, key=order), sorted(unchanged, key=order))
