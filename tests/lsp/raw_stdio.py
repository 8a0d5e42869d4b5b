"""Talking to the server process byte by byte, for the protocol tests."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

from lsp_support import SERVER_ENV

SERVER = [sys.executable, "-m", "perfaudit.server.lsp"]


def frame(message: dict | str | bytes, length: int | None = None, header: bytes | None = None) -> bytes:
    """One message as the client sends it; `length` or `header` to corrupt it."""
    body = message if isinstance(message, bytes) else (message if isinstance(message, str) else json.dumps(message)).encode("utf-8")
    if header is None:
        header = b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length)
    return header + body


def request(msg_id, method: str, params=None) -> bytes:
    message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        message["params"] = params
    return frame(message)


def notify(method: str, params=None) -> bytes:
    message = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return frame(message)


def initialize(root_uri: str | None = None, msg_id=1, capabilities=None) -> bytes:
    return request(msg_id, "initialize", {"processId": None, "rootUri": root_uri, "capabilities": capabilities or {}}) + \
        notify("initialized", {})


def messages(stdout: bytes) -> list[dict]:
    out, rest = [], stdout
    while rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        length = int(next(l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")).split(b":")[1])
        out.append(json.loads(rest[:length]))
        rest = rest[length:]
    return out


def run(stdin: bytes, timeout: float = 60) -> subprocess.CompletedProcess:
    """The whole conversation at once, then end of input."""
    return subprocess.run(SERVER, input=stdin, capture_output=True, env=SERVER_ENV, timeout=timeout)


def response(all_messages: list[dict], msg_id) -> dict:
    found = [m for m in all_messages if m.get("id") == msg_id and "method" not in m]
    assert len(found) == 1, f"expected one response to {msg_id!r}, got {found}"
    return found[0]


class Live:
    """A running server: send frames, wait for given responses, time them."""

    def __init__(self, cwd: str | None = None):
        self.proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=SERVER_ENV, cwd=cwd)
        self.received: list[tuple[float, dict]] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length"):
                    length = int(line.split(b":")[1])
            body = out.read(length)
            with self.cond:
                self.received.append((time.monotonic(), json.loads(body)))
                self.cond.notify_all()

    def send(self, data: bytes) -> float:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()
        return time.monotonic()

    def wait(self, predicate, timeout: float = 30) -> tuple[float, dict]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for at, message in self.received:
                    if predicate(message):
                        return at, message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for a message from the server")
                self.cond.wait(left)

    def answer(self, msg_id, timeout: float = 30) -> tuple[float, dict]:
        return self.wait(lambda m: m.get("id") == msg_id and "method" not in m, timeout)

    def close(self) -> int:
        try:
            self.send(request("bye", "shutdown") + notify("exit"))
        except (BrokenPipeError, OSError):
            pass
        try:
            return self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
