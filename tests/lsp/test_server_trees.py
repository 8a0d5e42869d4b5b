"""The server keeps few trees of closed files: a check of an open route
file parses the services its routes call to read them, and kept, those
trees added up over a session to one of every file any check read."""

import shutil
from pathlib import Path

import pytest
from lsp_support import uri
from test_settle import RecordingClient

from perfaudit.server.lsp import session as session_module
from perfaudit.server.lsp.session import Session


async def _closed_files_with_trees(tmp_path) -> tuple[int, bool]:
    backend = tmp_path / "backend"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "backend", backend)
    session = Session(RecordingClient())
    root = session.add_root(str(backend))
    root.ws.load()  # every file, as the background scan would
    opened = []
    for name in ("book.routes.ts", "user.routes.ts", "stats.routes.ts", "readList.routes.ts"):
        path = backend / "src" / "routes" / name
        session.open(uri(path), 1, path.read_text())
        await session.settle(uri(path))
        opened.append(str(path))
    closed = sum(s.tree is not None for p, s in root.ws.files.items() if p not in opened)
    return closed, all(root.ws.files[p].tree is not None for p in opened)


@pytest.mark.parametrize("kept", [1, 3])
async def test_after_each_job_only_the_last_trees_read_stay_and_open_documents_keep_theirs(tmp_path, monkeypatch, kept):
    monkeypatch.setattr(session_module, "TREES_READ_KEPT", kept)
    closed, open_kept = await _closed_files_with_trees(tmp_path)
    assert closed <= kept and open_kept


async def test_the_route_checks_do_parse_closed_files(tmp_path, monkeypatch):
    """What the test above bounds: without the release, more trees stay."""
    monkeypatch.setattr(session_module, "TREES_READ_KEPT", 10_000)
    closed, _ = await _closed_files_with_trees(tmp_path)
    assert closed > 3
