"""Nothing blocks the editor: big documents are left out as the CLI leaves
them out, and long analysis runs off the request path and is cancelled by
the next edit. Over raw stdio; the latency figures come from
bench/bench_lsp_big_document.py, these tests assert the order of events."""

from lsp_support import copy_backend, uri
from raw_stdio import Live, initialize, notify, request

CAPABILITIES = {"textDocument": {"publishDiagnostics": {"versionSupport": True}}}


def service(methods: int) -> str:
    """A long but ordinary service file (about 330 bytes per method)."""
    out = ["import { prisma } from '../lib/prisma';", "", "export class CatalogService {"]
    for i in range(methods):
        out += [
            f"  async listPage{i}(ownerId: string, page = 1) {{",
            "    const take = 20;",
            "    const rows = await prisma.user.findMany({",
            "      where: { id: ownerId },",
            "      select: { id: true, email: true, name: true },",
            "      skip: (page - 1) * take,",
            "      take,",
            "    });",
            "    return rows.map((row) => ({ ...row, label: `${row.name ?? row.email}` }));",
            "  }",
        ]
    return "\n".join(out + ["}", ""])


def _open(path, text: str, version: int = 1) -> bytes:
    return notify("textDocument/didOpen", {"textDocument": {
        "uri": uri(path), "languageId": "typescript", "version": version, "text": text}})


def _published(path, version=None):
    return lambda m: (m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri(path)
                      and (version is None or m["params"].get("version") == version))


def _hover(msg_id, path) -> bytes:
    return request(msg_id, "textDocument/hover", {"textDocument": {"uri": uri(path)}, "position": {"line": 3, "character": 4}})


def _code_action(msg_id, path) -> bytes:
    return request(msg_id, "textDocument/codeAction", {
        "textDocument": {"uri": uri(path)},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 5, "character": 0}},
        "context": {"diagnostics": []}})


def _start(tmp_path):
    root = copy_backend(tmp_path)
    small = root / "src/services/user.service.ts"
    live = Live()
    live.send(initialize(uri(root), capabilities=CAPABILITIES) + _open(small, small.read_text()))
    live.wait(_published(small, 1))
    return root, small, live


def test_a_5_mb_document_is_said_once_and_never_blocks_the_others(tmp_path):
    root, small, live = _start(tmp_path)
    try:
        big = root / "src/services/catalog.service.ts"
        text = service(16000)
        assert len(text.encode()) > 5_000_000
        sent = live.send(_open(big, text) + _hover(10, small) + _code_action(11, small))
        hover_at, _ = live.answer(10)
        action_at, _ = live.answer(11)
        _, note = live.wait(_published(big, 1))
        [diagnostic] = note["params"]["diagnostics"]
        assert diagnostic["severity"] == 3 and diagnostic["range"]["start"] == {"line": 0, "character": 0}
        assert "not analysed: larger than 1 MB" in diagnostic["message"]
        # Typing in the big document keeps it a note, and the others answer.
        live.send(notify("textDocument/didChange", {
            "textDocument": {"uri": uri(big), "version": 2},
            "contentChanges": [{"range": {"start": {"line": 5, "character": 0}, "end": {"line": 5, "character": 0}},
                                "text": "    // ünïcode 👍\n"}]}) + _hover(12, small))
        live.answer(12)
        _, again = live.wait(_published(big, 2))
        assert again["params"]["diagnostics"] == note["params"]["diagnostics"]
        # Generous: a server that parsed and analysed 5 MB first would take many seconds.
        assert hover_at - sent < 2.0 and action_at - sent < 2.0
    finally:
        assert live.close() == 0


def test_long_analysis_yields_to_requests_and_is_cancelled_by_the_next_edit(tmp_path):
    root, small, live = _start(tmp_path)
    try:
        big = root / "src/services/catalog.service.ts"
        text = service(1200)  # ~400 KB: seconds of analysis
        live.send(_open(big, text))
        live.send(_hover(20, small) + _code_action(21, small))
        answered_at = max(live.answer(20)[0], live.answer(21)[0])
        # An edit while version 1 is analysed: version 1 is never published.
        live.send(notify("textDocument/didChange", {
            "textDocument": {"uri": uri(big), "version": 2},
            "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                                "text": "// edited\n"}]}))
        published_at, _ = live.wait(_published(big, 2), timeout=120)
        assert answered_at < published_at
        assert not [m for _, m in live.received if _published(big, 1)(m)]
    finally:
        assert live.close() == 0
