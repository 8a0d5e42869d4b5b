"""The protocol's rules about message order, and the stdio read loop.

pygls 2 leaves some of the LSP's lifecycle rules to the server (checked in
pygls/protocol/json_rpc.py and language_server.py): a request before
`initialize` is served, a second `initialize` re-initialises, a request after
`shutdown` gets no answer at all, params that do not fit the method's type
are logged and the request is never answered, and `exit` swallows its own
exit code. `LifecycleProtocol` and `serve_stdio` answer each case as the
spec says.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.protocol.json_rpc import RPCRequest

from perfaudit.server.lsp.framing import Framer

log = logging.getLogger("perfaudit.lsp")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
SERVER_NOT_INITIALIZED = -32002
# With no bytes for this long, a body shorter than its header said is taken.
STALL_SECONDS = 1.0


class LifecycleProtocol(LanguageServerProtocol):
    """pygls' protocol, with the order of messages enforced."""

    def __init__(self, server, converter):
        super().__init__(server, converter)
        self.initialize_received = False
        self.exit_code: int | None = None  # set by `exit`: the loop then ends

    def handle_message(self, message) -> None:
        method = getattr(message, "method", None)
        if method == types.EXIT:
            self.exit_code = 0 if self._shutdown else 1
            return
        if isinstance(message, RPCRequest):
            problem = self._out_of_order(method)
            if problem is not None:
                self.send_error(message.id, *problem)
                return
            if method == types.INITIALIZE:
                self.initialize_received = True
        elif method is not None and (not self.initialize_received or self._shutdown):
            return  # notifications before initialize or after shutdown are dropped
        super().handle_message(message)

    # The session keeps the open documents (lsp/documents.py). pygls would
    # keep a copy of each too, edited at every keystroke (2 ms on a
    # 2,600-line file) and never read: its handlers only pass the
    # notifications on.
    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        yield from self._pass_on(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        yield from self._pass_on(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        yield from self._pass_on(types.TEXT_DOCUMENT_DID_CLOSE, params)

    def _pass_on(self, method: str, params):
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    def _out_of_order(self, method: str) -> tuple[int, str] | None:
        if self._shutdown:
            return INVALID_REQUEST, f"{method}: the server is shutting down"
        if method == types.INITIALIZE and self.initialize_received:
            return INVALID_REQUEST, "initialize may be sent only once"
        if method != types.INITIALIZE and not self.initialize_received:
            return SERVER_NOT_INITIALIZED, f"{method}: the server is not initialized yet"
        return None

    def send_error(self, msg_id, code: int, message: str) -> None:
        self._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})

    def receive(self, body: bytes) -> None:
        """One message body from the wire: decoded, checked, handled."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            self.send_error(None, PARSE_ERROR, f"invalid JSON: {exc}")
            return
        msg_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(msg_id, (int, str)) or isinstance(msg_id, bool):
            msg_id = None
        if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
            self.send_error(msg_id, INVALID_REQUEST, "not a JSON-RPC 2.0 message")
            return
        is_request = "method" in data and "id" in data
        if is_request and msg_id is None:
            self.send_error(None, INVALID_REQUEST, "a request id must be a number or a string")
            return
        try:
            message = self.structure_message(data)
        except JsonRpcInvalidParams:
            if is_request:
                self.send_error(msg_id, INVALID_PARAMS, f"invalid params for {data.get('method')}")
            return
        except Exception:
            if is_request:
                self.send_error(msg_id, INVALID_REQUEST, f"malformed {data.get('method')} request")
            return
        self.handle_message(message)


def _pump(fd: int, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    """Read stdin in a thread of its own: the loop never blocks on input,
    and a thread stuck in `read` does not hold up the exit."""
    while True:
        try:
            data = os.read(fd, 1 << 16)
        except OSError:
            data = b""
        loop.call_soon_threadsafe(queue.put_nowait, data)
        if not data:
            return


async def serve(protocol: LifecycleProtocol, fd: int) -> int:
    """Serve messages from `fd` until `exit` or end of input; the exit code."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    threading.Thread(target=_pump, args=(fd, loop, queue), daemon=True, name="perfaudit-stdin").start()
    framer = Framer()
    ended = False
    while protocol.exit_code is None and not ended:
        try:
            chunk = await asyncio.wait_for(queue.get(), STALL_SECONDS)
            frames = framer.feed(chunk) if chunk else framer.stalled()
            ended = not chunk
        except asyncio.TimeoutError:
            frames = framer.stalled()
        for frame in frames:
            if frame.problem:
                log.error("malformed message on stdin (%s): skipped to the next header", frame.problem)
            if frame.body is not None:
                try:
                    protocol.receive(frame.body)
                except Exception:  # pragma: no cover - a handler bug must not end the loop
                    log.exception("could not handle a message")
            if protocol.exit_code is not None:
                break
    if protocol.exit_code is not None:
        return protocol.exit_code
    # The client went away: a clean end only after `shutdown`.
    return 0 if protocol._shutdown else 1
