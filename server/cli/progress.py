"""A progress line on stderr for runs that take more than a second: files
read, then files checked, redrawn in place and erased at the end, as pytest
or ruff users expect on a terminal. Never in a pipe, a CI log (CI is set) or
a dumb terminal, and never for machine-readable output (the caller says)."""

from __future__ import annotations

import os
import sys
import time

DELAY = 1.0  # nothing for runs shorter than this
REDRAW = 0.1  # at most ten redraws a second


def wanted(stream=None) -> bool:
    stream = stream if stream is not None else sys.stderr
    return (
        hasattr(stream, "isatty") and stream.isatty()
        and not os.environ.get("CI")
        and os.environ.get("TERM") != "dumb"
    )


class Progress:
    """`read(path)` and `checked(done, total)` as `analyze` calls them; `close()` erases the line."""

    def __init__(self, stream=None, clock=time.monotonic, delay: float | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = clock()
        self.delay = DELAY if delay is None else delay
        self.files = 0
        self.drawn_at: float | None = None
        self.width = 0

    def read(self, path: str) -> None:
        self.files += 1
        self._draw(f"perfaudit: reading files... {self.files:,}")

    def checked(self, done: int, total: int) -> None:
        self._draw(f"perfaudit: checking {done:,}/{total:,} files", force=done == total)

    def _draw(self, text: str, force: bool = False) -> None:
        now = self.clock()
        if now - self.started < self.delay:
            return
        if not force and self.drawn_at is not None and now - self.drawn_at < REDRAW:
            return
        self.drawn_at = now
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def close(self) -> None:
        if self.drawn_at is not None:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.drawn_at = None


class Quiet:
    def read(self, path: str) -> None:
        pass

    def checked(self, done: int, total: int) -> None:
        pass

    def close(self) -> None:
        pass


def for_output(machine_readable: bool):
    """A Progress when a person watches stderr and stdout is not data, else one that says nothing."""
    return Progress() if not machine_readable and wanted() else Quiet()
