"""An edit's check (server/incremental.py) finds inside the edited function
what a whole check of the new text finds there.

Random edits of the kinds typing makes, at random places in the bodies of
the example backend's and the fixtures' files, loaded as workspaces. For
each edit the fast path answers (spliced facts, the function alone checked),
the whole file is checked again on the same facts, and the findings inside
the edited function must be the same.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from perfaudit.server.analysis.parsing import parse
from perfaudit.server.analysis.splice import edited_function, edited_span
from perfaudit.server.analysis.workspace import Workspace
from perfaudit.server.engine import Engine
from perfaudit.server.incremental import Analysed, check_edit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_splice import SNIPPETS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKSPACES = [ROOT / "examples" / "backend", ROOT / "tests" / "fixtures" / "layered",
              ROOT / "tests" / "fixtures" / "nest_cache"]


def _inside(findings, start: int, end: int) -> list[tuple]:
    return sorted((f.code, f.start, f.end, f.message) for f in findings if start <= f.start and f.end <= end)


@pytest.mark.parametrize("root", WORKSPACES, ids=lambda p: p.name)
def test_the_edited_function_is_found_as_a_whole_check_finds_it(root):
    ws = Workspace(str(root))
    ws.load()
    engine = Engine(ws)
    local = {r.code for r in engine.enabled_rules() if r.local}
    rng = random.Random(root.name)
    compared = 0
    for path in sorted(ws.files):
        source = ws.files[path]
        data, text, language = source.raw_data, source.text, source.language
        bodies = [o for fn in source.facts.functions if fn.parent is None for o in range(fn.body_start + 1, fn.end - 1)]
        for offset in rng.sample(bodies, min(6, len(bodies))):
            ws.set_source(path, text, tree=parse(data, language), keep_tree=True)
            last = Analysed.whole(data, ws.files[path].tree, engine.check_file(path))
            old_facts = ws.files[path].facts
            new = data[:offset] + rng.choice(SNIPPETS).encode("utf-8") + data[offset:]
            tree = parse(new, language)
            done = check_edit(engine, path, last, lambda: tree, new)
            if done is None or done.held:
                continue
            start, old_end, new_end = edited_span(data, new)
            unit = old_facts.functions[edited_function(old_facts, start, old_end)]
            end = unit.end + new_end - old_end
            whole = engine.check_file(path)  # on the spliced facts, equal to a full extraction's
            assert _inside(done.findings, unit.start, end) == _inside([f for f in whole if f.code in local],
                                                                     unit.start, end), (path, unit.name)
            compared += 1
        ws.set_source(path, text)
        ws.drop_tree(path)
    assert compared > 10


def test_a_finding_elsewhere_keeps_its_range_and_moves_what_it_points_at_here():
    from perfaudit.server.analysis.splice import Span
    from perfaudit.server.findings import Finding, Related, Severity, shift

    here, there = "/w/src/a.ts", "/w/src/b.ts"
    f = Finding("P104", there, 10, 20, "m", Severity.WARNING, related=(Related(here, 100, 110, "query"),))
    moved = shift(f, here, Span(50, 50, 53))  # three bytes typed before the related range
    assert (moved.path, moved.start, moved.end) == (there, 10, 20)
    assert (moved.related[0].start, moved.related[0].end) == (103, 113)
