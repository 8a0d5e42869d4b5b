"""How a file lays out its code, so that a fix writes code that looks like
its surroundings: the indentation unit, the indentation of a line, moving a
multi-line snippet to another depth, and the line width the code keeps to."""

from __future__ import annotations

import math

# Used when the file gives no better answer.
DEFAULT_UNIT = "  "
MIN_WIDTH = 80


def line_indent(data: bytes, offset: int) -> str:
    """The leading whitespace of the line `offset` is on."""
    start = data.rfind(b"\n", 0, offset) + 1
    i = start
    while i < len(data) and data[i] in (0x20, 0x09):
        i += 1
    return data[start:i].decode("utf-8")


def indent_unit(data: bytes) -> str:
    """One level of indentation in this file: a tab, or the greatest common
    step of its space indents (2 or 4, usually)."""
    widths = []
    tabs = 0
    for line in data.split(b"\n"):
        stripped = line.lstrip(b" \t")
        if not stripped.strip() or stripped.startswith((b"*", b"//")):
            continue  # blank lines and comment continuations say nothing
        lead = line[: len(line) - len(stripped)]
        if lead.startswith(b"\t"):
            tabs += 1
        elif lead:
            widths.append(len(lead))
    if tabs > len(widths):
        return "\t"
    step = 0
    for w in widths:
        step = math.gcd(step, w)
    return " " * step if 2 <= step <= 8 else DEFAULT_UNIT


def reindent(text: str, old: str, new: str) -> str:
    """`text` whose lines after the first sit under indentation `old`, moved
    under `new` (the first line is placed by the caller)."""
    lines = text.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        if not line.strip():
            out.append(line.strip(" \t"))
        elif line.startswith(old):
            out.append(new + line[len(old):])
        else:  # less indented than expected: keep its own indentation
            out.append(line)
    return "\n".join(out)


def line_width(data: bytes, start: int, end: int) -> int:
    """The longest line in [start, end), at least MIN_WIDTH: the width
    code there keeps to."""
    first = data.rfind(b"\n", 0, start) + 1
    last = data.find(b"\n", end)
    chunk = data[first: len(data) if last < 0 else last].decode("utf-8", errors="replace")
    return max([MIN_WIDTH, *(len(line.rstrip("\r")) for line in chunk.split("\n"))])
