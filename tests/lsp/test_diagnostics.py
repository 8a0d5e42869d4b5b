"""Diagnostics from a real server process: on open, after one change, across files."""

import pytest
from lsp_support import PROFILES, Editor, codes, copy_backend, diagnostics, has, initialize, lacks, wait_scan_done
from lsprotocol import types

from perfaudit.server.registry import all_rules


@pytest.mark.parametrize("profile", PROFILES)
async def test_diagnostics_appear_on_open(client, tmp_path, profile):
    root = copy_backend(tmp_path)
    await initialize(client, root, profile)
    doc = Editor(client, root / "src/services/user.service.ts")
    ds = await diagnostics(client, doc.uri, has("P101"))
    assert codes(ds, "P101") == [(doc.line_of("prisma.user.findMany"), "P101")]
    (d,) = [d for d in ds if d.code == "P101"]
    assert d.source == "perfaudit"
    assert d.severity == types.DiagnosticSeverity.Warning
    assert d.code_description is None  # no web page to link to
    assert d.data["fixes"] and d.data["fixes"][0]["applicability"] == "unsafe"
    line = doc.text.splitlines()[d.range.start.line]
    assert line[d.range.start.character:].startswith("prisma.user.findMany")


async def test_typing_a_query_without_select_reports_p101_after_that_change(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    doc = Editor(client, root / "src/services/post.service.ts")
    assert codes(await diagnostics(client, doc.uri), "P101") == []
    doc.insert_after(
        "  });\n}\n",
        "\nexport async function draftTitles(authorId: string) {\n"
        "  const drafts = await prisma.post.findMany({ where: { authorId, published: false }, take: 10 });\n"
        "  return drafts.map((d) => d.title);\n}\n",
    )
    ds = await diagnostics(client, doc.uri, has("P101"))
    assert codes(ds, "P101") == [(doc.line_of("published: false"), "P101")]


async def test_stale_versions_are_dropped(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    doc = Editor(client, root / "src/services/user.service.ts")
    await diagnostics(client, doc.uri, has("P101"))
    # A late change with an old version must not corrupt the text.
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=doc.uri, version=1),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(0, 0), types.Position(0, 0)), text="garbage garbage\n")],
    ))
    # The next real edit (deleting the query's line) lands where the editor thinks it does.
    line = doc.line_of("prisma.user.findMany")
    doc.replace(types.Position(line, 0), types.Position(line + 1, 0), "")
    ds = await diagnostics(client, doc.uri, lacks("P101"))
    assert codes(ds, "P101") == []
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri), position=types.Position(0, 0)))
    assert hover is None


async def test_schema_edit_rechecks_open_typescript_files(client, tmp_path):
    root = copy_backend(tmp_path)
    (root / "src/services/audit.service.ts").write_text(
        "import { prisma } from '../lib/prisma';\n\n"
        "export async function latestActions() {\n"
        "  const logs = await prisma.auditLog.findMany({ take: 20 });\n"
        "  return logs.map((l) => l.action);\n"
        "}\n",
        encoding="utf-8",
    )
    await initialize(client, root)
    ts = Editor(client, root / "src/services/audit.service.ts")
    assert codes(await diagnostics(client, ts.uri), "P101") == []  # no such model: not a query
    schema = Editor(client, root / "prisma/schema.prisma", language="prisma")
    await diagnostics(client, schema.uri)
    schema.insert_after(
        "  createdAt DateTime @default(now())\n}\n",
        "\nmodel AuditLog {\n  id        String   @id @default(cuid())\n  action    String\n"
        "  actorId   String\n  createdAt DateTime @default(now())\n}\n",
    )
    ds = await diagnostics(client, ts.uri, has("P101"))
    assert codes(ds, "P101") == [(ts.line_of("auditLog.findMany"), "P101")]


@pytest.mark.skipif("P105" not in all_rules(), reason="P105 prisma-missing-index is not registered yet")
async def test_adding_an_index_in_the_schema_clears_p105(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    schema = Editor(client, root / "prisma/schema.prisma", language="prisma")
    ds = await diagnostics(client, schema.uri, has("P105"))
    post_created_at = schema.line_of("  createdAt DateTime @default(now())")  # Post's (User's has two spaces)
    assert codes(ds, "P105") == [(post_created_at, "P105")]
    schema.insert_after("  createdAt DateTime @default(now())\n", "\n  @@index([createdAt])\n")
    ds = await diagnostics(client, schema.uri, lacks("P105"))
    assert codes(ds, "P105") == []


async def test_schema_changed_on_disk_rechecks_open_files(client, tmp_path):
    root = copy_backend(tmp_path)
    (root / "src/services/audit.service.ts").write_text(
        "import { prisma } from '../lib/prisma';\n\n"
        "export const latestActions = async () => (await prisma.auditLog.findMany({ take: 20 })).map((l) => l.action);\n",
        encoding="utf-8",
    )
    await initialize(client, root)
    await wait_scan_done(client)
    assert [r.method for r in client.registrations] == ["workspace/didChangeWatchedFiles"]
    ts = Editor(client, root / "src/services/audit.service.ts")
    assert codes(await diagnostics(client, ts.uri), "P101") == []
    schema_path = root / "prisma/schema.prisma"
    schema_path.write_text(schema_path.read_text() + "\nmodel AuditLog {\n  id String @id\n  action String\n  actorId String\n  at DateTime\n}\n")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=ts.uri.replace("src/services/audit.service.ts", "prisma/schema.prisma"),
                                 type=types.FileChangeType.Changed)]))
    ds = await diagnostics(client, ts.uri, has("P101"))
    assert codes(ds, "P101") == [(2, "P101")]


