"""The example backend through the server: the editor sees what the CLI sees."""

import shutil
from pathlib import Path

import pytest
from lsp_support import Editor, codes, diagnostics, initialize, wait_scan_done

from perfaudit.server.engine import analyze
from perfaudit.server.analysis.text import LineIndex

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "backend"


@pytest.mark.skipif(not (EXAMPLE / "src").is_dir(), reason="examples/backend is not there")
@pytest.mark.parametrize("rel", ["src/services/book.service.ts", "prisma/schema.prisma"])
async def test_open_files_get_the_same_findings_as_the_cli(client, tmp_path, rel):
    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("node_modules"))
    result = analyze(str(root))
    path = root / rel
    index = LineIndex(path.read_bytes())
    expected = sorted((index.line_of(f.start), f.code) for f in result.findings if Path(f.path) == path)
    assert expected, "the example has findings in this file"
    await initialize(client, root)
    doc = Editor(client, path, language="prisma" if rel.endswith(".prisma") else "typescript")
    await wait_scan_done(client, timeout=30)
    ds = await diagnostics(client, doc.uri, lambda ds: codes(ds) == expected)
    assert codes(ds) == expected
    assert all(d.source == "perfaudit" and d.code_description is None for d in ds)
