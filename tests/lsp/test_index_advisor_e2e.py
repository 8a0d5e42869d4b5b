"""The P105 quick fix taken from a TypeScript query site edits only the schema,
and the diagnostic at the query disappears."""

from lsp_support import Editor, codes, copy_backend, diagnostics, edits_for, has, initialize, lacks
from lsprotocol import types


async def test_add_index_fix_from_query_site_clears_the_query(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    ts = Editor(client, root / "src/services/post.service.ts")
    ts_before = ts.text
    p105 = [d for d in await diagnostics(client, ts.uri, has("P105")) if d.code == "P105"]
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=ts.uri),
        range=p105[0].range,
        context=types.CodeActionContext(diagnostics=p105),
    )) or []
    (fix,) = [a for a in actions if a.title.startswith("Add @@index(")]
    schema = Editor(client, root / "prisma/schema.prisma", language="prisma")
    assert edits_for(fix.edit, ts.uri) == []  # no edit to the TypeScript file
    schema.apply_text_edits(edits_for(fix.edit, schema.uri))
    assert "@@index([" in schema.text
    ds = await diagnostics(client, ts.uri, lacks("P105"))
    assert codes(ds, "P105") == []
    assert ts.text == ts_before
