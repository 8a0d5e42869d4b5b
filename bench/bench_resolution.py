"""Module resolution alone: every import specifier of a workspace resolved
with empty caches (what a first check pays), then again warm.

    python bench/bench_resolution.py [DIR]             # a real workspace
    python bench/bench_resolution.py --synthetic 1000  # generated from the example

Prints the number of (file, specifier) pairs, how many resolve to a
workspace file, and the best of five cold and of five warm rounds.
Run by hand; the figures go in the closing notes, not in timed tests.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perfaudit.server.analysis.workspace import Workspace  # noqa: E402


def specifiers(ws: Workspace) -> list[tuple[str, str]]:
    out = []
    for path, source in ws.files.items():
        facts = source.facts
        out.extend((path, imp.module) for imp in facts.imports)
        out.extend((path, module) for _, module, _ in facts.reexports)
    return out


def forget(ws: Workspace) -> None:
    ws.index.invalidate_all()  # memoised resolutions with the rest
    modules = getattr(ws, "modules", None)
    if modules is not None:
        modules.changed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", nargs="?")
    parser.add_argument("--synthetic", type=int, metavar="FILES")
    args = parser.parse_args()
    if args.synthetic:
        from synthetic import generate

        root = generate(Path(tempfile.mkdtemp(prefix="perfaudit-bench-")) / "ws", args.synthetic, args.synthetic * 7_500 / 1e6)
    elif args.root:
        root = Path(args.root)
    else:
        parser.error("give a directory or --synthetic N")
    ws = Workspace(str(root))
    ws.load()
    pairs = specifiers(ws)
    cold = []
    for _ in range(5):
        forget(ws)
        start = time.perf_counter()
        found = sum(1 for path, spec in pairs if ws.index.resolve_module(path, spec))
        cold.append(time.perf_counter() - start)
    warms = []
    for _ in range(5):
        start = time.perf_counter()
        for path, spec in pairs:
            ws.index.resolve_module(path, spec)
        warms.append(time.perf_counter() - start)
    warm = min(warms)
    n = max(len(pairs), 1)
    print(f"workspace      {root}")
    print(f"files          {len(ws.files):,}")
    print(f"specifiers     {len(pairs):,} ({found:,} resolve to a workspace file)")
    print(f"cold           {min(cold) * 1000:.1f} ms best of 5 ({min(cold) / n * 1e6:.1f} us per specifier)")
    print(f"warm           {warm * 1000:.1f} ms best of 5 ({warm / n * 1e6:.2f} us per specifier)")


if __name__ == "__main__":
    main()
