"""Facts spliced after an edit inside one function equal a full extraction.

Edits of the kinds typing makes (a character, a line, a half-typed call, a
deletion, a nested function, a brace) at random places in the bodies of
real-shaped files: the example backend, the test fixtures and the
benchmark's 2,600-line service. Whenever `splice_facts` answers, its answer
must be what extracting the whole new tree gives.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from perfaudit.server.analysis.extract import extract_facts
from perfaudit.server.analysis.parsing import language_for, parse
from perfaudit.server.analysis.splice import edited_span, error_span, splice_facts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_lsp import TYPED, keystrokes, typical_service  # noqa: E402

SNIPPETS = [
    "x", " ", "\n", "(", ")", "{", "}", ";", "'", "`", "/*", "é", "👍",
    "const rows = await prisma.user.findMany({",
    "const rows = await prisma.user.findMany({ where: { id } });\n",
    "for (const id of ids) { await prisma.user.findUnique({ where: { id } }); }\n",
    "items.map((item) => this.load(item.id));\n",
    "function helper() { return 1; }\n",
    "const list = async () => { await redis.get('k'); };\n",
    "this.cache = new Map();\n",
    "class Local { run() { return 2; } }\n",
]


def _sources() -> list[Path]:
    files = sorted((ROOT / "examples").rglob("*.ts")) + sorted((ROOT / "tests" / "fixtures").rglob("*.ts"))
    return [p for p in files if "node_modules" not in p.parts and p.stat().st_size < 200_000]


def _body_offsets(data: bytes, language: str) -> list[int]:
    facts = extract_facts(parse(data, language), language)
    return [o for fn in facts.functions for o in range(fn.body_start + 1, fn.end - 1)]


def _check(old: bytes, new: bytes, language: str) -> bool:
    """Whether the edit was spliced; asserts a spliced result is exact."""
    old_tree = parse(old, language)
    old_facts = extract_facts(old_tree, language)
    new_tree = parse(new, language)
    spliced = splice_facts(old_facts, old, error_span(old_tree), new_tree, new, language)
    if spliced is None:
        return False
    assert spliced.facts == extract_facts(new_tree, language), (old, new)
    return True


def _edit(data: bytes, offset: int, rng: random.Random) -> bytes:
    if rng.random() < 0.25:
        return data[:offset] + data[offset + rng.randint(1, 30):]
    return data[:offset] + rng.choice(SNIPPETS).encode("utf-8") + data[offset:]


@pytest.mark.parametrize("seed", range(3))
def test_spliced_facts_equal_a_full_extraction(seed):
    rng = random.Random(seed)
    spliced = tried = 0
    for path in _sources():
        data = path.read_bytes()
        language = language_for(str(path)) or "typescript"
        offsets = _body_offsets(data, language)
        for offset in rng.sample(offsets, min(2, len(offsets))):
            tried += 1
            spliced += _check(data, _edit(data, offset, rng), language)
    assert tried > 150
    # Most edits inside a body splice; the rest (errors that reach outside
    # the function, a name taken twice) fall back to a full extraction.
    assert spliced > tried * 0.5, (spliced, tried)


def _typing(data: bytes, at: int, typed: str, auto_close: bool):
    """(text before, text after) of each change that typing `typed` at `at` sends."""
    line = b""
    for col, text in keystrokes(typed, auto_close):
        new_line = line[:col] + text.encode("utf-8") + line[col:]
        yield data[:at] + line + data[at:], data[:at] + new_line + data[at:]
        line = new_line


def test_typing_a_query_into_a_long_service_splices_each_keystroke():
    data = typical_service(lines=300, queries=3).encode("utf-8")  # the shape; the size is the benchmark's
    at = data.index(b"    const take = 20;", len(data) // 2)
    # As editors type (brackets closed as they open): every keystroke.
    changes = list(_typing(data, at, TYPED, auto_close=True))
    assert all(_check(old, new, "typescript") for old, new in changes)
    # Character by character, an open `{` breaks the rest of the class for a
    # while: those keystrokes take the whole path, the others splice.
    changes = list(_typing(data, at, TYPED, auto_close=False))
    spliced = sum(_check(old, new, "typescript") for old, new in changes)
    assert len(changes) * 0.6 < spliced < len(changes)


def test_edits_outside_a_body_or_renaming_are_not_spliced():
    src = b"export class A {\n  async load(id: string) {\n    return id;\n  }\n}\nexport function helper() { return 1; }\n"
    # In a method's parameters: the header changed.
    assert not _check(src, src.replace(b"(id: string)", b"(id: string, x)"), "typescript")
    # At module level.
    assert not _check(src, src + b"export const z = 1;\n", "typescript")
    # A brace that closes the method early: the method no longer spans the edit.
    assert not _check(src, src.replace(b"return id;", b"return id; }"), "typescript")
    # A nested function named like a module-level one: ids depend on order.
    assert not _check(src, src.replace(b"return id;", b"function helper() {}\n    return id;"), "typescript")
    # Inside the body: spliced.
    assert _check(src, src.replace(b"return id;", b"const n = id.length;\n    return id;"), "typescript")


def test_edited_span():
    assert edited_span(b"abc", b"abc") is None
    assert edited_span(b"abcd", b"abXcd") == (2, 2, 3)
    assert edited_span(b"abcd", b"ad") == (1, 3, 1)
    assert edited_span(b"aa", b"aaa") == (2, 2, 3)
    assert edited_span(b"", b"x") == (0, 0, 1)


def test_call_at_answers_alike_before_and_after_its_table_is_built():
    data = (ROOT / "examples/backend/src/services/book.service.ts").read_bytes()
    tree = parse(data, "typescript")
    scanning, tabled = extract_facts(tree, "typescript"), extract_facts(tree, "typescript")
    tabled._calls_by_range  # built up front: every answer from the table
    calls = [(c.start, c.end) for _, c in scanning.calls_in_scope][:30] + [(0, 1), (5, 9)]
    scanned = [scanning.call_at(s, e) for s, e in calls]
    assert "_calls_by_range" not in scanning.__dict__  # a few questions: no table
    assert scanned == [tabled.call_at(s, e) for s, e in calls]
    assert all(call is not None for _, call in scanned[:-2]) and scanned[-2:] == [(None, None)] * 2


def test_crlf_files_splice_exactly():
    data = (ROOT / "examples/backend/src/services/book.service.ts").read_bytes().replace(b"\n", b"\r\n")
    rng = random.Random(11)
    offsets = _body_offsets(data, "typescript")
    spliced = sum(_check(data, _edit(data, offset, rng), "typescript") for offset in rng.sample(offsets, 40))
    assert spliced > 20
