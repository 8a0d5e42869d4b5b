"""Shared by the install tests: fresh virtual environments outside the
repository, a wheelhouse, and whether those (slower) tests run.

They run by default and in CI; PERFAUDIT_INSTALL_TESTS=0 turns them off for a
quick local run. PyPI is asked once per session, for a wheelhouse of
perfaudit's dependencies (pygls, lsprotocol, cattrs, tree-sitter...) and the
build backend; every install after it (pip, `python -m build`, the action's
install step, pre-commit's) runs with PIP_NO_INDEX and PIP_FIND_LINKS on it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "backend"

SKIP_INSTALL = pytest.mark.skipif(
    os.environ.get("PERFAUDIT_INSTALL_TESTS") == "0", reason="PERFAUDIT_INSTALL_TESTS=0: install tests off"
)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would let a child see this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(extra)
    return env


def run(cmd: list[str], timeout: int = 300, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("env", clean_env())
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


def fresh_venv(where: Path) -> Path:
    """A new venv (no system site-packages; no pip of its own: `pip_install`
    uses this interpreter's pip, which saves seconds of ensurepip); its bin directory."""
    proc = run([sys.executable, "-m", "venv", "--without-pip", str(where)])
    assert proc.returncode == 0, proc.stderr
    return where / ("Scripts" if os.name == "nt" else "bin")


def pip_install(bin_dir: Path, wheelhouse: Path, *what: str) -> subprocess.CompletedProcess:
    """pip install into the venv of `bin_dir`, from the wheelhouse only."""
    pip = [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "--disable-pip-version-check"]
    proc = run([*pip, "install", "--quiet", *what], env=offline_env(wheelhouse), timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def _unreachable(stderr: str) -> bool:
    return any(s in stderr for s in ("Failed to establish a new connection", "Temporary failure in name resolution", "NewConnectionError"))


def make_wheelhouse(where: Path) -> Path:
    """perfaudit's dependencies and its build backend as wheels, from PyPI (pip's cache)."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    wanted = [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]
    proc = run(
        [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet", "--only-binary=:all:",
         "--dest", str(where), *wanted],
        timeout=600,
    )
    if proc.returncode != 0 and _unreachable(proc.stderr):
        pytest.skip(f"PyPI unreachable for perfaudit's dependencies: {proc.stderr[-800:]}")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return where


def offline_env(wheelhouse: Path, **extra: str) -> dict[str, str]:
    """pip (and what runs pip: build, pre-commit) installs from the wheelhouse only."""
    return clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse), **extra)
