"""The bundled example backend: exactly the intended findings, nowhere else."""

import csv
from pathlib import Path

import pytest

from perfaudit.server.engine import analyze

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "backend"


def read_tsv(name: str) -> set[tuple[str, int, str]]:
    with open(ROOT / "tests" / "expected" / name, newline="", encoding="utf-8") as fh:
        return {(row["path"], int(row["line"]), row["code"]) for row in csv.DictReader(fh, delimiter="\t")}


@pytest.fixture(scope="module")
def found() -> set[tuple[str, int, str]]:
    result = analyze(str(EXAMPLE))
    assert result.errors == []  # no rule raised
    ws = result.workspace
    return {(ws.relpath(f.path), ws.line_index(f.path).line_of(f.start) + 1, f.code) for f in result.findings}


def test_every_intended_finding_is_reported(found):
    missing = read_tsv("example_backend.tsv") - found
    assert not missing, f"not reported: {sorted(missing)}"


def test_nothing_else_is_reported(found):
    extra = found - read_tsv("example_backend.tsv")
    assert not extra, f"unexpected: {sorted(extra)}"


def test_the_clean_counterparts_stay_silent(found):
    wrong = read_tsv("example_backend_clean.tsv") & found
    assert not wrong, f"fired where it must not: {sorted(wrong)}"


def test_every_rule_has_an_instance_in_the_example():
    from perfaudit.server.registry import all_rules

    codes = {code for _, _, code in read_tsv("example_backend.tsv")}
    missing = {c for c in all_rules() if c != "X001"} - codes
    assert not missing, f"the example has no instance of {sorted(missing)}"


def test_checking_in_forked_workers_finds_the_same(monkeypatch):
    """`perfaudit check` loads and checks in forked workers on large
    workspaces: the same facts, in the same order, and the same findings."""
    from perfaudit.server.analysis import parallel
    from perfaudit.server.engine import Engine
    from perfaudit.server.analysis.workspace import Workspace

    ws = Workspace(str(EXAMPLE))
    ws.load()
    sequential = Engine(ws).check()
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 0)
    forked = Engine(ws).check(workers=2)
    assert forked == sequential and len(forked) > 20

    ws_forked = Workspace(str(EXAMPLE))
    ws_forked.load(workers=2)
    assert list(ws_forked.files) == list(ws.files)
    for path, source in ws.files.items():
        loaded = ws_forked.files[path]
        assert loaded.data == source.data
        # (The order of calls and of some wing facts still varies from one
        # parse to the next: compare what does not depend on it.)
        for part in ("imports", "exports", "bindings", "classes"):
            assert set(getattr(loaded.facts, part)) == set(getattr(source.facts, part))
        assert sorted(f.id for f in loaded.facts.functions) == sorted(f.id for f in source.facts.functions)
        assert set(loaded.facts.all_calls) == set(source.facts.all_calls)
    assert Engine(ws_forked).check(workers=2) == sequential
