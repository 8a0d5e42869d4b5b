"""Incremental equals full: after any script of edits, the server's
diagnostics of the edited file equal a fresh CLI run on the final text.

Random edit scripts (insertions, deletions, pastes of real code, unbalanced
brackets, non-ASCII and surrogate pairs, CRLF) typed into a service of a
realistic backend, each script ending with the server's diagnostics compared
to `analyze` on a copy of the workspace holding the final text. Bounded for
CI; a nightly-sized run by hand:

    PERFAUDIT_PROPERTY_EXAMPLES=500 .venv/bin/python -m pytest tests/lsp/test_incremental_property.py -q
"""

from __future__ import annotations

import os
import shutil
import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from lsp_support import FIXTURES, uri
from raw_stdio import Live, initialize, notify

from perfaudit.server.analysis.text import LineIndex
from perfaudit.server.engine import analyze

EXAMPLES = int(os.environ.get("PERFAUDIT_PROPERTY_EXAMPLES", "6"))
TARGET = "src/services/user.service.ts"
CAPABILITIES = {"textDocument": {"publishDiagnostics": {"versionSupport": True}}}

PASTES = [
    "{", "}", "(", ")", "[", "]", "`", "'", '"', "/*", "*/", "//", ";", ",", ".", "\n", "\r\n", "\t",
    "é", "日本", "👍", "𝒳", "\u200b",
    "await prisma.user.findMany();\n",
    "for (const id of ids) {\n  await prisma.user.findUnique({ where: { id } });\n}\n",
    "const store = prisma;\n",
    "where: { email: q }",
    "select: { id: true }",
    "// perfaudit-ignore-next-line P101\n",
    "export async function extra(ids: string[]) {\n",
    "  return prisma.post.findMany({ take: 10 });\n",
    "if (x) { const db = prisma; } else { const db = prisma.user; }\n",
]

edit = st.one_of(
    st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(PASTES)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.text(max_size=6)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 40)),
)


def _position(text: str, offset: int) -> dict:
    """LSP position (UTF-16) of a character offset."""
    before = text[:offset]
    line_start = max(before.rfind("\n"), before.rfind("\r")) + 1
    line = before.count("\n") + before.count("\r") - before.count("\r\n")
    return {"line": line, "character": len(before[line_start:].encode("utf-16-le")) // 2}


def _apply(text: str, step) -> tuple[str, dict]:
    kind, where, what = step
    at = int(where * len(text))  # a code point index: never inside a surrogate pair
    if kind == "insert":
        start = end = at
        new = what
    else:
        start, end, new = at, min(len(text), at + what), ""
    change = {"range": {"start": _position(text, start), "end": _position(text, end)}, "text": new}
    return text[:start] + new + text[end:], change


def _key(code, start, end) -> tuple:
    return (code, start["line"], start["character"], end["line"], end["character"])


def _expected(workspace, text: str) -> list[tuple]:
    """A fresh full run, as the CLI does, on a copy holding `text`."""
    copy = workspace.parent / "cli-copy"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(workspace, copy)
    (copy / TARGET).write_bytes(text.encode("utf-8"))
    result = analyze(str(copy))
    if any(path == str(copy / TARGET) for path, _ in result.skipped):
        return [(None, 0, 0, 0, 0)]  # left out (binary...): the server says so in one note on the first line
    data = text.encode("utf-8")
    index = LineIndex(data)
    out = []
    for f in result.findings:
        if f.path == str(copy / TARGET):
            s, e = index.position(f.start), index.position(f.end)
            out.append(_key(f.code, {"line": s.line, "character": s.character}, {"line": e.line, "character": e.character}))
    return sorted(out)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workspace = tmp_path_factory.mktemp("property") / "backend"
    shutil.copytree(FIXTURES / "backend", workspace)
    live = Live()
    live.send(initialize(uri(workspace), capabilities=CAPABILITIES))
    live.answer(1)
    yield live, workspace
    live.close()


_opened = {"version": 0}


# No shrinking (each example costs seconds) and no example database in the repository.
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(script=st.lists(edit, min_size=1, max_size=8))
def test_any_edit_script_ends_where_a_fresh_cli_run_does(server, script):
    live, workspace = server
    doc = uri(workspace / TARGET)
    text = (workspace / TARGET).read_text(encoding="utf-8")
    # Each example opens the file afresh, with versions that keep growing.
    version = _opened["version"] = _opened["version"] + 1
    live.send(notify("textDocument/didOpen", {"textDocument": {
        "uri": doc, "languageId": "typescript", "version": version * 100, "text": text}}))
    for i, step in enumerate(script, start=1):
        text, change = _apply(text, step)
        live.send(notify("textDocument/didChange", {
            "textDocument": {"uri": doc, "version": version * 100 + i}, "contentChanges": [change]}))
    final = version * 100 + len(script)
    expected = _expected(workspace, text)

    def current():
        found = [m for _, m in live.received if m.get("method") == "textDocument/publishDiagnostics"
                 and m["params"]["uri"] == doc]
        if not found or found[-1]["params"].get("version") != final:
            return None
        return sorted(_key(d.get("code"), d["range"]["start"], d["range"]["end"]) for d in found[-1]["params"]["diagnostics"])

    deadline = time.monotonic() + 30
    while current() != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert current() == expected, f"final text:\n{text}"
    live.send(notify("textDocument/didClose", {"textDocument": {"uri": doc}}))
