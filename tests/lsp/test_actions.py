"""Code actions and hover, applied the way an editor applies them."""

import pytest
from lsp_support import PROFILES, Editor, copy_backend, diagnostics, edits_for, has, initialize, lacks, wait_scan_done
from lsprotocol import types


async def _actions(client, doc, diags, only=None):
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri),
        range=diags[0].range if diags else types.Range(types.Position(0, 0), types.Position(0, 0)),
        context=types.CodeActionContext(diagnostics=diags, only=only),
    )) or []


@pytest.mark.parametrize("profile", PROFILES)
async def test_quick_fix_removes_the_diagnostic(client, tmp_path, profile):
    root = copy_backend(tmp_path)
    await initialize(client, root, profile)
    doc = Editor(client, root / "src/services/user.service.ts")
    p101 = [d for d in await diagnostics(client, doc.uri, has("P101")) if d.code == "P101"]
    actions = await _actions(client, doc, p101)
    (fix,) = [a for a in actions if a.title.startswith("Add select")]
    assert fix.kind == types.CodeActionKind.QuickFix
    assert "unsafe" in fix.title and not fix.is_preferred  # unsafe fixes are never preferred
    doc.apply_text_edits(edits_for(fix.edit, doc.uri), _negotiated(client))
    assert "select:" in doc.text
    await diagnostics(client, doc.uri, lacks("P101"))


def _negotiated(client) -> str:
    caps = client.capabilities
    offered = (caps.general.position_encodings or []) if caps and caps.general else []
    return str(offered[0]) if offered else "utf-16"


async def test_suppression_action_inserts_the_comment(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    doc = Editor(client, root / "src/services/user.service.ts")
    p101 = [d for d in await diagnostics(client, doc.uri, has("P101")) if d.code == "P101"]
    (action,) = [a for a in await _actions(client, doc, p101) if a.title == "Suppress P101 on this line"]
    doc.apply_text_edits(edits_for(action.edit, doc.uri))
    lines = doc.text.splitlines()
    at = doc.line_of("prisma.user.findMany")
    assert lines[at - 1] == "    // perfaudit-ignore-next-line P101"
    await diagnostics(client, doc.uri, lacks("P101"))


async def test_fix_all_applies_the_safe_fixes_of_the_file(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    schema = Editor(client, root / "prisma/schema.prisma", language="prisma")
    # The index fixes for the queries' filters and sorts need every source
    # file; on a loaded machine the scan can still be running here.
    await wait_scan_done(client)
    await diagnostics(client, schema.uri, has("P106"))
    actions = await _actions(client, schema, [], only=["source.fixAll"])
    (fix_all,) = actions
    assert fix_all.kind == "source.fixAll.perfaudit"
    (change,) = fix_all.edit.document_changes  # VS Code takes versioned edits
    assert change.text_document.version == schema.version
    schema.apply_text_edits(change.edits)
    assert "@@index([authorId])" in schema.text
    await diagnostics(client, schema.uri, lacks("P106"))
    # Fixes that touch the same spot wait for the next pass (as `--fix` does);
    # repeating converges, and then there is nothing left to offer.
    for _ in range(3):
        version = schema.version
        await diagnostics(client, schema.uri, lambda ds: True)
        actions = await _actions(client, schema, [], only=["source.fixAll.perfaudit"])
        if not actions:
            break
        schema.apply_text_edits(edits_for(actions[0].edit, schema.uri))
        assert schema.version > version
    assert await _actions(client, schema, [], only=["source.fixAll.perfaudit"]) == []


async def test_quick_fix_of_a_schema_finding_is_a_versioned_workspace_edit(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    schema = Editor(client, root / "prisma/schema.prisma", language="prisma")
    p106 = [d for d in await diagnostics(client, schema.uri, has("P106")) if d.code == "P106"]
    actions = await _actions(client, schema, p106)
    (fix,) = [a for a in actions if a.title.startswith("Add @@index")]
    assert fix.is_preferred  # safe and the only fix
    (change,) = fix.edit.document_changes
    assert change.text_document.uri == schema.uri and change.text_document.version == schema.version


async def test_hover_shows_the_rule_docs(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    doc = Editor(client, root / "src/services/user.service.ts")
    (p101,) = [d for d in await diagnostics(client, doc.uri, has("P101")) if d.code == "P101"]
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri), position=p101.range.start))
    text = hover.contents.value
    for section in ("### What it does", "### Why is this bad?", "### Example", "### Fix safety"):
        assert section in text
    assert "**P101** `prisma-no-select`" in text and "`perfaudit rule P101`" in text and "://" not in text
    assert hover.range == p101.range


async def test_requests_for_unknown_documents_are_answered_empty(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    ghost = types.TextDocumentIdentifier(uri=(root / "src/ghost.ts").as_uri())
    assert await client.text_document_hover_async(types.HoverParams(text_document=ghost, position=types.Position(0, 0))) is None
    assert not await client.text_document_code_action_async(types.CodeActionParams(
        text_document=ghost, range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        context=types.CodeActionContext(diagnostics=[])))
    report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=ghost))
    assert report.kind == "full" and list(report.items) == []
    # A change or close for a document never opened is ignored, not a crash.
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=ghost.uri, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="x")]))
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=ghost))
    doc = Editor(client, root / "src/services/user.service.ts")
    await diagnostics(client, doc.uri, has("P101"))


async def test_apply_fixes_command_goes_through_workspace_apply_edit(client, tmp_path):
    """What an editor's "Fix all" command does: the server sends workspace/applyEdit."""
    root = copy_backend(tmp_path)
    await initialize(client, root)
    schema = Editor(client, root / "prisma/schema.prisma", language="prisma")
    await diagnostics(client, schema.uri, has("P106"))
    received = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply_edit(params: types.ApplyWorkspaceEditParams):
        received.append(params)
        # Apply it as the editor would, then report success.
        (change,) = params.edit.document_changes
        schema.apply_text_edits(change.edits)
        return types.ApplyWorkspaceEditResult(applied=True)

    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="perfaudit.applyFixes", arguments=[schema.uri]))
    assert result["applied"] is True
    assert len(received) == 1 and received[0].label == "perfaudit: fix all"
    assert "@@index([authorId])" in schema.text
    await diagnostics(client, schema.uri, lacks("P106"))
