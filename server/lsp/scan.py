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
import logging
import os
import time
from collections import deque

from perfaudit.server.analysis.workspace import Workspace, is_source_path, norm
from perfaudit.server.cache import CheckCache
from perfaudit.server.analysis.checkpoint import checkpoint

from perfaudit.server.lsp.session import SCAN
from perfaudit.server.lsp.worker import Cancelled

log = logging.getLogger("perfaudit.lsp")

# Work done per worker job between two progress reports.
BATCH_SECONDS = 0.1


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
    paths = await asyncio.to_thread(list_files, root.path, root.config)
    cache = None if root.standalone else await asyncio.to_thread(read_cache, root.path)
    root.ws.facts_cache = cache
    try:
        finished = await _scan(session, root, progress, paths, check_closed)
    finally:
        root.ws.facts_cache = None
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


def read_cache(path: str) -> CheckCache:
    cache = CheckCache(path)
    cache.load(keep_bad=True)  # a bad one is left for the CLI to replace
    return cache


async def _scan(session, root, progress, paths: list[str], check_closed: bool) -> bool:
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
        progress.report(total - len(todo), total)
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
