"""Log records go to the editor (`window/logMessage`), never to stderr:
stdio carries the protocol, and a traceback there is noise in the user's
log panel. `trace` decides how much: off = warnings and errors."""

from __future__ import annotations

import logging
import threading

from lsprotocol import types

_LEVELS = {"off": logging.WARNING, "messages": logging.INFO, "verbose": logging.DEBUG}


def _message_type(level: int) -> types.MessageType:
    if level >= logging.ERROR:
        return types.MessageType.Error
    if level >= logging.WARNING:
        return types.MessageType.Warning
    if level >= logging.INFO:
        return types.MessageType.Info
    return types.MessageType.Log


class ClientLogHandler(logging.Handler):
    def __init__(self, server) -> None:
        super().__init__(level=logging.WARNING)
        self.server = server
        self._sending = threading.local()
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def set_trace(self, trace: str) -> None:
        self.setLevel(_LEVELS.get(trace, logging.WARNING))

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._sending, "active", False):
            return  # a log record raised while sending one
        if self.server.protocol.writer is None:
            return  # not connected (yet, or any more)
        self._sending.active = True
        try:
            self.server.window_log_message(
                types.LogMessageParams(type=_message_type(record.levelno), message=self.format(record))
            )
        except Exception:
            pass
        finally:
            self._sending.active = False