async def test_edits_above_a_schema_finding_move_it_with_the_text(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    schema = Editor(client, root / "prisma/schema.prisma", language="prisma")
    ds = await diagnostics(client, schema.uri, has("P106"))
    assert codes(ds, "P106") == [(schema.line_of("authorId  String"), "P106")]
    schema.insert_after("generator client {\n  provider = \"prisma-client-js\"\n}\n", "\n// audit tables below\n")
    moved = schema.line_of("authorId  String")
    ds = await diagnostics(client, schema.uri, lambda ds: codes(ds, "P106") == [(moved, "P106")])
    assert codes(ds, "P106") == [(moved, "P106")]


async def test_document_outside_the_workspace_gets_local_rules(client, tmp_path):
    root = copy_backend(tmp_path)
    outside = tmp_path / "scratch" / "query.ts"
    outside.parent.mkdir()
    outside.write_text("// perfaudit-ignore-next-line P9999\nexport const q = (db: any) => db.user.findMany({ take: 1 });\n", encoding="utf-8")
    await initialize(client, root)
    doc = Editor(client, outside)
    # Its own file's rules run (X001 on the unknown code); no schema out there, so no P101.
    ds = await diagnostics(client, doc.uri, has("X001"))
    assert codes(ds) == [(0, "X001")]
    inside = Editor(client, root / "src/services/user.service.ts")
    assert codes(await diagnostics(client, inside.uri, has("P101")), "P101") == [(4, "P101")]


async def test_a_raising_rule_does_not_stop_the_others(client, tmp_path):
    root = copy_backend(tmp_path)
    path = root / "src/services/user.service.ts"
    path.write_text("// RAISE_IN_RULE\n" + path.read_text(), encoding="utf-8")
    await initialize(client, root)
    doc = Editor(client, path)
    ds = await diagnostics(client, doc.uri, has("P101"))
    assert codes(ds, "P101") == [(doc.line_of("prisma.user.findMany"), "P101")]
    logged = [m.message for m in client.log_messages if "T999" in m.message]
    assert logged and "boom from the test rule" in logged[0]


async def test_pull_diagnostics_answer_unchanged_when_nothing_changed(client, tmp_path):
    root = copy_backend(tmp_path)
    from pytest_lsp import client_capabilities

    caps = client_capabilities("visual-studio-code")
    caps.text_document.diagnostic = types.DiagnosticClientCapabilities(dynamic_registration=False)
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    await initialize(client, root, capabilities=caps)
    doc = Editor(client, root / "src/services/user.service.ts")
    await wait_scan_done(client)
    first = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri)))
    assert first.kind == "full" and codes(first.items, "P101") == [(4, "P101")]
    again = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri), previous_result_id=first.result_id))
    assert again.kind == "unchanged" and again.result_id == first.result_id
    report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
    by_uri = {item.uri: item for item in report.items}
    schema_uri = doc.uri.replace("src/services/user.service.ts", "prisma/schema.prisma")
    assert codes(by_uri[schema_uri].items, "P106") == [(22, "P106")]
    assert codes(by_uri[doc.uri].items, "P101") == [(4, "P101")]
    assert client.diagnostics == {}  # a pulling client gets no pushes: no duplicates


async def test_workspace_scan_reports_progress(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    await wait_scan_done(client)
    (values,) = client.progress_reports.values()
    assert isinstance(values[0], types.WorkDoneProgressBegin) and values[0].cancellable
    assert isinstance(values[-1], types.WorkDoneProgressEnd)


async def test_a_client_that_pulls_without_refresh_gets_pushes(client, tmp_path):
    """Neovim 0.11 pulls but cannot be told to pull again: later findings
    (after the scan, or from another file) reach it only by push."""
    root = copy_backend(tmp_path)
    from pytest_lsp import client_capabilities

    caps = client_capabilities("neovim")
    caps.text_document.diagnostic = types.DiagnosticClientCapabilities(dynamic_registration=False)
    if caps.workspace is not None:
        caps.workspace.diagnostics = None
    await initialize(client, root, capabilities=caps)
    doc = Editor(client, root / "src/services/user.service.ts")
    ds = await diagnostics(client, doc.uri, has("P101"))
    assert doc.uri in client.diagnostics and codes(ds, "P101") == [(4, "P101")]
