"""`perfaudit check` against one-core parse-only: cold, warm, after one edit.

    python bench/bench_check.py [DIR]             # a real workspace (copied first: the edit is made on the copy)
    python bench/bench_check.py --synthetic 4000  # generated from the example (30 MB, recursive reducers included)
    python bench/bench_check.py --synthetic 4000 --packages 2  # the same split into 2 packages, a schema each
    python bench/bench_check.py DIR --per-file    # also the slowest files, checked one by one in this process
                                                  # (after the models every file's check shares)

Prints: files and bytes; parse-only seconds (read + tree-sitter, one core,
in this process); then `perfaudit check` run as the CLI runs it (a
subprocess, forked workers, every rule): cold with `--no-cache`, the first
run that fills `.perfaudit_cache/`, a warm run on the unchanged tree, and a
run after editing one function body; each with its ratio to parse-only and
the peak memory of the whole process tree (the CLI and its workers: sum of
proportional set sizes, so pages the workers share with the parent count
once; the sum of resident sizes is printed too). And the load average, since
the figures mean little on a busy machine. Run by hand; the figures go in
the closing notes, not in timed tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perfaudit.server.analysis.parsing import language_for, nodes_by_kind, parse  # noqa: E402
from perfaudit.server.analysis.workspace import SKIP_DIRS  # noqa: E402

CLI = [sys.executable, "-c", "import sys; from perfaudit.command_line import main; sys.exit(main())"]


def source_files(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        out.extend(Path(dirpath, f) for f in sorted(filenames) if language_for(f))
    return out


def parse_only(files: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    total = 0
    for f in files:
        data = f.read_bytes()
        total += len(data)
        parse(data, language_for(str(f)))
    return time.perf_counter() - start, total


# ------------------------------------------------------------------ memory


def _tree(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(sum of PSS, sum of RSS) of a process and its descendants, in kB."""
    pss = rss = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
        except OSError:
            continue
    return pss, rss


def run_check(root: Path, *flags: str) -> tuple[float, float, float, int]:
    """(seconds, peak PSS MB, peak RSS MB, exit code) of one CLI check."""
    start = time.perf_counter()
    proc = subprocess.Popen([*CLI, "check", "--no-config", "--format", "json", *flags, str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0]

    def sample():
        while proc.poll() is None:
            pss, rss = _memory_kb(proc.pid)
            peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if proc.returncode not in (0, 1):
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit(f"perfaudit check failed ({proc.returncode})")
    return seconds, peak[0] / 1024, peak[1] / 1024, proc.returncode


# ------------------------------------------------------------------ the edit


def edit_one_file(files: list[Path]) -> Path:
    """Add a statement inside the first function body of a mid-sized file
    (what a keystroke-level edit does: the file's facts change, not what
    other files see of it)."""
    by_size = sorted(files, key=lambda f: f.stat().st_size)
    for f in by_size[len(by_size) // 2:] + by_size[: len(by_size) // 2]:
        data = f.read_bytes()
        language = language_for(str(f))
        blocks = nodes_by_kind(parse(data, language), language).get("statement_block", [])
        if blocks:
            at = blocks[0].start_byte + 1
            f.write_bytes(data[:at] + b"\n    void 0; // edited by bench_check\n" + data[at:])
            return f
    raise SystemExit("no function body to edit")


def slowest_files(root: Path, n: int = 5) -> tuple[float, list[tuple[float, str]]]:
    """(seconds to build the models shared by every file's check, as `check`
    does before it checks files; the `n` slowest files after that)."""
    from perfaudit.server.engine import Engine
    from perfaudit.server.analysis.workspace import Workspace

    ws = Workspace(str(root))
    ws.load()
    engine = Engine(ws)
    start = time.perf_counter()
    ws.build_shared_models()
    shared = time.perf_counter() - start
    times = []
    for path in sorted(ws.files):
        start = time.perf_counter()
        engine.check_file(path)
        ws.drop_tree(path)
        times.append((time.perf_counter() - start, ws.relpath(path)))
    return shared, sorted(times, reverse=True)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", nargs="?")
    parser.add_argument("--synthetic", type=int, metavar="FILES")
    parser.add_argument("--mb", type=float, default=30.0)
    parser.add_argument("--packages", type=int, default=1, help="split the synthetic workspace into N packages, each with its own schema")
    parser.add_argument("--per-file", action="store_true", help="also check file by file and print the slowest")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="perfaudit-bench-"))
    try:
        if args.synthetic and args.packages > 1:
            from synthetic import generate

            root = work / "ws"
            for i in range(args.packages):
                generate(root / "packages" / f"service{i}", args.synthetic // args.packages, args.mb / args.packages)
            (root / "package.json").write_text('{ "name": "synthetic-monorepo", "private": true, "workspaces": ["packages/*"] }\n')
        elif args.synthetic:
            from synthetic import generate

            root = generate(work / "ws", args.synthetic, args.mb)
        elif args.root:
            root = work / "ws"
            shutil.copytree(args.root, root, ignore=shutil.ignore_patterns(*SKIP_DIRS), symlinks=True)
        else:
            parser.error("give a directory or --synthetic N")
        files = source_files(root)
        print(f"workspace      {args.root or f'synthetic, {args.synthetic} files'} (copy under {root})")
        print(f"load average   {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores at the start")
        parse_s, total = parse_only(files)
        print(f"files          {len(files):,} ({total / 1e6:.1f} MB), {len(list(root.rglob('*.prisma')))} schema file(s)")
        print(f"parse only     {parse_s:.2f} s (one core)")

        def report(label: str, *flags: str) -> None:
            seconds, pss, rss, _ = run_check(root, *flags)
            print(f"{label:<14} {seconds:6.2f} s = {seconds / parse_s:5.2f}x parse-only; "
                  f"peak memory {pss:4.0f} MB (PSS, tree), {rss:4.0f} MB (RSS sum)")

        report("cold", "--no-cache")
        report("fills cache")
        report("warm")
        edited = edit_one_file(files)
        report("after 1 edit")
        print(f"edited         {edited.relative_to(root)}")
        if args.per_file:
            shared, slowest = slowest_files(root)
            print(f"shared models  {shared:6.2f} s  (routes and what each reaches, built once before the files)")
            for seconds, path in slowest:
                print(f"slowest file   {seconds:6.2f} s  {path}")
        print(f"load average   {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
