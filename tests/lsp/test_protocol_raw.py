"""The LSP lifecycle and framing rules, tested on the real process's stdio."""

import json

from lsp_support import copy_backend, uri
from raw_stdio import Live, frame, initialize, messages, notify, request, response, run

HOVER = {"textDocument": {"uri": "file:///nowhere/a.ts"}, "position": {"line": 0, "character": 0}}


def _error_code(message: dict) -> int | None:
    return message.get("error", {}).get("code")


def test_request_before_initialize_is_server_not_initialized():
    done = run(request(7, "textDocument/hover", HOVER) + initialize() + request(8, "shutdown") + notify("exit"))
    out = messages(done.stdout)
    assert _error_code(response(out, 7)) == -32002
    assert "capabilities" in response(out, 1)["result"]  # initialize still works afterwards
    assert done.returncode == 0


def test_second_initialize_is_an_error_and_the_first_session_goes_on():
    done = run(initialize() + initialize(msg_id=2) + request(3, "textDocument/hover", HOVER)
               + request(4, "shutdown") + notify("exit"))
    out = messages(done.stdout)
    assert "result" in response(out, 1)
    assert _error_code(response(out, 2)) == -32600
    assert response(out, 3) == {"jsonrpc": "2.0", "id": 3, "result": None}
    assert done.returncode == 0


def test_invalid_params_get_invalid_params():
    bad_position = {"textDocument": {"uri": "file:///a.ts"}, "position": {"line": "first"}}
    done = run(initialize() + request(2, "textDocument/hover", bad_position)
               + request(3, "textDocument/codeAction", {"textDocument": 5})
               + request(4, "textDocument/hover", HOVER) + request(5, "shutdown") + notify("exit"))
    out = messages(done.stdout)
    assert _error_code(response(out, 2)) == -32602
    assert _error_code(response(out, 3)) == -32602
    assert response(out, 4)["result"] is None  # and the server keeps answering
    assert done.returncode == 0


def test_requests_after_shutdown_are_invalid_requests():
    done = run(initialize() + request(2, "shutdown") + request(3, "textDocument/hover", HOVER)
               + request(4, "shutdown") + notify("exit"))
    out = messages(done.stdout)
    assert response(out, 2)["result"] is None
    assert _error_code(response(out, 3)) == -32600
    assert _error_code(response(out, 4)) == -32600
    assert done.returncode == 0


def test_exit_without_shutdown_exits_with_1():
    done = run(initialize() + notify("exit"), timeout=30)
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr


def test_exit_after_shutdown_exits_with_0():
    done = run(initialize() + request(2, "shutdown") + notify("exit"))
    assert done.returncode == 0
    assert done.stderr == b""


def test_invalid_json_is_a_parse_error_and_the_stream_goes_on():
    done = run(initialize() + frame(b'{"jsonrpc": "2.0", "id": 2, "method": ') + request(3, "textDocument/hover", HOVER)
               + request(4, "shutdown") + notify("exit"))
    out = messages(done.stdout)
    assert any(_error_code(m) == -32700 and m["id"] is None for m in out)
    assert response(out, 3)["result"] is None
    assert done.returncode == 0


def _logged(out: list[dict], words: str) -> bool:
    return any(m.get("method") == "window/logMessage" and words in m["params"]["message"] for m in out)


def test_content_length_too_small_resynchronises():
    hover = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": HOVER})
    done = run(initialize() + frame(hover, length=len(hover) - 10) + request(3, "textDocument/hover", HOVER)
               + request(4, "shutdown") + notify("exit"))
    out = messages(done.stdout)
    assert response(out, 3)["result"] is None
    assert _logged(out, "malformed message")
    assert done.returncode == 0


def test_content_length_too_large_resynchronises_and_keeps_the_message():
    hover = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": HOVER})
    done = run(initialize() + frame(hover, length=len(hover) + 40) + request(3, "textDocument/hover", HOVER)
               + request(4, "shutdown") + notify("exit"))
    out = messages(done.stdout)
    assert response(out, 2)["result"] is None  # the whole JSON object before the next header
    assert response(out, 3)["result"] is None
    assert done.returncode == 0


def test_content_length_too_large_on_the_last_message_is_answered_after_a_pause():
    hover = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": HOVER})
    live = Live()
    try:
        live.send(initialize())
        live.answer(1)
        live.send(frame(hover, length=len(hover) + 100))
        _, answer = live.answer(2, timeout=10)  # not left waiting for bytes that never come
        assert answer["result"] is None
    finally:
        assert live.close() == 0


def test_missing_or_invalid_content_length_resynchronises():
    body = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": HOVER})
    for header, problem in ((b"Content-Type: application/vscode-jsonrpc\r\n\r\n", "no Content-Length header"),
                            (b"Content-Length: twelve\r\n\r\n", "invalid Content-Length")):
        done = run(initialize() + frame(body, header=header) + b"garbage between messages\r\n"
                   + request(3, "textDocument/hover", HOVER) + request(4, "shutdown") + notify("exit"))
        out = messages(done.stdout)
        assert response(out, 3)["result"] is None
        assert not [m for m in out if m.get("id") == 2 and "method" not in m]  # dropped, not misread
        assert _logged(out, problem)
        assert done.returncode == 0


def test_header_names_are_case_insensitive_and_content_type_is_allowed():
    body = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": HOVER}).encode()
    header = b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: %d\r\n\r\n" % len(body)
    done = run(initialize() + header + body + request(4, "shutdown") + notify("exit"))
    out = messages(done.stdout)
    assert response(out, 2)["result"] is None
    assert not _logged(out, "malformed message")


def test_a_full_session_over_raw_stdio_still_publishes(tmp_path):
    root = copy_backend(tmp_path)
    path = root / "src/services/user.service.ts"
    opened = notify("textDocument/didOpen", {"textDocument": {
        "uri": uri(path), "languageId": "typescript", "version": 1, "text": path.read_text()}})
    live = Live()
    try:
        live.send(initialize(uri(root)) + opened)
        live.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                  and any(d["code"] == "P101" for d in m["params"]["diagnostics"]))
    finally:
        assert live.close() == 0
