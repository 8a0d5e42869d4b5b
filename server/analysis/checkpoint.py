"""Points where long analysis may pause.

The language server runs analysis in a thread of its own that hands
control back to the event loop at these points once its time slice is
used up (and stops there when the work was cancelled). Elsewhere (the CLI,
tests) no hook is set and a checkpoint costs one attribute lookup.

Call it only where the workspace is consistent: between rules, between
files, inside pure computations such as facts extraction.
"""

from __future__ import annotations

import threading

_local = threading.local()


def checkpoint() -> None:
    hook = getattr(_local, "hook", None)
    if hook is not None:
        hook()


def set_hook(hook) -> None:
    """Install `hook` for the calling thread (None removes it)."""
    _local.hook = hook
