"""In a schema file: hover shows how the code queries a model, a lens counts its sites."""

import asyncio
import shutil
from pathlib import Path

from lsprotocol import types

from lsp_support import Editor, initialize, wait_scan_done

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "backend"


async def test_schema_hover_and_lens(client, tmp_path):
    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root)
    await initialize(client, root)
    schema = Editor(client, root / "prisma" / "schema.prisma", language="prisma")
    await wait_scan_done(client)
    line = schema.line_of("model AuditLog")
    lens_titles = []
    for _ in range(50):
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(schema.uri))) or []
        lens_titles = {lens.range.start.line: lens.command.title for lens in lenses}
        if line in lens_titles:
            break
        await asyncio.sleep(0.1)
    assert lens_titles.get(line) == "2 query sites, 1 unindexed filter"  # a create and the findMany

    field_line = schema.line_of("  actorId ")
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(schema.uri), types.Position(field_line, 4)))
    assert hover is not None
    assert "report.service.ts" in hover.contents.value
