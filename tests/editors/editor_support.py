"""Shared by the real-editor tests: a copy of the example backend, the findings
expected in it, where the editors are, and the server command they start."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "backend"
EXPECTED_TSV = REPO / "tests" / "expected" / "example_backend.tsv"
OUTPUT = REPO / "tests" / "output"

# The file each editor test opens, the finding it fixes and the fix it applies.
TARGET = "src/services/readList.service.ts"
FIX_CODE = "P104"
FIX_LINE = 110  # 1-based
FIX_TITLE = "Use createMany"
FIXED_TEXT = "await tx.readListItem.createMany({"

# An editor run is given this long before it is killed (it normally takes 1-2 s).
EDITOR_TIMEOUT = 90


def server_command() -> list[str]:
    """The server as the editors start it: this interpreter, so the test runs the
    perfaudit of this checkout whatever is on PATH."""
    return [sys.executable, "-m", "perfaudit", "serve"]


def expected_findings(relpath: str) -> list[tuple[int, str]]:
    """(1-based line, code) of the findings expected in one file of the example backend, sorted."""
    rows = []
    for line in EXPECTED_TSV.read_text().splitlines()[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        path, lineno, code = line.split("\t")[:3]
        if path == relpath:
            rows.append((int(lineno), code))
    return sorted(rows)


def copy_backend(tmp_path: Path) -> Path:
    """A copy of examples/backend: the editors edit and may save it, never the original."""
    dest = tmp_path / "backend"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("node_modules", "dist"))
    return dest


def find_executable(name: str, env_var: str) -> str | None:
    """$env_var, else `name` on PATH, else beside this interpreter (the venv's bin/)."""
    given = os.environ.get(env_var)
    if given:
        return given if os.access(given, os.X_OK) else None
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if os.access(beside, os.X_OK) else None


def tail(path: Path, limit: int = 6000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} not written)"
    return text[-limit:] if text.strip() else f"({path} is empty)"
