"""Workspace faults while the server runs: a file that becomes binary, too
big, unreadable or a symlink loop loses its old facts and findings, the
skip is reported, and it recovers when restored."""

import os
import shutil
from pathlib import Path

import pytest
from lsprotocol import types

from lsp_support import Editor, codes, diagnostics, initialize, uri, wait_for

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "backend"
REPOSITORY = "src/repositories/readListItem.repository.ts"


def _changed(client, path: Path, kind=types.FileChangeType.Changed):
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=uri(path), type=kind)]))


def _logged(client, words: str) -> bool:
    return any(words in m.message for m in client.log_messages)


def _break_binary(path: Path):
    path.write_bytes(b"\x00\x01binary" * 100)


def _break_too_big(path: Path):
    path.write_text("// filler\n" * 120_000)


def _break_loop(path: Path):
    path.unlink()
    os.symlink(path.name + ".other", path)
    os.symlink(path.name, str(path) + ".other")


@pytest.mark.parametrize("fault, reported", [
    (_break_binary, "binary or not UTF-8"),
    (_break_too_big, "larger than 1 MB"),
    (_break_loop, "unreadable"),
])
async def test_a_broken_repository_loses_its_findings_then_recovers(client, tmp_path, fault, reported):
    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root)
    await initialize(client, root)
    controller = Editor(client, root / "src/controllers/readList.controller.ts")
    loop_line = controller.line_of("await readListItemService.create(")
    await diagnostics(client, controller.uri, lambda ds: (loop_line, "P104") in codes(ds, "P104"))

    repo = root / REPOSITORY
    good = repo.read_bytes()
    fault(repo)
    _changed(client, repo)
    # Its facts are gone: the controller's N+1 through it is no longer claimed.
    await diagnostics(client, controller.uri, lambda ds: (loop_line, "P104") not in codes(ds, "P104"))
    await wait_for(lambda: _logged(client, f"skipped {REPOSITORY}") and _logged(client, reported), what="the skip reported")

    for extra in (str(repo) + ".other",):
        if os.path.lexists(extra):
            os.unlink(extra)
    if repo.is_symlink():
        repo.unlink()
    repo.write_bytes(good)
    _changed(client, repo)
    await diagnostics(client, controller.uri, lambda ds: (loop_line, "P104") in codes(ds, "P104"))


async def test_a_non_utf8_config_is_a_message_and_the_other_file_events_still_apply(client, tmp_path):
    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root)
    await initialize(client, root)
    controller = Editor(client, root / "src/controllers/readList.controller.ts")
    loop_line = controller.line_of("await readListItemService.create(")
    await diagnostics(client, controller.uri, lambda ds: (loop_line, "P104") in codes(ds, "P104"))

    (root / "perfaudit.toml").write_bytes(b'select = ["P1"]\n# r\xe9glages\n')
    _break_binary(root / REPOSITORY)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=uri(root / "perfaudit.toml"), type=types.FileChangeType.Created),
        types.FileEvent(uri=uri(root / REPOSITORY), type=types.FileChangeType.Changed),
    ]))
    await wait_for(lambda: any("perfaudit.toml: not UTF-8 text" in m.message and "using the defaults" in m.message
                               for m in client.messages), what="the config error shown")
    await diagnostics(client, controller.uri, lambda ds: (loop_line, "P104") not in codes(ds, "P104"))
