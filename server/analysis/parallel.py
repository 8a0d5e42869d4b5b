"""Work spread over forked processes, files dealt by package.

A forked worker inherits the parent's loaded state copy-on-write and sends
back only frozen data (facts, findings). Files go out in contiguous runs of
(package, path) order, so the files of one package mostly land in the same
worker and the summaries of the services they share are derived once.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Callable, Sequence

# Below this many files, forking costs more than it saves.
PARALLEL_MIN_FILES = 200
# Runs per worker: enough to even out slow runs, few enough to keep packages whole.
RUNS_PER_WORKER = 4


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def deal(paths: Sequence[str], workers: int, package_of: Callable[[str], str]) -> list[list[str]]:
    """Contiguous runs of the files in (package, path) order, of about equal
    total size."""
    packages: dict[str, str] = {}  # directory -> its package

    def key(path: str) -> tuple[str, str]:
        directory = os.path.dirname(path)
        if directory not in packages:
            packages[directory] = package_of(path)
        return (packages[directory], path)

    ordered = sorted(paths, key=key)
    sizes = [_size(p) for p in ordered]
    runs = max(1, min(len(ordered), workers * RUNS_PER_WORKER))
    target = sum(sizes) / runs
    out: list[list[str]] = [[]]
    filled = 0.0
    for path, size in zip(ordered, sizes):
        if filled >= target and len(out) < runs:
            out.append([])
            filled = 0.0
        out[-1].append(path)
        filled += size
    return [run for run in out if run]


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


_TASK: Callable | None = None


def run_forked(task: Callable[[list[str]], object], runs: list[list[str]], workers: int):
    """`task(run)` for each run in forked workers (which see everything the
    parent holds now); yields (index of the run, result) as each finishes."""
    global _TASK
    _TASK = task
    try:
        with multiprocessing.get_context("fork").Pool(min(workers, len(runs))) as pool:
            yield from pool.imap_unordered(_run, list(enumerate(runs)))
    finally:
        _TASK = None


def _run(job: tuple[int, list[str]]):
    gc.disable()  # a worker's objects live until it ends: no cycles to look for
    index, run = job
    return index, _TASK(run)
