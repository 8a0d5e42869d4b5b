"""What a one-shot check keeps in memory: every file's facts, its text
packed, and no syntax tree or record of reads beyond what it needs now
(bench/bench_check.py prints the peak on a 30 MB workspace)."""

from __future__ import annotations

from pathlib import Path

from perfaudit.server import engine as engine_module
from perfaudit.server.analysis.workspace import Packed, Workspace
from perfaudit.server.engine import Engine, analyze

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "backend"
LAYERED = ROOT / "tests" / "fixtures" / "layered"


def test_loaded_files_keep_their_text_packed_and_give_it_back_whole():
    ws = Workspace(str(EXAMPLE))
    ws.load()
    assert ws.files
    packed = raw = 0
    for path, source in ws.files.items():
        assert type(source._data) is Packed
        on_disk = Path(path).read_bytes()
        assert source.raw_data == on_disk and source.text == on_disk.decode("utf-8")
        packed += len(source._data)
        raw += len(on_disk)
    assert packed * 2 < raw


def test_a_check_holds_a_few_trees_of_the_files_it_reads_and_none_at_the_end(monkeypatch):
    """Route and service rules parse the services a route calls; a check of
    4,000 files held every one of those trees to its end."""
    whole = Engine(_loaded(EXAMPLE)).check()
    monkeypatch.setattr(engine_module, "TREES_READ_KEPT", 2)
    ws = _loaded(EXAMPLE)
    engine = Engine(ws)
    held_before: list[int] = []  # trees held as each file's check starts
    held_after: list[int] = []
    check_file = engine.check_file

    def counting(path):
        held_before.append(sum(s.tree is not None for s in ws.files.values()))
        found = check_file(path)
        held_after.append(sum(s.tree is not None for s in ws.files.values()))
        return found

    monkeypatch.setattr(engine, "check_file", counting)
    assert engine.check() == whole
    assert max(held_after) > 3  # rules parsed other files to read them
    assert max(held_before) <= 2
    assert not [p for p, s in ws.files.items() if s.tree is not None]


def test_a_check_without_a_cache_records_no_reads():
    """Only the cache asks what each file's check read; the route model's
    reads, copied into each route file's record, cost 17 MB per process."""
    result = analyze(str(LAYERED))
    index = result.workspace.index
    assert result.findings
    assert all(index.read_by(path) == {path} for path in result.workspace.files)


def _loaded(root: Path) -> Workspace:
    ws = Workspace(str(root))
    ws.load()
    return ws
