"""Driving the real server like an editor does, for the end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from perfaudit.server.analysis.text import LineIndex

FIXTURES = Path(__file__).parent / "fixtures"
SERVER_ENV = {**os.environ, "PERFAUDIT_EXTRA_RULES": str(FIXTURES / "rules")}
CONFIG = ClientServerConfig(server_command=[sys.executable, "-m", "perfaudit.server.lsp"], server_env=SERVER_ENV)
PROFILES = ["visual-studio-code", "neovim"]
TIMEOUT = 10.0


def copy_backend(tmp_path: Path) -> Path:
    root = tmp_path / "backend"
    shutil.copytree(FIXTURES / "backend", root)
    return root


def uri(path: Path) -> str:
    return from_fs_path(str(path))


async def initialize(client, root: Path | None, profile: str = "visual-studio-code", options=None, capabilities=None):
    caps = capabilities or client_capabilities(profile)
    params = types.InitializeParams(
        capabilities=caps,
        root_uri=uri(root) if root else None,
        workspace_folders=[types.WorkspaceFolder(uri=uri(root), name=root.name)] if root else None,
        initialization_options=options,
    )
    return await client.initialize_session(params)


class Editor:
    """One open document, edited the way an editor sends it."""

    def __init__(self, client, path: Path, language: str = "typescript"):
        self.client = client
        self.path = path
        self.uri = uri(path)
        self.text = path.read_text(encoding="utf-8")
        self.version = 1
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=self.uri, language_id=language, version=1, text=self.text)))

    def replace(self, start: types.Position, end: types.Position, new_text: str, encoding: str = "utf-16") -> int:
        data = self.text.encode("utf-8")
        index = LineIndex(data)
        a = index.offset(start.line, start.character, encoding)
        b = index.offset(end.line, end.character, encoding)
        self.text = (data[:a] + new_text.encode("utf-8") + data[b:]).decode("utf-8")
        self.version += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start, end), text=new_text)],
        ))
        return self.version

    def insert_after(self, needle: str, new_text: str) -> int:
        """Insert `new_text` right after the first occurrence of `needle`."""
        offset = self.text.index(needle) + len(needle)
        pos = position_of(self.text, offset)
        return self.replace(pos, pos, new_text)

    def line_of(self, needle: str) -> int:
        for i, line in enumerate(self.text.splitlines()):
            if needle in line:
                return i
        raise AssertionError(f"{needle!r} not in {self.path.name}")

    def apply_text_edits(self, edits: list[types.TextEdit], encoding: str = "utf-16") -> int:
        """Apply edits of one WorkspaceEdit to this document and send them, as an editor does."""
        # Last first, so earlier positions stay valid.
        for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            self.replace(edit.range.start, edit.range.end, edit.new_text, encoding)
        return self.version


def position_of(text: str, char_offset: int) -> types.Position:
    before = text[:char_offset]
    line = before.count("\n")
    col_text = before[before.rfind("\n") + 1 :]
    return types.Position(line, len(col_text.encode("utf-16-le")) // 2)


def edits_for(edit: types.WorkspaceEdit, target_uri: str) -> list[types.TextEdit]:
    out = []
    for change in edit.document_changes or []:
        if change.text_document.uri == target_uri:
            out.extend(change.edits)
    for u, edits in (edit.changes or {}).items():
        if u == target_uri:
            out.extend(edits)
    return out


async def wait_for(predicate, timeout: float = TIMEOUT, what: str = "condition"):
    deadline = asyncio.get_event_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_event_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def pulls(client) -> bool:
    caps = client.capabilities
    return bool(caps and caps.text_document and caps.text_document.diagnostic is not None)


async def diagnostics(client, doc_uri: str, predicate=lambda ds: True, timeout: float = TIMEOUT):
    """The diagnostics of `doc_uri` matching `predicate`: pushed, or pulled
    (as Neovim 0.11 does) when the client's profile supports pulling."""
    if pulls(client):
        deadline = asyncio.get_event_loop().time() + timeout
        while True:
            report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=doc_uri)))
            if report.kind == "full" and predicate(report.items):
                return list(report.items)
            if asyncio.get_event_loop().time() > deadline:
                raise AssertionError(f"timed out pulling diagnostics of {doc_uri}")
            await asyncio.sleep(0.05)

    def ready():
        ds = client.diagnostics.get(doc_uri)
        return ds is not None and predicate(ds)

    await wait_for(ready, timeout, f"diagnostics of {doc_uri}")
    return list(client.diagnostics[doc_uri])


def codes(ds, *only: str) -> list[tuple[int, str]]:
    """(0-based line, code) of diagnostics, of the codes `only` when given:
    rules keep landing, and a test asserts only about the rules it is about."""
    return sorted((d.range.start.line, d.code) for d in ds if not only or d.code in only)


def has(*wanted: str):
    """A predicate: diagnostics include each of the `wanted` codes."""
    return lambda ds: set(wanted) <= {d.code for d in ds}


def lacks(*unwanted: str):
    return lambda ds: not set(unwanted) & {d.code for d in ds}


async def wait_scan_done(client, timeout: float = TIMEOUT):
    def done():
        return any(any(isinstance(v, types.WorkDoneProgressEnd) for v in values) for values in client.progress_reports.values())

    await wait_for(done, timeout, "the end of the workspace scan")
