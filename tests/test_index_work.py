"""The index's derived answers (does a function call its callback, what a
function reaches) are memoised: the work grows linearly with the code, also
on recursive and mutually recursive functions. Work is counted, not timed."""

import sys
from pathlib import Path

from helpers import make_workspace
from perfaudit.server.config import Config
from perfaudit.server.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from synthetic import recursive_reducer  # noqa: E402


def mutually_recursive(n: int) -> str:
    """`n` tree walkers that call each other and hand the visitor on, but
    never call it: every "does it call `visit`?" question recurses through
    all of them before it can answer no."""
    out = ["export interface Node { id: string; children: Node[] }\n"]
    for i in range(n):
        out.append(
            f"export function walk{i}(nodes: Node[], visit: (node: Node) => void, depth: number): void {{\n"
            f"  if (depth > 8) return;\n"
            f"  walk{(i + 1) % n}(nodes, visit, depth + 1);\n"
            f"  walk{(i * 7 + 3) % n}(nodes, visit, depth + 1);\n"
            f"  nodes.forEach((node) => walk{(i + 2) % n}(node.children, visit, depth + 1));\n"
            f"}}\n"
        )
    return "".join(out)


def index_work(tmp_path: Path, name: str, text: str) -> tuple[int, int]:
    """(calls examined by the index while every rule checks the file, the
    most it may examine: each function's calls once for its summary and
    at most once per parameter)."""
    ws = make_workspace(tmp_path, {name: text}, schema=False)
    Engine(ws).check_file(str(tmp_path / name))
    facts = ws.files[str(tmp_path / name)].facts
    bound = sum(len(fn.calls) * (1 + len(fn.params)) for fn in facts.functions)
    return ws.index.work, bound


def test_work_grows_linearly_on_mutually_recursive_functions(tmp_path):
    small, small_bound = index_work(tmp_path / "small", "walkers.ts", mutually_recursive(20))
    large, large_bound = index_work(tmp_path / "large", "walkers.ts", mutually_recursive(40))
    assert 0 < small <= small_bound and large <= large_bound, (small, small_bound, large, large_bound)
    assert large <= 2.5 * small, (small, large)


def test_work_grows_linearly_on_a_reducer_that_calls_itself_from_many_cases(tmp_path):
    small, small_bound = index_work(tmp_path / "small", "applyStep.ts", recursive_reducer(35))
    large, large_bound = index_work(tmp_path / "large", "applyStep.ts", recursive_reducer(70))
    assert 0 < small <= small_bound and large <= large_bound, (small, small_bound, large, large_bound)
    assert large <= 2.5 * small, (small, large)


CYCLE_A = """\
    import { visitAll } from './b';
    export function walk(n: number, visit: (n: number) => void): void {
      if (n > 0) visitAll(n - 1, visit);
    }
    """

CYCLE_B_CALLS = """\
    import { walk } from './a';
    export function visitAll(n: number, visit: (n: number) => void): void {
      walk(n, visit);
      visit(n);
    }
    """

CYCLE_B_PASSES = """\
    import { walk } from './a';
    export function visitAll(n: number, visit: (n: number) => void): void {
      walk(n, visit);
    }
    """


def _calls_visit(ws, tmp_path, name: str, fid: str) -> bool:
    path = str(tmp_path / name)
    return ws.index.calls_param(path, ws.files[path].facts.function(fid), 1)


def test_a_callback_called_anywhere_in_a_cycle_is_called(tmp_path):
    ws = make_workspace(tmp_path, {"a.ts": CYCLE_A, "b.ts": CYCLE_B_CALLS}, schema=False)
    assert _calls_visit(ws, tmp_path, "a.ts", "walk")
    assert _calls_visit(ws, tmp_path, "b.ts", "visitAll")


def test_a_callback_only_handed_round_a_cycle_is_not_called(tmp_path):
    ws = make_workspace(tmp_path, {"a.ts": CYCLE_A, "b.ts": CYCLE_B_PASSES}, schema=False)
    assert not _calls_visit(ws, tmp_path, "a.ts", "walk")
    assert not _calls_visit(ws, tmp_path, "b.ts", "visitAll")


def test_an_edit_of_a_file_read_for_the_answer_renews_it(tmp_path):
    ws = make_workspace(tmp_path, {"a.ts": CYCLE_A, "b.ts": CYCLE_B_CALLS}, schema=False)
    assert _calls_visit(ws, tmp_path, "a.ts", "walk")
    ws.set_source(str(tmp_path / "b.ts"), CYCLE_B_PASSES.replace("    ", "", 1))
    assert not _calls_visit(ws, tmp_path, "a.ts", "walk")
    ws.set_source(str(tmp_path / "b.ts"), CYCLE_B_CALLS)
    assert _calls_visit(ws, tmp_path, "a.ts", "walk")


def test_a_callback_called_six_calls_down_is_called(tmp_path):
    chain = ["export function level6(cb: () => void) { cb(); }\n"]
    for i in range(5, 0, -1):
        chain.append(f"export function level{i}(cb: () => void) {{ level{i + 1}(cb); }}\n")
    ws = make_workspace(tmp_path, {"chain.ts": "".join(chain)}, schema=False)
    path = str(tmp_path / "chain.ts")
    assert ws.index.calls_param(path, ws.files[path].facts.function("level1"), 0)


def redis_helpers(n: int) -> str:
    """A cache module of `n` small helpers that each call the next and send
    Redis a command: R201 asks, for every call of a workspace function,
    whether that function is a TTL wrapper."""
    out = ["import Redis from 'ioredis';\n", "const redis = new Redis(process.env.REDIS_URL!);\n"]
    for i in range(n):
        out.append(
            f"export async function touch{i}(key: string, ttl?: number): Promise<void> {{\n"
            f"  await redis.hincrby(`stats:{i}:${{key}}`, 'hits', 1);\n"
            f"  if ({i} < {n - 1}) await touch{i + 1}(key, ttl);\n"
            f"}}\n"
        )
    return "".join(out)


def test_r201_classifies_each_call_a_bounded_number_of_times(tmp_path, monkeypatch):
    from perfaudit.server.redis import clients

    counted = {"n": 0}
    classify = clients._classify

    def counting(*args):
        counted["n"] += 1
        return classify(*args)

    monkeypatch.setattr(clients, "_classify", counting)

    def classified(where: Path, n: int) -> int:
        counted["n"] = 0
        ws = make_workspace(where, {"cache.ts": redis_helpers(n)}, schema=False)
        Engine(ws, Config(select=["R201"])).check_file(str(where / "cache.ts"))
        return counted["n"]

    small, large = classified(tmp_path / "small", 30), classified(tmp_path / "large", 60)
    assert 0 < small and large <= 2.5 * small, (small, large)
