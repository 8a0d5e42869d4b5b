"""Suppression comments (RULES.md, "Suppressions").

    // perfaudit-ignore-next-line P104, R201 -- the batch is at most 3 items
    // perfaudit-ignore-file P101

`ignore-next-line` applies to the next line that is not itself such a
comment (so several can stack); `ignore-file` only counts in the leading
comment block of the file, before the first line of code. No code means
every rule. Codes may be separated by commas or spaces, rule names work as
well as codes, and anything after ` -- ` is a reason for humans. The same
`//` syntax holds in `.prisma` schema files.

Codes that name no rule are not dropped: `codes_with_ranges` gives the byte
range of every code so that the engine reports unknown ones (X001).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from perfaudit.server import registry
from perfaudit.server.analysis.text import LineIndex

NEXT_LINE = "next-line"
FILE = "file"

_DIRECTIVE = re.compile(rb"^[ \t]*//[ \t]*perfaudit-ignore-(next-line|file)(?![\w-])")
_TOKEN = re.compile(rb"[^\s,]+")


@dataclass(frozen=True)
class Directive:
    kind: str  # NEXT_LINE or FILE
    line: int  # 0-based line of the comment
    start: int  # byte range of the comment
    end: int
    # (start byte, end byte, code) of each code written; empty = every rule.
    codes: tuple[tuple[int, int, str], ...]
    # The line it suppresses (NEXT_LINE), None for FILE.
    target: int | None = None
    # An ignore-file below the first line of code does nothing.
    active: bool = True

    @property
    def all_codes(self) -> bool:
        return not self.codes

    @property
    def code_set(self) -> frozenset[str]:
        return frozenset(code for _, _, code in self.codes)


@dataclass
class Suppressions:
    directives: list[Directive] = field(default_factory=list)
    # line -> codes suppressed on it (None: all)
    _lines: dict[int, set[str] | None] = field(default_factory=dict)
    _file_codes: set[str] | None = field(default_factory=set)  # None: all

    def is_suppressed(self, code: str, line0: int) -> bool:
        """Whether a finding of `code` starting on 0-based `line0` is suppressed."""
        if self._file_codes is None or code in self._file_codes:
            return True
        if line0 in self._lines:
            codes = self._lines[line0]
            return codes is None or code in codes
        return False

    @property
    def codes_with_ranges(self) -> list[tuple[int, int, str]]:
        """Every code in a suppression comment: (start byte, end byte, code).

        Codes that name a rule (by code or name, any case) are given as the
        rule's code; the others as written, so `code not in all_rules()`
        tells the unknown ones.
        """
        return [c for d in self.directives for c in d.codes]

    def unknown_codes(self) -> list[tuple[int, int, str]]:
        known = registry.all_rules()
        return [c for c in self.codes_with_ranges if c[2] not in known]

    @property
    def suppresses_file(self) -> bool:
        return self._file_codes is None

    def _add(self, directive: Directive) -> None:
        self.directives.append(directive)
        if not directive.active:
            return
        codes = None if directive.all_codes else set(directive.code_set)
        if directive.kind == FILE:
            if codes is None or self._file_codes is None:
                self._file_codes = None
            else:
                self._file_codes |= codes
            return
        line = directive.target
        if line is None:
            return
        if line in self._lines:
            old = self._lines[line]
            self._lines[line] = None if old is None or codes is None else old | codes
        else:
            self._lines[line] = codes


def _resolve(token: str) -> str:
    rule = registry.by_name_or_code(token)
    return rule.code if rule is not None else token


def _parse_codes(data: bytes, start: int, end: int) -> tuple[tuple[int, int, str], ...]:
    """Codes in data[start:end], stopping at a ` -- reason`."""
    rest = data[start:end]
    reason = re.search(rb"(?:^|\s)--(?:\s|$)", rest)
    if reason:
        rest = rest[: reason.start()]
    out = []
    for m in _TOKEN.finditer(rest):
        token = m.group().decode("utf-8", errors="replace")
        out.append((start + m.start(), start + m.end(), _resolve(token)))
    return tuple(out)


def _is_code_line(content: bytes, in_block: bool) -> tuple[bool, bool]:
    """(whether the line holds code, whether a block comment is still open after it)."""
    s = content.strip()
    i = 0
    while True:
        if in_block:
            j = s.find(b"*/", i)
            if j == -1:
                return False, True
            i = j + 2
            in_block = False
        rest = s[i:].lstrip()
        if not rest:
            return False, False
        if rest.startswith(b"//") or rest.startswith(b"#!"):
            return False, False
        if rest.startswith(b"/*"):
            i = len(s) - len(rest) + 2
            in_block = True
            continue
        return True, False


def parse_suppressions(text: str | bytes) -> Suppressions:
    data = text.encode("utf-8") if isinstance(text, str) else text
    result = Suppressions()
    if b"perfaudit-ignore" not in data:
        return result
    index = LineIndex(data)
    n = index.line_count
    in_header = True
    in_block = False
    pending: list[tuple[int, int, int, tuple]] = []  # stacked next-line comments
    for line in range(n):
        start, end = index.line_starts[line], index.line_end(line)
        content = data[start:end]
        m = _DIRECTIVE.match(content)
        if m:
            codes = _parse_codes(data, start + m.end(), end)
            kind = FILE if m.group(1) == b"file" else NEXT_LINE
            comment_start = start + content.index(b"//")
            if kind == FILE:
                result._add(Directive(FILE, line, comment_start, end, codes, None, active=in_header))
            else:
                pending.append((line, comment_start, end, codes))
            continue
        for p_line, p_start, p_end, p_codes in pending:
            result._add(Directive(NEXT_LINE, p_line, p_start, p_end, p_codes, target=line))
        pending = []
        if in_header:
            is_code, in_block = _is_code_line(content, in_block)
            if is_code:
                in_header = False
    for p_line, p_start, p_end, p_codes in pending:  # at the end of the file: nothing below
        result._add(Directive(NEXT_LINE, p_line, p_start, p_end, p_codes, target=None))
    return result


def _line_ending(data: bytes) -> bytes:
    i = data.find(b"\n")
    j = data.find(b"\r")
    if j != -1 and (i == -1 or j < i):
        return b"\r\n" if data[j : j + 2] == b"\r\n" else b"\r"
    return b"\n"


def suppression_comment_edit(text: str | bytes, line0: int, code: str) -> tuple[int, str] | None:
    """The insertion that suppresses `code` on `line0`: (UTF-8 byte offset, text).

    Adds `CODE` to a `perfaudit-ignore-next-line` comment right above the
    line when there is one, else inserts a new comment line above it with
    the same indentation and the file's line ending. None when the line is
    already suppressed for that code.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    index = LineIndex(data)
    line0 = max(0, min(line0, index.line_count - 1))
    if line0 > 0:
        above_start, above_end = index.line_starts[line0 - 1], index.line_end(line0 - 1)
        above = data[above_start:above_end]
        m = _DIRECTIVE.match(above)
        if m and m.group(1) == b"next-line":
            codes = _parse_codes(data, above_start + m.end(), above_end)
            if not codes or code in {c for _, _, c in codes}:
                return None
            last_end = codes[-1][1]
            return last_end, f", {code}"
    start = index.line_starts[line0]
    content = data[start : index.line_end(line0)]
    indent = content[: len(content) - len(content.lstrip(b" \t"))].decode("utf-8")
    eol = _line_ending(data).decode("ascii")
    return start, f"{indent}// perfaudit-ignore-next-line {code}{eol}"
