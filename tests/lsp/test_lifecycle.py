"""The process itself: shutdown/exit, a vanished client, `python -m` entry."""

import json
import subprocess
import sys

from lsp_support import SERVER_ENV, copy_backend, uri
from raw_stdio import Live


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _initialize(root) -> bytes:
    return _frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                   "params": {"processId": None, "rootUri": uri(root), "capabilities": {}}}) + \
        _frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}) + \
        _frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri(root / "src/services/user.service.ts"), "languageId": "typescript", "version": 1,
            "text": (root / "src/services/user.service.ts").read_text()}}})


def _messages(stdout: bytes) -> list[dict]:
    out, rest = [], stdout
    while rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        length = int(next(l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")).split(b":")[1])
        out.append(json.loads(rest[:length]))
        rest = rest[length:]
    return out


def _run(stdin: bytes) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfaudit.server.lsp"], input=stdin, capture_output=True,
                          env=SERVER_ENV, timeout=30)


def test_shutdown_then_exit_ends_cleanly(tmp_path):
    root = copy_backend(tmp_path)
    live = Live()
    live.send(_initialize(root))
    # Analysis runs off the request path: wait for it as an editor would.
    live.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
              and any(d["code"] == "P101" for d in m["params"]["diagnostics"]))
    live.send(_frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    _, answer = live.answer(2)
    assert answer == {"id": 2, "jsonrpc": "2.0", "result": None}
    live.send(_frame({"jsonrpc": "2.0", "method": "exit"}))
    assert live.proc.wait(timeout=20) == 0
    assert live.proc.stderr.read() == b""


def test_a_client_that_disconnects_leaves_no_traceback(tmp_path):
    root = copy_backend(tmp_path)
    done = _run(_initialize(root))  # stdin closes without shutdown
    assert b"Traceback" not in done.stderr
    assert done.stderr == b""


def test_serve_over_tcp_answers_initialize(tmp_path):
    """`perfaudit serve --tcp HOST:PORT` (for debugging) really listens."""
    import json
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "perfaudit", "serve", "--tcp", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"server did not listen: {proc.stderr.read().decode() if proc.poll() is not None else ''}")
                time.sleep(0.1)
        with conn:
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                               "params": {"processId": None, "rootUri": None, "capabilities": {}}})
            conn.sendall(f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
            data = b""
            while b"capabilities" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        assert b'"id":1' in data.replace(b" ", b"") and b"capabilities" in data
    finally:
        proc.kill()
        proc.wait(timeout=5)
