"""`perfaudit diff REF_A REF_B`: findings fixed, introduced and unchanged
between two commits of a repository made here, read with `git archive`
without touching the working tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from perfaudit.command_line import main

BACKEND = Path(__file__).parent.parent / "examples" / "backend"
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=ENV, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A repository holding the example backend under `app/`, with three commits:
    base; `fix` adds @@index([isbn]) to Book (fixes the P105 finding at the
    schema field, whose query site is its related information) plus an unrelated comment above other
    findings; `regress` adds a job whose interval is never cleared (one A403)."""
    repo = tmp_path_factory.mktemp("repo")
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(BACKEND, repo / "app", ignore=shutil.ignore_patterns("node_modules"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "tag", "base")
    schema = repo / "app" / "prisma" / "schema.prisma"
    text = schema.read_text()
    schema.write_text(text.replace("  comments Comment[]\n}", "  comments Comment[]\n\n  @@index([isbn])\n}", 1))
    assert schema.read_text() != text
    service = repo / "app" / "src" / "services" / "readList.service.ts"
    service.write_text("// Read lists: the heart of the app.\n\n" + service.read_text())
    git(repo, "commit", "-q", "-am", "add the isbn index")
    git(repo, "tag", "fix")
    (repo / "app" / "src" / "jobs" / "poller.ts").write_text(
        "export function startPolling() {\n  setInterval(() => console.log('tick'), 1000);\n}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "poll")
    git(repo, "tag", "regress")
    # Uncommitted work in the tree must stay exactly as it is.
    (repo / "app" / "src" / "scratch.ts").write_text("export const wip = 1;\n")
    (repo / "app" / "README.md").write_text("changed, not committed\n")
    return repo


def run_diff(capsys, repo, *args):
    cwd = os.getcwd()
    os.chdir(repo / "app")
    try:
        code = main(["diff", *args])
    finally:
        os.chdir(cwd)
    out, err = capsys.readouterr()
    return code, out, err


def test_fix_commit_fixes_the_index_finding(repo, capsys):
    code, out, _ = run_diff(capsys, repo, "base", "fix", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert (d["before"]["findings"], d["after"]["findings"]) == (30, 29)
    assert [(f["code"], f["path"]) for f in d["fixed"]] == [("P105", "prisma/schema.prisma")]
    assert d["introduced"] == [] and d["unchanged"] == 29
    p105 = next(r for r in d["per_rule"] if r["code"] == "P105")
    assert p105 == {"code": "P105", "fixed": 1, "introduced": 0, "unchanged": 4, "before": 5, "after": 4}
    assert d["path"] == "app"


def test_regression_commit_introduces_one(repo, capsys):
    code, out, _ = run_diff(capsys, repo, "fix", "regress", "--format", "json", "--fail-on-introduced")
    assert code == 1
    d = json.loads(out)
    assert d["fixed"] == []
    assert [(f["code"], f["path"], f["line"]) for f in d["introduced"]] == [("A403", "src/jobs/poller.ts", 2)]


def test_text_and_markdown(repo, capsys):
    code, out, _ = run_diff(capsys, repo, "base", "regress")
    assert code == 0
    assert "30 findings -> regress" in out and "1 fixed, 1 introduced, 29 unchanged" in out
    assert "fixed:\n  prisma/schema.prisma:" in out and "introduced:\n  src/jobs/poller.ts:2: A403" in out
    code, out, _ = run_diff(capsys, repo, "base", "regress", "--format", "markdown")
    assert "| P105 | 5 | 4 | 1 | 0 | 4 |" in out and "| A403 | 1 | 2 | 0 | 1 | 1 |" in out
    assert "### Introduced" in out


def test_working_tree_untouched(repo, capsys):
    before = git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"), git(repo, "stash", "list")
    run_diff(capsys, repo, "base", "fix")
    after = git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"), git(repo, "stash", "list")
    assert before == after
    assert (repo / "app" / "README.md").read_text() == "changed, not committed\n"
    assert (repo / "app" / "src" / "scratch.ts").exists()


@pytest.mark.parametrize("refs, problem", [
    (["base", "nope"], "unknown git ref: nope"), (["--output=/tmp/x", "base"], "not a git ref"),
])
def test_bad_refs(repo, capsys, refs, problem):
    code, _, err = run_diff(capsys, repo, *(["--"] + refs if refs[0].startswith("-") else refs))
    assert code == 2 and problem in err


def test_not_a_repository(tmp_path, capsys):
    code = main(["diff", "HEAD~1", "HEAD", str(tmp_path)])
    assert code == 2
    assert "not a git repository" in capsys.readouterr().err.lower()
