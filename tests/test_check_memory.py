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


ROUTES = """\
import { Router, Request, Response } from 'express';
import { userService } from './user.service';

export const router = Router();

router.get('/users', async (req: Request, res: Response) => {
  const users = await userService.list(req.query.page, req.query.size);
  res.json(users);
});

router.get('/users/:id', async (req: Request, res: Response) => {
  const user = await userService.get(req.params.id);
  res.json(user);
});

router.get('/teams', async (req: Request, res: Response) => {
  const teams = await userService.list(req.query.page, req.query.size);
  res.json(teams);
});
"""


def test_equal_small_facts_are_one_object_across_functions():
    """Parameter lists, their types and argument names recur in thousands of
    functions of a workspace: each is kept once."""
    from perfaudit.server.analysis.extract import extract_facts
    from perfaudit.server.analysis.parsing import parse

    facts = extract_facts(parse(ROUTES.encode(), "typescript"), "typescript")
    handlers = [fn for fn in facts.functions if fn.params == ("req", "res")]
    assert len(handlers) == 3
    assert handlers[0].params is handlers[1].params is handlers[2].params
    assert handlers[0].param_types is handlers[2].param_types
    lists = [c for fn in handlers for c in fn.calls if c.method == "list"]
    assert len(lists) == 2 and lists[0].arg_names == ("req.query.page", "req.query.size")
    assert lists[0].arg_names is lists[1].arg_names


def test_a_checked_file_forgets_its_tables_of_calls_and_builds_them_again_when_asked():
    """A one-shot check is done with a file once checked (Index.forget_calls);
    another file's check that reads it later builds what it asks again."""
    ws = _loaded(EXAMPLE)
    path = next(p for p, s in ws.files.items() if len(s.facts.all_calls) > 40)
    facts = ws.files[path].facts
    pairs = facts.calls_in_scope
    asked = [facts.call_at(c.start, c.end) for _, c in pairs]  # enough questions to build the table
    assert "_calls_by_range" in facts.__dict__
    ws.index.forget_calls(path)
    assert not {"calls_in_scope", "all_calls", "_calls_by_range"} & set(facts.__dict__)
    assert [facts.call_at(c.start, c.end) for _, c in pairs] == asked == list(pairs)


def test_a_packed_text_with_accents_emoji_and_crlf_comes_back_byte_for_byte(tmp_path):
    text = "// Café ☕ — réservations 🚀\r\nexport async function list(prisma) {\r\n  return prisma.réservation.findMany(); // 😀\r\n}\r\n"
    (tmp_path / "reservations.ts").write_bytes(text.encode("utf-8"))
    ws = Workspace(str(tmp_path))
    ws.load()
    (source,) = ws.files.values()
    assert type(source._data) is Packed
    assert source.raw_data == text.encode("utf-8") and source.text == text
    assert source.line_index.line_of(text.encode("utf-8").index(b"return")) == 2
