"""docs/rules.md is `perfaudit rules --format markdown`: this fails when a
rule's docstring changed and the page was not regenerated. Its links stay in
the repository."""

from __future__ import annotations

import re
from pathlib import Path

from perfaudit.command_line import main
from perfaudit.server.about import docs_ref
from perfaudit.server.registry import all_rules

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "rules.md"
REGENERATE = ".venv/bin/perfaudit rules --format markdown > docs/rules.md"


def _generated(capsys) -> str:
    assert main(["rules", "--format", "markdown"]) == 0
    return capsys.readouterr().out


def test_docs_rules_md_is_current(capsys) -> None:
    assert PAGE.read_text(encoding="utf-8") == _generated(capsys), f"docs/rules.md is stale: run {REGENERATE}"


def test_the_page_documents_every_rule_under_its_anchor(capsys) -> None:
    page = _generated(capsys)
    headings = set(re.findall(r"^## ([A-Z]\d{3}) ([a-z0-9-]+)$", page, flags=re.M))
    assert headings == {(r.code, r.name) for r in all_rules().values()}
    for code, rule in all_rules().items():
        anchor = docs_ref(code).partition("#")[2]
        assert anchor == f"{code}-{rule.name}".lower()
        assert f"](#{anchor})" in page  # the table links to it
        assert rule.doc.strip().splitlines()[0].lstrip("#").strip() in page if rule.doc.strip() else True


def test_links_on_the_page_point_inside_the_repository(capsys) -> None:
    page = _generated(capsys)
    links = re.findall(r"\]\(([^)]+)\)", page)
    assert links
    for link in links:
        assert not re.match(r"[a-z]+://", link), f"a link out of the repository: {link}"
        target = link.partition("#")[0]
        if target:
            assert (PAGE.parent / target).resolve().is_file(), f"a link to nothing: {link}"
    assert "../shared" not in page


def test_a_changed_docstring_makes_the_page_stale(capsys, monkeypatch) -> None:
    # The staleness check can fail: change one rule's documentation.
    rule = all_rules()["P104"]
    monkeypatch.setattr(rule, "doc", rule.doc + "\nOne more line.\n")
    assert PAGE.read_text(encoding="utf-8") != _generated(capsys)
