"""The progress line: on a terminal, after a second, files read then files
checked, erased at the end; nothing in a pipe, in CI or for --format json."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from perfaudit.server.cli import progress as progress_module
from perfaudit.server.cli.progress import Progress, Quiet, for_output

BACKEND = Path(__file__).resolve().parents[1] / "examples" / "backend"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_nothing_in_the_first_second_then_counts_then_erased():
    out, clock = io.StringIO(), Clock()
    p = Progress(out, clock)
    p.read("a.ts")
    clock.now = 0.5
    p.read("b.ts")
    assert out.getvalue() == ""
    clock.now = 1.2
    p.read("c.ts")
    assert out.getvalue() == "\rperfaudit: reading files... 3"
    clock.now = 1.25
    p.read("d.ts")  # within the redraw interval: not drawn
    clock.now = 1.5
    p.checked(4, 4)
    assert out.getvalue().endswith("\rperfaudit: checking 4/4 files")
    p.close()
    assert out.getvalue().endswith("\r" + " " * len("perfaudit: checking 4/4 files") + "\r")


def test_a_short_run_writes_nothing():
    out = io.StringIO()
    p = Progress(out, Clock())
    for i in range(100):
        p.read(f"{i}.ts")
    p.checked(100, 100)
    p.close()
    assert out.getvalue() == ""


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_only_on_a_terminal_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert progress_module.wanted(Tty()) and not progress_module.wanted(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not progress_module.wanted(Tty())
    monkeypatch.delenv("CI")
    monkeypatch.setattr(sys, "stderr", Tty())
    assert isinstance(for_output(machine_readable=False), Progress)
    assert isinstance(for_output(machine_readable=True), Quiet)


def _check_on_a_terminal(*args: str) -> tuple[bytes, bytes]:
    """`perfaudit check` with stderr on a pseudo-terminal, the delay at 0: (stdout, stderr)."""
    main, secondary = pty.openpty()
    code = ("import sys; import perfaudit.server.cli.progress as p; p.DELAY = 0; "
            "from perfaudit.command_line import main; sys.exit(main(sys.argv[1:]))")
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"TERM": "xterm"}
    proc = subprocess.run([sys.executable, "-c", code, "check", *args, str(BACKEND)], stdout=subprocess.PIPE,
                          stderr=secondary, env=env, timeout=120)
    os.close(secondary)
    err = b""
    try:
        while chunk := os.read(main, 65536):
            err += chunk
    except OSError:
        pass
    os.close(main)
    return proc.stdout, err


def test_check_on_a_terminal_shows_progress_on_stderr_only():
    out, err = _check_on_a_terminal()
    assert b"perfaudit: checking" in err and b"files" in err
    assert b"\r" not in out and b"checking" not in out


def test_no_progress_for_json_even_on_a_terminal():
    out, err = _check_on_a_terminal("--format", "json")
    assert b"checking" not in err and b"reading" not in err
    assert out.startswith(b"{")
