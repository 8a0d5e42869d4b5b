"""Finding the calls that iterate: the rules about loops (P104, R204) take
the candidates from the facts' calls and ask the tree for those only; they
must be the calls a walk over every call node finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfaudit.server.analysis.loops import ITERATING_METHODS, calls_of_methods
from perfaudit.server.analysis.parsing import position_key
from perfaudit.server.analysis.syntax import call_function, last_member
from perfaudit.server.analysis.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
WORKSPACES = [ROOT / "examples" / "backend", ROOT / "tests" / "fixtures" / "layered"]

CHAINS = """\
export async function handler(ids: string[], rows: Row[]) {
  ids.map((id) => id.trim()).forEach((id) => audit(id));
  await Promise.all(rows.filter((r) => r.active).map(async (r) => save(r)));
  const total = (rows as Row[]).reduce((sum, r) => sum + r.total, 0);
  new Array(3).fill(0).map(() => 1);
  return map(ids, (id) => id);
}
"""


def _walked(source, methods) -> list:
    return [n for n in source.nodes("call_expression") if last_member(call_function(n)) in methods]


@pytest.mark.parametrize("root", WORKSPACES, ids=lambda p: p.name)
def test_the_calls_found_through_the_facts_are_those_a_walk_finds(root):
    ws = Workspace(str(root))
    ws.load()
    found = 0
    for source in ws.files.values():
        ours = calls_of_methods(source, ITERATING_METHODS)
        assert ours == _walked(source, ITERATING_METHODS), source.path
        found += len(ours)
    assert found  # every workspace here iterates somewhere


def test_chained_and_wrapped_calls_are_found_in_source_order(tmp_path):
    path = tmp_path / "handler.ts"
    path.write_text(CHAINS)
    ws = Workspace(str(tmp_path))
    ws.load()
    (source,) = ws.files.values()
    ours = calls_of_methods(source, ITERATING_METHODS)
    assert ours == _walked(source, ITERATING_METHODS)
    assert [last_member(call_function(n)) for n in ours] == ["forEach", "map", "map", "filter", "reduce", "map", "map"]
    assert ours == sorted(ours, key=position_key)
