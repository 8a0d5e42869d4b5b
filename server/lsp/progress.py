"""Work-done progress for long work (the workspace scan): a progress bar in
the editor, cancellable from it. Without client support it is silent."""

from __future__ import annotations

import logging
import uuid

from lsprotocol import types

log = logging.getLogger("perfaudit.lsp")


class Progress:
    def __init__(self, server, title: str):
        self.server = server
        self.title = title
        self.token: str | None = None
        self._last_percent = -1

    async def begin(self, message: str = "") -> None:
        caps = self.server.client_capabilities
        if not (caps.window and caps.window.work_done_progress):
            return
        token = f"perfaudit-{uuid.uuid4().hex[:8]}"
        try:
            await self.server.work_done_progress.create_async(token)
        except Exception:  # the client refused: go on without a bar
            log.debug("work done progress refused", exc_info=True)
            return
        self.token = token
        self.server.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=self.title, message=message, cancellable=True, percentage=0)
        )

    @property
    def cancelled(self) -> bool:
        if self.token is None:
            return False
        future = self.server.work_done_progress.tokens.get(self.token)
        return future is not None and future.cancelled()

    def report(self, done: int, total: int, message: str = "") -> None:
        if self.token is None:
            return
        percent = int(100 * done / total) if total else 100
        if percent == self._last_percent:
            return
        self._last_percent = percent
        self.server.work_done_progress.report(
            self.token, types.WorkDoneProgressReport(message=message or f"{done}/{total} files", percentage=percent)
        )

    def end(self, message: str = "") -> None:
        if self.token is None:
            return
        self.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        self.server.work_done_progress.tokens.pop(self.token, None)
        self.token = None
