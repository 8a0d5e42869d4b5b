"""The pre-commit hooks (.pre-commit-hooks.yaml) from this repository itself:
`pre-commit try-repo` installs perfaudit from the checkout into an
environment of its own, as a `repo:` entry pointing here would, and runs the
hook in a git project holding a copy of the example backend (pip installing
from the session's wheelhouse)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from install_support import EXAMPLE, REPO, SKIP_INSTALL, offline_env, run

pytestmark = SKIP_INSTALL


def _git(cwd: Path, *args: str) -> None:
    proc = run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "backend")
    return root


def test_hooks_are_declared_for_the_files_perfaudit_reads() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"perfaudit", "perfaudit-files"}
    assert all(h["language"] == "python" and h["entry"] == "perfaudit check" for h in hooks.values())
    assert hooks["perfaudit"]["pass_filenames"] is False  # cross-file rules need the whole project


def test_the_hook_from_this_repository_fails_on_findings(project: Path, wheelhouse: Path, tmp_path: Path) -> None:
    env = offline_env(wheelhouse, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never")
    proc = run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "perfaudit", "--all-files"],
        cwd=project,
        env=env,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 1, log[-4000:]
    assert "perfaudit (performance audit)" in log and "Failed" in log, log[-4000:]
    assert "src/services/readList.service.ts:110:" in log and "P104" in log, log[-4000:]
