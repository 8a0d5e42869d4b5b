"""`check` against parse-only, in one process, with peak memory.

    python bench/bench_check.py [DIR]             # a real workspace
    python bench/bench_check.py --synthetic 4000  # generated from the example (30 MB)
    python bench/bench_check.py --synthetic 4000 --packages 2  # the same split into 2 packages, a schema each

Prints: files, bytes, parse-only seconds (read + tree-sitter), facts
extraction, full check (load + index + every rule), the ratio, and peak RSS.
Run by hand; the figures go in the closing notes, not in timed tests.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perfaudit.server.engine import Engine  # noqa: E402
from perfaudit.server.prisma import schemas  # noqa: E402
from perfaudit.server.analysis.parsing import language_for, parse  # noqa: E402
from perfaudit.server.analysis.workspace import SKIP_DIRS, Workspace  # noqa: E402


def source_files(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        out.extend(Path(dirpath, f) for f in filenames if language_for(f))
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", nargs="?")
    parser.add_argument("--synthetic", type=int, metavar="FILES")
    parser.add_argument("--mb", type=float, default=30.0)
    parser.add_argument("--packages", type=int, default=1, help="split the synthetic workspace into N packages, each with its own schema")
    args = parser.parse_args()
    if args.synthetic and args.packages > 1:
        from synthetic import generate

        root = Path(tempfile.mkdtemp(prefix="perfaudit-bench-")) / "ws"
        for i in range(args.packages):
            generate(root / "packages" / f"service{i}", args.synthetic // args.packages, args.mb / args.packages)
        (root / "package.json").write_text('{ "name": "synthetic-monorepo", "private": true, "workspaces": ["packages/*"] }\n')
    elif args.synthetic:
        from synthetic import generate

        root = generate(Path(tempfile.mkdtemp(prefix="perfaudit-bench-")) / "ws", args.synthetic, args.mb)
    elif args.root:
        root = Path(args.root)
    else:
        parser.error("give a directory or --synthetic N")

    files = source_files(root)
    start = time.perf_counter()
    total = 0
    for f in files:
        data = f.read_bytes()
        total += len(data)
        parse(data, language_for(str(f)))
    parse_s = time.perf_counter() - start
    gc.collect()

    start = time.perf_counter()
    ws = Workspace(str(root))
    ws.load()
    load_s = time.perf_counter() - start
    engine = Engine(ws)
    start = time.perf_counter()
    findings = engine.check(workers=os.cpu_count() or 1)  # as `perfaudit check` does
    rules_s = time.perf_counter() - start
    check_s = load_s + rules_s

    print(f"workspace      {root}")
    print(f"schemas        {len(schemas(ws))}")
    print(f"files          {len(files):,} ({total / 1e6:.1f} MB)")
    print(f"parse only     {parse_s:.2f} s")
    print(f"load + facts   {load_s:.2f} s (read, parse, extract facts, schemas)")
    print(f"rules + index  {rules_s:.2f} s ({len(findings):,} findings)")
    print(f"check total    {check_s:.2f} s = {check_s / parse_s:.2f}x parse-only")
    print(f"peak RSS       {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
