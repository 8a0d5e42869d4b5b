"""Open `.env` files: the workspace rules read the editor's text."""

import shutil
from pathlib import Path

from lsp_support import Editor, diagnostics, has, initialize, lacks

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "backend"


async def test_an_open_env_file_gets_p108_and_its_fix_clears_it(client, tmp_path):
    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root)
    await initialize(client, root)
    env = Editor(client, root / ".env.example", language="dotenv")
    ds = await diagnostics(client, env.uri, has("P108"))
    assert [(d.range.start.line, d.code) for d in ds] == [(env.line_of("DATABASE_URL="), "P108")]
    assert "s3cr3t" not in ds[0].message  # the password is never shown
    # Typing the limit into the (unsaved) document clears it.
    env.insert_after("schema=public", "&connection_limit=10")
    await diagnostics(client, env.uri, lacks("P108"))
