"""Work spread over forked processes, files dealt by package.

A forked worker inherits the parent's loaded state copy-on-write and sends
back only frozen data (facts, findings). Files go out in contiguous runs of
(package, path) order, so the files of one package mostly land in the same
worker and the summaries of the services they share are derived once.
"""

from __future__ import annotations

import collections
import gc
import multiprocessing
import os
import queue
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


def run_forked(task: Callable[[list[str]], object], runs: list[list[str]], workers: int,
               here: Callable[[list[str]], object] | None = None, share: bool = True,
               stop: Callable[[], bool] | None = None):
    """`task(run)` for each run, in forked workers that see everything the
    parent holds now; yields (index of the run, result) as each finishes.

    This process is one of the `workers`: between results it takes runs
    too (from the end of the list, the children from the front), with
    `here(run)` (default `task`), whose work needs no copying back. One
    child fewer is one private copy fewer of the pages it writes to.
    With `share` off (the language server, whose own thread must stay free
    for the editor) the children do every run. `stop()` true ends the work
    early (the children are killed)."""
    here = here or task
    children = min(workers, len(runs)) - 1 if share else max(1, min(workers, len(runs)))
    if children < 1:
        for index, run in enumerate(runs):
            yield index, here(run)
        return
    global _TASK
    _TASK = task
    pending = collections.deque(enumerate(runs))
    finished: queue.SimpleQueue = queue.SimpleQueue()
    try:
        with multiprocessing.get_context("fork").Pool(children) as pool:

            def submit() -> None:
                try:
                    job = pending.popleft()
                except IndexError:
                    return
                pool.apply_async(_run, (job,), callback=done, error_callback=finished.put)

            def done(result) -> None:
                finished.put(result)
                submit()  # keep each child fed while this process works on a run

            for _ in range(2 * children):  # one running and one queued per child
                submit()
            for _ in range(len(runs)):
                if share and pending and finished.empty():
                    try:
                        index, run = pending.pop()
                    except IndexError:  # a child took the last one meanwhile
                        pass
                    else:
                        yield index, here(run)
                        continue
                result = _next_result(finished, stop)
                if result is None:
                    return  # stopped: leaving the pool kills the children
                if isinstance(result, BaseException):
                    raise result
                yield result
    finally:
        _TASK = None


def _next_result(finished: queue.SimpleQueue, stop: Callable[[], bool] | None):
    if stop is None:
        return finished.get()
    while not stop():
        try:
            return finished.get(timeout=0.1)
        except queue.Empty:
            continue
    return None


def _run(job: tuple[int, list[str]]):
    gc.disable()  # a worker's objects live until it ends: no cycles to look for
    index, run = job
    return index, _TASK(run)
