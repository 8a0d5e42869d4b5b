"""P105 is one finding at the schema field: its quick fix edits only the
schema, and hovering the query site in TypeScript explains it."""

from lsp_support import Editor, codes, copy_backend, diagnostics, edits_for, has, initialize, lacks
from lsprotocol import types


async def test_add_index_fix_at_the_schema_field_and_hover_at_the_query(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root)
    ts = Editor(client, root / "src/services/post.service.ts")
    ts_before = ts.text
    assert codes(await diagnostics(client, ts.uri), "P105") == []  # no second finding at the query
    schema = Editor(client, root / "prisma/schema.prisma", language="prisma")
    p105 = [d for d in await diagnostics(client, schema.uri, has("P105")) if d.code == "P105"]
    assert p105 and all(d.related_information for d in p105)
    assert any(r.location.uri == ts.uri for d in p105 for r in d.related_information)

    line = ts.line_of("orderBy: { createdAt")
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=ts.uri),
        position=types.Position(line=line, character=ts.text.splitlines()[line].index("orderBy") + 2),
    ))
    assert hover is not None and "**P105**" in hover.contents.value and "reported at `prisma/schema.prisma:" in hover.contents.value

    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=schema.uri),
        range=p105[0].range,
        context=types.CodeActionContext(diagnostics=p105[:1]),
    )) or []
    (fix,) = [a for a in actions if a.title.startswith("Add @@index(")]
    assert edits_for(fix.edit, ts.uri) == []  # no edit to the TypeScript file
    schema.apply_text_edits(edits_for(fix.edit, schema.uri))
    assert "@@index([" in schema.text
    await diagnostics(client, schema.uri, lacks("P105"))
    assert ts.text == ts_before


async def test_p106_follows_the_code_that_relies_on_the_foreign_key(client, tmp_path):
    """`Post.authorId` has no index. The author page loads posts through it,
    so P106 reports it; the page's edit that stops loading them clears the
    finding, and putting the relation back (as an `include`) brings it back."""
    root = copy_backend(tmp_path)
    await initialize(client, root)
    ts = Editor(client, root / "src/services/post.service.ts")
    schema = Editor(client, root / "prisma/schema.prisma", language="prisma")
    (p106,) = [d for d in await diagnostics(client, schema.uri, has("P106")) if d.code == "P106"]
    assert "loading `Post` rows through it" in p106.message
    line = ts.line_of("posts: { select: { id: true, title: true }, take: 10 }")
    text = ts.text.splitlines()[line]
    ts.replace(types.Position(line, 0), types.Position(line, len(text)), "    select: { id: true, name: true },")
    await diagnostics(client, schema.uri, lacks("P106"))
    ts.replace(types.Position(line, 0), types.Position(line, len("    select: { id: true, name: true },")),
               "    include: { posts: { take: 10 } },")
    await diagnostics(client, schema.uri, has("P106"))
