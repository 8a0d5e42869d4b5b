"""Every rule's documentation: required sections, and examples that run.

Like Biome's rules_check: the `ts` blocks under *Example* must make the rule
fire, those under *Use instead* must not. A `prisma` block in a section is
the schema that section runs against (else the shared app schema); an `env`
block is written as `.env`.
"""

import re
from pathlib import Path

import pytest

from perfaudit.server.registry import all_rules
from helpers import run_rules

SECTIONS = ["What it does", "Why is this bad?", "Example", "Use instead", "Fix safety"]
# The catalogue as committed (generated from the docstrings; tests/test_rules_page.py keeps it current).
RULES_MD = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def sections(doc: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", doc, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def blocks(section: str) -> list[tuple[str, str]]:
    return re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)


def workspace_files(section: str) -> dict[str, str]:
    files = {}
    for lang, code in blocks(section):
        if lang in ("ts", "typescript"):
            files[f"src/example{len(files)}.ts"] = code
        elif lang == "js":
            files[f"src/example{len(files)}.js"] = code
        elif lang == "prisma":
            files["prisma/schema.prisma"] = code
        elif lang in ("env", "dotenv", "sh"):
            files[".env"] = code
        elif lang == "json":
            files["package.json"] = code
    return files


RULES = [r for r in all_rules().values() if r.check is not None]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_docs_have_every_section(rule):
    found = sections(rule.doc)
    missing = [s for s in SECTIONS if s not in found]
    assert not missing, f"{rule.code} docs lack sections {missing}"
    assert blocks(found["Example"]), f"{rule.code} has no example code"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_fires(rule, tmp_path):
    files = workspace_files(sections(rule.doc)["Example"])
    findings = run_rules(tmp_path, files, rule.code)
    assert findings, f"{rule.code}: the documented example does not fire"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_use_instead_is_clean(rule, tmp_path):
    files = workspace_files(sections(rule.doc)["Use instead"])
    if not files:
        pytest.skip("no code under Use instead")
    findings = run_rules(tmp_path, files, rule.code)
    assert not findings, f"{rule.code}: the 'Use instead' code fires: {[f.message for f in findings]}"


def test_every_catalogued_rule_is_registered():
    """A rule module that fails to import is skipped at run time (logged):
    here it fails loudly, against the committed catalogue."""
    catalogue = set(re.findall(r"^\| \[([A-Z]\d{3})\]", RULES_MD.read_text(), flags=re.M))
    assert len(catalogue) >= 20
    assert catalogue - set(all_rules()) == set()


def test_registry_matches_catalogue():
    """Codes and names are a public contract: a rename shows as a change of docs/rules.md."""
    catalogue = dict(re.findall(r"^\| \[([A-Z]\d{3})\]\(#[a-z0-9-]+\) \| `([a-z0-9-]+)` \|", RULES_MD.read_text(), flags=re.M))
    assert set(catalogue) == set(all_rules())
    for code, rule in all_rules().items():
        assert rule.name == catalogue[code], f"{code} is named {rule.name}, docs/rules.md says {catalogue[code]}"
