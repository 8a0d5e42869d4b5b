"""The background workspace scan.

Files are found in a thread (a directory walk touches no shared state),
then read and summarised as facts by the session's worker at the lowest
priority, so edits and requests are served in between. Open
documents are never read from disk: the editor's text wins. Trees are not
kept: closed files stay as facts only. The scan starts from the cache
(`.perfaudit_cache/`, which `perfaudit check` writes too): a file whose
content is the one cached takes its facts from there instead of being
parsed. After a complete scan the facts it read are written back, so the
next start is quick.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
import time
from collections import deque

from perfaudit.server.analysis import parallel
from perfaudit.server.analysis.extract import extract_facts
from perfaudit.server.analysis.parsing import language_for, parse
from perfaudit.server.analysis.workspace import Workspace, is_source_path, norm, read_source
from perfaudit.server.cache import CheckCache, digest
from perfaudit.server.analysis.checkpoint import checkpoint

from perfaudit.server.lsp.session import SCAN
from perfaudit.server.lsp.worker import Cancelled

log = logging.getLogger("perfaudit.lsp")

# Work done per worker job between two progress reports.
BATCH_SECONDS = 0.1
# How long the scan waits for the documents open at the start to be analysed.
OPEN_FIRST_SECONDS = 2.0
# The share of the progress bar for the forked parse of what the cache lacks.
PREFETCH_SHARE = 0.8


class _Lister(Workspace):
    """The workspace walk (.gitignore, excludes, skipped dirs) that only lists."""

    def __init__(self, root: str, config):
        super().__init__(root, config)
        self.found: list[str] = []

    def load_file(self, path: str) -> None:  # noqa: D401 - the walk's hook
        self.found.append(norm(path))


def list_files(root: str, config) -> list[str]:
    lister = _Lister(root, config)
    lister.load()
    return lister.found


async def scan_root(session, root, progress, check_closed: bool = False) -> bool:
    """Load every file of `root`; True when it ran to the end (not cancelled)."""
    # The documents the editor opened with it first: listing the files and
    # reading the cache in a thread hold the interpreter for seconds, which
    # their first diagnostics would share.
    try:
        await asyncio.wait_for(session.settle(), OPEN_FIRST_SECONDS)
    except asyncio.TimeoutError:
        pass  # typed into all along: the scan goes on anyway
    paths = await asyncio.to_thread(list_files, root.path, root.config)
    cache = None if root.standalone else await asyncio.to_thread(read_cache, root.path)
    share = 0.0 if cache is None else await _prefetch(cache, [p for p in paths if is_source_path(p)], progress)
    root.ws.facts_cache = cache
    try:
        finished = await _scan(session, root, progress, paths, check_closed, share)
    finally:
        root.ws.facts_cache = None
    log.info("scanned %s: %d files", root.path, len(root.ws.files))
    if finished and cache is not None:
        save_in_background(cache, set(root.ws.files))
    return finished


def save_in_background(cache: CheckCache, paths: set[str]) -> None:
    """Write the facts the scan read, for the next start (and the next
    `check`). Pickling 30 MB of facts holds the interpreter for about a
    second, so a forked child writes them while the server goes on."""
    if not hasattr(os, "fork"):
        return
    pid = os.fork()
    if pid == 0:  # the child: write, and leave without running the server's exit handlers
        code = 1
        try:
            cache.save_facts(paths)
            code = 0
        finally:
            os._exit(code)
    asyncio.get_running_loop().run_in_executor(None, os.waitpid, pid, 0)  # reaped when it is done


async def _prefetch(cache: CheckCache, sources: list[str], progress) -> float:
    """Run `prefetch_facts`; the part of the progress bar it took."""
    loop = asyncio.get_running_loop()

    def report(done: int, total: int) -> None:
        loop.call_soon_threadsafe(progress.report, int(PREFETCH_SHARE * 1000 * done / total), 1000,
                                  f"parsing: {done}/{total} files")

    started, workers = time.monotonic(), os.cpu_count() or 1
    stopped = threading.Event()  # the scan was cancelled (shutdown): the thread and its workers end too
    try:
        ran = await asyncio.to_thread(prefetch_facts, cache, sources, workers,
                                      lambda: stopped.is_set() or progress.cancelled, report)
    except asyncio.CancelledError:
        stopped.set()
        raise
    except Exception:  # no processes to be had, a worker died: the scan parses what is left itself
        log.warning("the forked parse failed; the scan parses the files itself", exc_info=True)
        return 0.0
    if ran:  # logged here: the handler writes to the client, from the loop's thread only
        log.info("parsed what the cache lacked in %.1f s (%d processes)", time.monotonic() - started, workers)
    return PREFETCH_SHARE if ran else 0.0


def prefetch_facts(cache: CheckCache, sources: list[str], workers: int, stop, report) -> bool:
    """In a thread, before the scan: the facts of the sources the cache
    lacks, parsed and summarised in forked processes and put in the cache,
    so the scan then reads every file as a cache hit. The server's own
    threads parse nothing meanwhile: edits and requests are answered at
    once. False when there was nothing to fork for."""
    # By path only: reading and hashing every file here would slow the
    # common start (a cache written by the last one); files changed since
    # are parsed by the scan itself.
    misses = [p for p in sources if p not in cache.old_files]
    if len(misses) < parallel.PARALLEL_MIN_FILES or not parallel.can_fork():
        return False
    runs = parallel.deal(misses, workers, os.path.dirname)  # neighbours together: they share imports
    done = 0
    for _, found in parallel.run_forked(_facts_of, runs, workers, share=False, stop=stop):
        for path, key, facts in found:
            cache.add_facts(path, key, facts)
        done += len(found)
        report(done, len(misses))
    return True


def _facts_of(paths: list[str]) -> list[tuple]:
    """In a forked worker: (path, content digest, facts) of each source that reads."""
    _yield_to_the_editor()
    out = []
    for path in paths:
        text, _ = read_source(path)
        if text is None:
            continue
        data = text.encode("utf-8")
        language = language_for(path) or "typescript"
        out.append((path, digest(data), extract_facts(parse(data, language), language)))
    return out


_niced = False


def _yield_to_the_editor() -> None:
    """Workers run at a lower CPU priority than the server, which keeps
    answering the editor on the same cores."""
    global _niced
    if not _niced and hasattr(os, "nice"):
        _niced = True
        try:
            os.nice(10)
        except OSError:
            pass


def read_cache(path: str) -> CheckCache:
    cache = CheckCache(path)
    # Unpickling 30 MB of facts makes millions of objects that live on: the
    # cyclic collector would walk them over and over (the facts of 4,000
    # files: 4.6 s with it, 1.5 s without), and again at each full
    # collection later (frozen, they are not walked).
    collecting = gc.isenabled()
    gc.disable()
    try:
        cache.load(keep_bad=True, facts_only=True)  # a bad one is left for the CLI to replace
        gc.freeze()
    finally:
        if collecting:
            gc.enable()
    return cache


async def _scan(session, root, progress, paths: list[str], check_closed: bool, done_share: float = 0.0) -> bool:
    sources = [p for p in paths if is_source_path(p)]
    todo = deque([("load", p) for p in paths if not is_source_path(p)] + [("side", "")]
                 + [("load", p) for p in sources] + ([("check", p) for p in sources] if check_closed else []))
    total = len(todo)
    while todo:
        if progress.cancelled:
            return False
        try:
            await session.worker.call(_scan_some, session, root, todo, priority=SCAN, about="scan")
        except Cancelled:
            pass  # an edit went first: go on where this batch stopped
        progress.report(int(1000 * (done_share + (1 - done_share) * (total - len(todo)) / total)), 1000,
                        f"{total - len(todo)}/{total} files")
    root.scanned = True
    return True


def _scan_some(session, root, todo: deque) -> None:
    """In the worker: work through `todo` for a while, a file at a time."""
    end = time.monotonic() + BATCH_SECONDS
    while todo and time.monotonic() < end:
        step, path = todo[0]
        if step == "side":
            root.ws.side_changed()
        elif session.documents.by_path(path) is None:  # the editor's text wins
            try:
                _scan_file(root, step, path)
            except Cancelled:
                raise
            except Exception:  # one unreadable file never stops the scan
                log.exception("could not %s %s", step, path)
        todo.popleft()
        checkpoint()


def _scan_file(root, step: str, path: str) -> None:
    if step == "load":
        root.ws.load_file(path)
    elif path in root.ws.files:
        # Findings for closed files, for clients that pull workspace diagnostics.
        try:
            root.file_findings[path] = root.engine.check_file(path)
            root.engine.fill_memos(path)  # what the workspace rules read of the tree that goes next
        finally:
            root.ws.drop_tree(path)
            root.ws.index.forget_calls(path)
