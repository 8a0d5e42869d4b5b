"""Workspace rules re-run when anything they read changes, not only when a
file's facts change: P105 reads each query's argument keys from the text,
and an edit that keeps every fact (same offsets, same calls) still counts."""

import time

from lsp_support import copy_backend, uri
from raw_stdio import Live, initialize, notify

CAPABILITIES = {"textDocument": {"publishDiagnostics": {"versionSupport": True}}}


def _p105(path, words: str):
    """A publish for `path` with a P105 whose message has `words`."""
    def match(m):
        return (m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri(path)
                and any(d.get("code") == "P105" and words in d["message"] for d in m["params"]["diagnostics"]))
    return match


def _published(path, version):
    def match(m):
        return (m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri(path)
                and m["params"].get("version") == version)
    return match


def _edit(text: str, old: str, new: str) -> tuple[str, dict]:
    start = text.index(old)
    line = text[:start].count("\n")
    col = start - (text.rfind("\n", 0, start) + 1)
    change = {"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + len(old)}},
              "text": new}
    return text[:start] + new + text[start + len(old):], change


SEARCH = """\
import { prisma } from '../lib/prisma';

export async function postsTitled(title: string) {
  return prisma.post.findMany({
    where: { title: title },
    select: { id: true, title: true },
    take: 20,
  });
}
"""


def _session(tmp_path, replace_with: str, words: str):
    """P105 is one finding at the schema field, the query site its related
    information: edit the where key in TypeScript and read the schema's."""
    root = copy_backend(tmp_path)
    path = root / "src/services/search.service.ts"
    schema = root / "prisma/schema.prisma"
    path.write_text(SEARCH)
    text = SEARCH
    live = Live()
    try:
        live.send(initialize(uri(root), capabilities=CAPABILITIES) + notify("textDocument/didOpen", {"textDocument": {
            "uri": uri(path), "languageId": "typescript", "version": 1, "text": text}})
            + notify("textDocument/didOpen", {"textDocument": {
                "uri": uri(schema), "languageId": "prisma", "version": 1, "text": schema.read_text()}}))
        live.wait(_p105(schema, "@@index([title])"))
        time.sleep(1.0)  # let the re-checks that follow the scan end first
        _, change = _edit(text, "title: title", replace_with)
        live.send(notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": 2},
                                                    "contentChanges": [change]}))
        live.wait(_published(path, 2), timeout=15)
        _, published = live.wait(_p105(schema, words), timeout=15)
        time.sleep(1.0)
        with live.cond:
            last = [m for _, m in live.received if m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"]["uri"] == uri(schema)][-1]
        [finding] = [d for d in last["params"]["diagnostics"] if d["code"] == "P105" and words in d["message"]]
        return finding
    finally:
        assert live.close() == 0


def _site_line(finding) -> int:
    [site] = finding["relatedInformation"]
    return site["location"]["range"]["start"]["line"]


def test_retyping_a_where_key_identically_keeps_p105(tmp_path):
    finding = _session(tmp_path, "title: title", "@@index([title])")
    assert _site_line(finding) == 4


def test_renaming_a_where_key_in_place_updates_p105(tmp_path):
    # Same length: every fact (offsets included) stays as it was.
    finding = _session(tmp_path, "body: title ", "@@index([body])")
    assert _site_line(finding) == 4
