"""Before and after: the findings of two git refs of a workspace, compared.

Each ref is read with `git archive REF` into a temporary directory (the
working tree, the index and HEAD are never touched), analysed there with
that ref's own configuration, and the two sets of findings are matched with
the baseline's keys (rule, relative file, fingerprint of the code around it).
Nothing of the workspace is ever run: the files are only parsed.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass

from perfaudit.server.cli.baseline import Comparison, Key, compare, keys_of


class GitError(Exception):
    """git is missing, the directory is not in a repository, or a ref is unknown."""


def _git(cwd: str, *args: str, binary: bool = False) -> bytes | str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"})
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {' '.join(args)} failed ({proc.returncode})")
    return proc.stdout if binary else proc.stdout.decode("utf-8", errors="replace").strip()


def repo_of(path: str) -> tuple[str, str]:
    """(top level of the repository holding `path`, `path` relative to it, '' at the top)."""
    path = os.path.abspath(path)
    top = _git(path, "rev-parse", "--show-toplevel")
    prefix = _git(path, "rev-parse", "--show-prefix")
    return top, prefix.rstrip("/")


def resolve_ref(top: str, ref: str) -> str:
    """The commit id of `ref`; refuses option-like refs."""
    if not ref or ref.startswith("-"):
        raise GitError(f"not a git ref: {ref!r}")
    try:
        return _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except GitError:
        raise GitError(f"unknown git ref: {ref}") from None


def export_ref(top: str, commit: str, prefix: str, dest: str) -> str:
    """Extract the tree of `commit` (only `prefix` when given) into `dest`;
    returns the directory that corresponds to `prefix`."""
    args = ["archive", "--format=tar", commit]
    if prefix:
        args += ["--", prefix]
    data = _git(top, *args, binary=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        tar.extractall(dest, filter="data")  # no absolute paths, no links out of dest, no devices
    out = os.path.join(dest, prefix) if prefix else dest
    os.makedirs(out, exist_ok=True)
    return out


@dataclass(frozen=True)
class Item:
    """A finding as shown after its temporary checkout is gone."""

    code: str
    path: str  # relative to the workspace root
    line: int  # 1-based
    message: str
    severity: str

    def to_json(self) -> dict:
        return {"code": self.code, "path": self.path, "line": self.line, "severity": self.severity,
                "message": self.message}


@dataclass
class RefAnalysis:
    ref: str
    commit: str
    keys: list[tuple[Key, object]]
    count: int


@dataclass
class RefDiff:
    before: RefAnalysis
    after: RefAnalysis
    comparison: Comparison
    prefix: str


def analyze_ref(top: str, prefix: str, ref: str, load_config, select_paths=None) -> RefAnalysis:
    """Findings of the workspace at `ref`. `load_config(root)` gives the Config."""
    from perfaudit.server.engine import analyze

    commit = resolve_ref(top, ref)
    with tempfile.TemporaryDirectory(prefix="perfaudit-diff-") as tmp:
        root = export_ref(top, commit, prefix, tmp)
        result = analyze(root, None, load_config(root))
        keys = [(k, Item(k.code, k.path, result.workspace.line_index(f.path).line_of(f.start) + 1,
                         f.message, f.severity.label))
                for k, f in keys_of(result.findings, result.root, result.workspace)]
    return RefAnalysis(ref, commit, keys, len(keys))


def diff_refs(path: str, ref_a: str, ref_b: str, load_config) -> RefDiff:
    top, prefix = repo_of(path)
    before = analyze_ref(top, prefix, ref_a, load_config)
    after = analyze_ref(top, prefix, ref_b, load_config)
    return RefDiff(before, after, compare(before.keys, after.keys), prefix)
