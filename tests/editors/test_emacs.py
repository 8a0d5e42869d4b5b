"""Emacs with Eglot (Debian's emacs-nox + elpa-eglot), in batch mode, with
editors/emacs/perfaudit.el: perfaudit's diagnostics reach flymake on the
example backend with the right codes and lines, and a quick fix applied
through `eglot-code-actions` changes the buffer and clears its diagnostic.
Skips when Emacs or Eglot is missing (`.ci/install-editors.sh` installs them)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from editor_support import (
    EDITOR_TIMEOUT, FIX_CODE, FIX_LINE, FIX_TITLE, FIXED_TEXT, REPO, TARGET,
    copy_backend, expected_findings, find_executable, server_command,
)

EMACS = find_executable("emacs", "PERFAUDIT_EMACS")
CHECK = Path(__file__).with_name("emacs_check.el")


def _has_eglot() -> str | None:
    """None when this Emacs loads eglot, else why not."""
    if EMACS is None:
        return "Emacs not found (apt-get install emacs-nox elpa-eglot, or .ci/install-editors.sh)"
    try:
        proc = subprocess.run(
            [EMACS, "--batch", "--eval", "(progn (require 'eglot) (princ emacs-version))"],
            capture_output=True, text=True, timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{EMACS} does not run: {exc}"
    if proc.returncode != 0:
        return f"Emacs at {EMACS} has no eglot (apt-get install elpa-eglot): {proc.stderr.strip()[-300:]}"
    return None


SKIP = _has_eglot()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=SKIP or "")


def _run(tmp_path: Path, target: str, fix_code: str, fix_line: int, fix_title: str) -> dict:
    """Open `target` of a copy of the backend in Emacs + Eglot, apply the fix; what it saw."""
    backend = copy_backend(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    out = tmp_path / "result.json"
    expected = expected_findings(target)
    assert (fix_line, fix_code) in expected
    env = {
        **os.environ,
        "HOME": str(home),
        "PERFAUDIT_PLUGIN": str(REPO / "editors" / "emacs"),
        "PERFAUDIT_OUT": str(out),
        "PERFAUDIT_CMD": json.dumps(server_command()),
        "PERFAUDIT_EXPECT": ",".join(f"{line}:{code}" for line, code in expected),
        "PERFAUDIT_FIX_CODE": fix_code,
        "PERFAUDIT_FIX_LINE": str(fix_line),
        "PERFAUDIT_FIX_TITLE": fix_title,
    }
    started = time.monotonic()
    try:
        # No -Q: on Emacs 28 it hides Debian's eglot (site-lisp). HOME is empty, so no init file runs.
        proc = subprocess.run(
            [EMACS, "--batch", "-l", str(CHECK), target],
            cwd=backend, env=env, capture_output=True, text=True, timeout=EDITOR_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"emacs did not finish in {EDITOR_TIMEOUT} s\nstderr: {exc.stderr}")
    took = time.monotonic() - started
    result = json.loads(out.read_text()) if out.exists() else {}
    context = (
        f"emacs exit {proc.returncode} after {took:.1f} s: {result.get('error')}\n"
        f"steps: {result.get('steps')}\nstderr: {proc.stderr[-3000:]}\n"
        f"eglot events:\n{result.get('events', '(none)')}"
    )
    assert proc.returncode == 0 and result.get("ok") is True, context
    before = sorted((d["line"], d["code"]) for d in result["before"])
    assert before == expected, context
    assert any(fix_title in t for t in result["titles"]), result["titles"]
    assert fix_code not in {d["code"] for d in result["after"]}, result["after"]
    assert result["modified"] is True
    return result


def test_emacs_eglot_diagnostics_and_quick_fix(tmp_path: Path) -> None:
    result = _run(tmp_path, TARGET, FIX_CODE, FIX_LINE, FIX_TITLE)
    p104 = next(d for d in result["before"] if d["code"] == FIX_CODE)
    assert (p104["line"], p104["col"]) == (FIX_LINE, 14), p104
    assert p104["type"] == "eglot-warning", p104
    text = result["text"]
    assert FIXED_TEXT in text and "await tx.readListItem.create({" not in text, text
    assert "await tx.readListItem.create({" in (REPO / "examples/backend" / TARGET).read_text()


def test_emacs_cross_file_findings(tmp_path: Path) -> None:
    """R201 on book.service.ts needs RedisService.set of another file: it comes
    after the server's workspace scan, without an edit."""
    result = _run(tmp_path, "src/services/book.service.ts", "R201", 52, "Pass a TTL")
    assert "await cache.set(key, book, 300);" in result["text"].splitlines()[51]
