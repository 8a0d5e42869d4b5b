"""Typing inside a method re-checks that method alone, and the whole file
once typing pauses (server/incremental.py).

Driven on the session itself, as in test_settle.py: each keystroke is
analysed before the next, as an editor's would be when the user types
slower than the analysis.
"""

import shutil
import sys
from pathlib import Path

import pytest
from lsp_support import uri
from lsprotocol import types
from test_settle import RecordingClient

from perfaudit.server.lsp.session import Session

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
from bench_lsp import keystrokes  # noqa: E402

TYPED = "    for (const id of ids) { const row = await prisma.book.findUnique({ where: { id } }); }"


def copy_backend(tmp_path: Path) -> Path:
    """The example backend: services of realistic size and shape."""
    return Path(shutil.copytree(REPO / "examples" / "backend", tmp_path / "backend"))


def _diagnostics(session: Session, doc_uri: str) -> list[tuple[int, int, str, str]]:
    return sorted((d.range.start.line, d.range.start.character, d.code, d.message)
                  for d in session.reports[doc_uri].diagnostics)


async def _open(backend: Path, path: Path, text: str) -> tuple[Session, str]:
    session = Session(RecordingClient())
    root = session.add_root(str(backend))
    root.ws.load()
    doc_uri = uri(path)
    session.open(doc_uri, 1, text)
    await session.settle(doc_uri)
    return session, doc_uri


async def _whole_pass(session: Session) -> None:
    session._followed.clear()
    session.run_follow_up()
    await session._followed.wait()


@pytest.mark.parametrize("auto_close", [True, False], ids=["brackets-closed-as-opened", "a-character-each"])
async def test_typing_a_query_into_a_method_checks_that_method_at_each_keystroke(tmp_path, auto_close):
    backend = copy_backend(tmp_path)
    service = backend / "src/services/book.service.ts"
    text = service.read_text()
    session, doc_uri = await _open(backend, service, text)
    root = session.root_for(str(service))
    whole_checks = []
    check_file = root.engine.check_file
    root.engine.check_file = lambda path: whole_checks.append(path) or check_file(path)

    line = text.splitlines().index("    const values = await cache.getMany<BookCard>(ids.map(summaryKey));")
    version = 1
    # Enter opens a line, then the statement is typed on it.
    for col, inserted in [(0, "\n"), *keystrokes(TYPED, auto_close)]:
        version += 1
        at = types.Range(types.Position(line, col), types.Position(line, col))
        session.change(doc_uri, version, [types.TextDocumentContentChangePartial(range=at, text=inserted)])
        await session.settle(doc_uri)
        assert session.reports[doc_uri].version == version

    # No keystroke needed a whole check of the file: each was spliced, or
    # held while the syntax was broken beyond the method (`for (c`); and the
    # query typed in the loop is reported.
    assert whole_checks == []
    assert any(code == "P104" and at_line == line for at_line, _, code, _ in _diagnostics(session, doc_uri))

    # Once typing pauses, the whole file is checked: what it finds is what a
    # fresh analysis of the same text finds.
    await _whole_pass(session)
    assert service.as_posix() in {Path(p).as_posix() for p in whole_checks}
    typed_text = session.documents.get(doc_uri).text
    fresh_backend = copy_backend(tmp_path / "fresh")
    fresh, fresh_uri = await _open(fresh_backend, fresh_backend / "src/services/book.service.ts", typed_text)
    assert _diagnostics(session, doc_uri) == _diagnostics(fresh, fresh_uri)


async def test_an_edit_outside_every_body_checks_the_whole_file(tmp_path):
    backend = copy_backend(tmp_path)
    service = backend / "src/services/book.service.ts"
    session, doc_uri = await _open(backend, service, service.read_text())
    root = session.root_for(str(service))
    whole_checks = []
    check_file = root.engine.check_file
    root.engine.check_file = lambda path: whole_checks.append(path) or check_file(path)

    at = types.Range(types.Position(0, 0), types.Position(0, 0))
    session.change(doc_uri, 2, [types.TextDocumentContentChangePartial(range=at, text="// header\n")])
    await session.settle(doc_uri)
    assert len(whole_checks) == 1


async def test_while_an_edit_breaks_the_syntax_the_other_findings_move_with_the_text(tmp_path):
    backend = copy_backend(tmp_path)
    service = backend / "src/services/book.service.ts"
    # A suppressed finding below the edit must stay suppressed while held.
    lines = service.read_text().splitlines()
    lines.insert(lines.index("      const raw = await redis.get(summaryKey(id));"), "      // perfaudit-ignore-next-line R204")
    text = "\n".join(lines) + "\n"
    session, doc_uri = await _open(backend, service, text)
    before = _diagnostics(session, doc_uri)
    assert before and "R204" not in {code for _, _, code, _ in before}
    root = session.root_for(str(service))
    whole_checks = []
    check_file = root.engine.check_file
    root.engine.check_file = lambda path: whole_checks.append(path) or check_file(path)

    # An open `{` in findById, above the others: the rest of the class
    # parses differently until it is closed.
    line = text.splitlines().index("    if (!book) throw new NotFoundError('Book');")
    at = types.Range(types.Position(line, 0), types.Position(line, 0))
    # (Long: the moved findings' offsets in the old text would be lines away.)
    broken = "    if (book) { // " + "x" * 300 + "\n\n\n"
    session.change(doc_uri, 2, [types.TextDocumentContentChangePartial(range=at, text=broken)])
    await session.settle(doc_uri)

    assert whole_checks == []  # held: nothing analysed
    moved = _diagnostics(session, doc_uri)
    assert [(ln + 3 * (ln >= line), col, code, msg) for ln, col, code, msg in before] == moved
    assert "R204" not in {code for _, _, code, _ in moved}  # still suppressed, on its moved line

    # Once typing pauses, the whole (broken) text is analysed.
    await _whole_pass(session)
    assert whole_checks


async def test_typing_in_a_route_handler_does_not_rebuild_the_route_model_at_each_keystroke(tmp_path, monkeypatch):
    """A route file's registrations carry offsets, so each keystroke in it
    makes the route model stale; rebuilding it costs hundreds of ms on a
    large workspace. The handler's check then defers the rules that need
    it (they keep their last findings), and the pause's whole check
    rebuilds it once."""
    from perfaudit.server.express import routes as routes_module

    backend = copy_backend(tmp_path)
    route_file = backend / "src/routes/report.routes.ts"
    text = route_file.read_text()
    session, doc_uri = await _open(backend, route_file, text)
    builds = []
    model = routes_module.RouteModel
    monkeypatch.setattr(routes_module, "RouteModel", lambda ws: builds.append(1) or model(ws))
    monkeypatch.setattr(routes_module, "DEFER_REBUILD_SECONDS", -1.0)  # as slow as a large workspace's

    line = text.splitlines().index("  res.json(await reportService.activity(req.user!.id, since));")
    version = 1
    for col, inserted in [(0, "\n"), *keystrokes("  const rows = await prisma.user.findMany({ where: { id: req.user!.id } });")]:
        version += 1
        at = types.Range(types.Position(line, col), types.Position(line, col))
        session.change(doc_uri, version, [types.TextDocumentContentChangePartial(range=at, text=inserted)])
        await session.settle(doc_uri)
    assert builds == []

    await _whole_pass(session)
    assert builds
    fresh_backend = copy_backend(tmp_path / "fresh")
    fresh, fresh_uri = await _open(fresh_backend, fresh_backend / "src/routes/report.routes.ts",
                                   session.documents.get(doc_uri).text)
    assert _diagnostics(session, doc_uri) == _diagnostics(fresh, fresh_uri)
