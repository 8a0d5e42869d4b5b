"""The architecture as contracts: which part of perfaudit may import which.

- `analysis` (the core) imports no wing and no face;
- a wing (`prisma`, `redis`, `express`, `node`, `postgres`) imports the core and the
  neutral pieces, another wing only through its package (`perfaudit.server.redis`,
  never `perfaudit.server.redis.clients`), and no face;
- the neutral pieces (engine, rule contract, registry, findings, fixes,
  suppressions, config) import no wing and no face;
- rules never import `cli` or `lsp`;
- `cli` and `lsp` never import each other.

Imports are read with `ast` from the source files, also those inside
functions (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WINGS = {"prisma", "redis", "express", "node", "postgres"}
FACES = {"cli", "lsp"}


def _part_of(module: str) -> str | None:
    """The layer of a `perfaudit...` module: "analysis", a wing, a face,
    "neutral" (modules directly in perfaudit.server), "rules", "entry"."""
    parts = module.split(".")
    if parts[0] != "perfaudit":
        return None
    if len(parts) == 1:
        return "entry"
    if parts[1] == "rules":
        return "rules"
    if parts[1] != "server":
        return "entry"
    if len(parts) == 2:
        return "neutral"
    if parts[2] == "analysis" or parts[2] in WINGS or parts[2] in FACES:
        return parts[2]
    return "neutral"


def _module_of(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    top = {"server": ["perfaudit", "server"], "rules": ["perfaudit", "rules"], "entry": ["perfaudit"]}[parts[0]]
    return ".".join(top + parts[1:])


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from perfaudit.server import prisma` imports the module perfaudit.server.prisma.
            out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names] or [(node.lineno, base)]
    return out


def _through_package(name: str, root: Path) -> bool:
    """`perfaudit.server.redis` or a name it exports, not one of its modules."""
    parts = name.split(".")
    if len(parts) == 3:
        return True
    wing_dir = root / "server" / parts[2]
    return len(parts) == 4 and not (wing_dir / f"{parts[3]}.py").is_file() and not (wing_dir / parts[3]).is_dir()


def _loads_plugins(module: str, name: str) -> bool:
    """The server package loads the wings, and the registry the rules package,
    before the first workspace: that is how plugins get registered."""
    return module == "perfaudit.server" and name.count(".") == 2 or module == "perfaudit.server.registry" and name == "perfaudit.rules"


def violations(root: Path) -> list[str]:
    out = []
    for folder in ("server", "rules", "entry"):
        for path in sorted((root / folder).rglob("*.py")):
            module = _module_of(path, root)
            mine = _part_of(module)
            for line, name in _imports(path, module):
                theirs = _part_of(name)
                if theirs is None or theirs == mine:
                    continue
                where = f"{path.relative_to(root)}:{line} ({mine}) imports {name} ({theirs})"
                if mine == "analysis" and theirs in WINGS | FACES | {"neutral", "rules"}:
                    out.append(where)
                elif mine in WINGS and theirs in FACES | {"rules"}:
                    out.append(where)
                elif mine in WINGS and theirs in WINGS and not _through_package(name, root):
                    out.append(where)
                elif mine == "neutral" and theirs in WINGS | FACES | {"rules"} and not _loads_plugins(module, name):
                    out.append(where)
                elif mine == "rules" and theirs in FACES:
                    out.append(where)
                elif mine in FACES and theirs in FACES:
                    out.append(where)
    return out


def test_the_layers_hold():
    assert violations(REPO) == []


@pytest.mark.parametrize(
    "file, line",
    [
        ("server/analysis/index.py", "from perfaudit.server.prisma.schemas import schemas"),
        ("server/express/routes.py", "from perfaudit.server.redis.clients import client_of"),
        ("rules/p104_prisma_query_in_loop.py", "from perfaudit.server.lsp import convert"),
        ("server/cli/output.py", "from perfaudit.server.lsp.hover import hover"),
        ("server/engine.py", "from perfaudit.server.prisma import schemas"),
    ],
)
def test_a_wrong_import_breaks_the_contracts(tmp_path, file, line):
    copy = tmp_path / "repo"
    for folder in ("server", "rules", "entry"):
        shutil.copytree(REPO / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / file
    target.write_text(target.read_text(encoding="utf-8") + f"\n\ndef _late():\n    {line}\n", encoding="utf-8")
    found = violations(copy)
    assert len(found) == 1 and found[0].startswith(file), found


def test_no_import_cycle_between_registry_rule_and_workspace():
    """registry -> rule -> workspace -> registry was a cycle: the workspace
    now asks a hook to load the rules instead of importing the registry."""
    imported = {name for _, name in _imports(REPO / "server/analysis/workspace.py", "perfaudit.server.analysis.workspace")}
    assert not any(name.startswith("perfaudit.server.registry") for name in imported)
