"""Analysis off the request path: one job at a time, in slices.

A job runs in a worker thread, but never at the same time as the event
loop: the loop hands it control and waits; at each `checkpoint()` whose
time slice is used up the job hands control back and waits in turn. So the
server's state needs no locks (exactly one thread touches it at any
moment), yet no job holds the loop for more than a slice: requests and
edits are read and answered between slices. A job cancelled meanwhile
raises `Cancelled` at its next checkpoint.

tree-sitter's parse is one C call that holds the GIL: it cannot be sliced,
which is one reason documents over the size limit are never parsed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Callable

from perfaudit.server.analysis import checkpoint

log = logging.getLogger("perfaudit.lsp")

SLICE_SECONDS = 0.01


class Cancelled(BaseException):
    """The job's result is no longer wanted (a BaseException, so that the
    `except Exception` around each rule does not swallow it)."""


class Worker:
    def __init__(self, slice_seconds: float = SLICE_SECONDS) -> None:
        self.slice_seconds = slice_seconds
        self._go = threading.Semaphore(0)  # loop -> worker: run
        self._paused = threading.Semaphore(0)  # worker -> loop: slice over (or job over)
        self._job = None
        self._outcome: tuple[bool, object] | None = None  # (ok, value or exception)
        self._cancelled = False
        self._slice_end = 0.0
        self._lock: asyncio.Lock | None = None
        self._priority: int | None = None
        self.busy_for: str | None = None  # what the running job is about, for cancelling it
        # Run in the worker after each job, when no check holds any node.
        self.after_each_job: Callable[[], None] | None = None
        threading.Thread(target=self._thread, daemon=True, name="perfaudit-analysis").start()

    # ------------------------------------------------------------ loop side

    async def call(self, fn, *args, priority: int = 0, about: str | None = None):
        """Run `fn(*args)` in the worker; jobs of a lower priority that hold
        the worker are cancelled so this one goes next."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        if self._priority is not None and self._priority < priority:
            self.cancel()
        async with self._lock:
            self._priority, self.busy_for, self._cancelled = priority, about, False
            try:
                return await self._run(fn, args)
            finally:
                self._priority, self.busy_for = None, None

    def cancel(self, about: str | None = None) -> None:
        """Cancel the running job (only if it is about `about`, when given)."""
        if self._priority is not None and (about is None or about == self.busy_for):
            self._cancelled = True

    async def _run(self, fn, args):
        self._job, self._outcome = (fn, args), None
        while True:
            self._slice_end = time.monotonic() + self.slice_seconds
            self._go.release()
            self._paused.acquire()  # the loop waits while the job runs a slice
            if self._outcome is not None:
                ok, value = self._outcome
                self._job = self._outcome = None
                if ok:
                    return value
                raise value
            for _ in range(3):  # serve what arrived meanwhile (input wakes a task or two)
                await asyncio.sleep(0)

    # ------------------------------------------------------------ worker side

    def _thread(self) -> None:
        checkpoint.set_hook(self._checkpoint)
        while True:
            self._go.acquire()
            fn, args = self._job
            try:
                if self._cancelled:
                    raise Cancelled()
                self._outcome = (True, fn(*args))
            except BaseException as exc:  # handed to the caller on the loop
                self._outcome = (False, exc)
            if self.after_each_job is not None:
                try:
                    self.after_each_job()
                except Exception:  # housekeeping never fails the job
                    log.exception("after a job")
            self._paused.release()

    def _checkpoint(self) -> None:
        if not self._cancelled and time.monotonic() < self._slice_end:
            return
        if not self._cancelled:
            self._paused.release()
            self._go.acquire()
        if self._cancelled:
            raise Cancelled()
