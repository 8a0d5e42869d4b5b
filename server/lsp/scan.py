"""The background workspace scan.

Files are found in a worker thread (a directory walk touches no shared
state), then read and summarised as facts on the event loop in slices of a
few milliseconds, so edits and requests are served in between. Open
documents are never read from disk: the editor's text wins. Trees are not
kept: closed files stay as facts only.
"""

from __future__ import annotations

import asyncio
import logging
import time

from perfaudit.server.analysis.workspace import Workspace, is_source_path, norm

log = logging.getLogger("perfaudit.lsp")

SLICE_SECONDS = 0.004


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
    open_paths = {d.path for d in session.documents}
    project = [p for p in paths if not is_source_path(p)]
    sources = [p for p in paths if is_source_path(p) and p not in open_paths]
    for path in project:
        if path not in open_paths:
            root.ws.load_file(path)
    root.ws.side_changed()
    total = len(sources) * (2 if check_closed else 1)
    done = 0
    slice_start = time.monotonic()

    async def breathe() -> bool:
        nonlocal slice_start
        if time.monotonic() - slice_start > SLICE_SECONDS:
            progress.report(done, total)
            await asyncio.sleep(0)
            slice_start = time.monotonic()
        return not progress.cancelled

    for path in sources:
        if not await breathe():
            return False
        if session.documents.by_path(path) is None:
            try:
                root.ws.load_file(path)
            except Exception:  # one unreadable file never stops the scan
                log.exception("could not load %s", path)
        done += 1
    if check_closed:
        # Findings for closed files, for clients that pull workspace diagnostics.
        for path in sources:
            if not await breathe():
                return False
            source = root.ws.files.get(path)
            if source is not None and session.documents.by_path(path) is None:
                try:
                    root.file_findings[path] = root.engine.check_file(path)
                finally:
                    root.ws.drop_tree(path)
                    root.ws.index.forget_calls(path)
            done += 1
    root.scanned = True
    return True
