"""Prisma's own schema validator for the tests: @prisma/prisma-schema-wasm
(WebAssembly from npm, installed by .ci/install-test-tools.sh; offline, no
engines) run by node through tests/tools/prisma_validate.mjs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "tools" / "prisma_validate.mjs"
VERSION = "5.22.0-44.605197351a3c8bdd595af2d2a9bc3025bca48ea2"


def wasm_dir() -> Path | None:
    tools = Path(os.environ.get("PERFAUDIT_TOOLS_DIR") or Path.home() / ".cache" / "perfaudit" / "tools")
    where = tools / f"prisma-schema-wasm-{VERSION}"
    found = (where / "node_modules" / "@prisma" / "prisma-schema-wasm" / "package.json").exists()
    return where if found and shutil.which("node") else None


def require_validator() -> Path:
    """The validator's folder; without it a skip, or a failure in CI (.ci/run installs it)."""
    where = wasm_dir()
    if where is None:
        reason = "Prisma's schema validator is not installed (bash .ci/install-test-tools.sh: node + npm)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return where


def validate(*files: Path) -> tuple[bool, str]:
    """(valid, Prisma's messages) for one schema (several files for a multi-file schema)."""
    proc = subprocess.run(
        ["node", str(SCRIPT), str(require_validator()), *map(str, files)],
        capture_output=True, text=True, timeout=60,
    )
    return proc.returncode == 0, proc.stdout + proc.stderr
