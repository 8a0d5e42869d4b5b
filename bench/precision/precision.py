"""Precision and recall per rule on the fixture projects in projects/.

Each project is a small realistic backend. A comment at the end of a line
says what must be reported there (`// expect P104`, several codes separated
by commas; `# expect P108` in `.env` files) and what must not (`// not P104`:
a shape that looks like the problem but is not). Every finding on a line without `expect` for its code
counts as a false positive, so precision is what a user would see.

    .venv/bin/python bench/precision/precision.py            # every project
    .venv/bin/python bench/precision/precision.py -v         # and each miss / false positive
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from perfaudit.server.config import Config
from perfaudit.server.engine import analyze

HERE = Path(__file__).resolve().parent
_MARK = re.compile(r"(?://|;|#)\s*(expect|not)\s+([A-Z][0-9]{3}(?:\s*,\s*[A-Z][0-9]{3})*)")


def annotations(root: Path) -> tuple[set, set]:
    """(expected, must-not) sets of (relative path, line, code)."""
    expected, negative = set(), set()
    for path in sorted(root.rglob("*")):
        if (path.suffix not in (".ts", ".tsx", ".js", ".prisma") and not path.name.startswith(".env")) or "node_modules" in path.parts:
            continue
        rel = path.relative_to(root).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for kind, codes in _MARK.findall(line):
                for code in re.split(r"\s*,\s*", codes):
                    (expected if kind == "expect" else negative).add((rel, n, code))
    return expected, negative


def findings(root: Path) -> set:
    result = analyze(str(root), None, Config())
    ws = result.workspace
    return {(ws.relpath(f.path), ws.line_index(f.path).line_of(f.start) + 1, f.code) for f in result.findings}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="*", help="project folders (default: every one under projects/)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss and false positive")
    args = parser.parse_args(argv)
    roots = [Path(p) for p in args.projects] or sorted(p for p in (HERE / "projects").iterdir() if p.is_dir())
    tp, fp, fn, neg_ok, neg = Counter(), Counter(), Counter(), Counter(), Counter()
    for root in roots:
        expected, negative = annotations(root)
        found = findings(root)
        for item in found & expected:
            tp[item[2]] += 1
        for item in found - expected:
            fp[item[2]] += 1
            if args.verbose:
                print(f"false positive  {root.name}/{item[0]}:{item[1]} {item[2]}" + ("  (a `not` shape)" if item in negative else ""))
        for item in expected - found:
            fn[item[2]] += 1
            if args.verbose:
                print(f"missed          {root.name}/{item[0]}:{item[1]} {item[2]}")
        for item in negative:
            neg[item[2]] += 1
            if item not in found:
                neg_ok[item[2]] += 1
    codes = sorted(set(tp) | set(fp) | set(fn) | set(neg))
    print(f"{'rule':<6}{'TP':>4}{'FP':>4}{'FN':>4}{'precision':>11}{'recall':>8}   false shapes silent")
    for code in codes:
        print(f"{code:<6}{tp[code]:>4}{fp[code]:>4}{fn[code]:>4}{_ratio(tp[code], tp[code] + fp[code]):>11}"
              f"{_ratio(tp[code], tp[code] + fn[code]):>8}   {neg_ok[code]}/{neg[code]}" if neg[code] else
              f"{code:<6}{tp[code]:>4}{fp[code]:>4}{fn[code]:>4}{_ratio(tp[code], tp[code] + fp[code]):>11}"
              f"{_ratio(tp[code], tp[code] + fn[code]):>8}")
    t, f, n = sum(tp.values()), sum(fp.values()), sum(fn.values())
    print(f"{'all':<6}{t:>4}{f:>4}{n:>4}{_ratio(t, t + f):>11}{_ratio(t, t + n):>8}   {sum(neg_ok.values())}/{sum(neg.values())}")
    return 0


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


if __name__ == "__main__":
    sys.exit(main())
