"""Text, bytes and positions.

The engine works in UTF-8 byte offsets (what tree-sitter uses). LSP positions
are (line, character) where character counts UTF-16 code units by default, or
UTF-8 bytes / UTF-32 code points when the client negotiates them. The
conversion happens once, at the boundary, through a `LineIndex`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def decode_source(raw: bytes) -> str | None:
    """Decode a source file the way editors do; None when it is not text.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are accepted. A NUL byte
    in UTF-8 data means a binary file.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in raw:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _units(chunk: bytes, encoding: str) -> int:
    if encoding == UTF8:
        return len(chunk)
    text = chunk.decode("utf-8", errors="replace")
    if encoding == UTF32:
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@dataclass(frozen=True)
class Position:
    line: int
    character: int


class LineIndex:
    """Maps UTF-8 byte offsets of one text to LSP positions and back.

    Lines end at `\\n`, `\\r\\n` or a lone `\\r`, as LSP says.
    """

    def __init__(self, data: bytes):
        self.data = data
        # The scan runs in the regex engine: a Python loop over the bytes
        # cost the CLI a second and a half per 30 MB of findings' files.
        self.line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(data)]

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset) - 1

    def line_end(self, line: int) -> int:
        """Byte offset of the end of `line`'s content (before its line break)."""
        if line + 1 < len(self.line_starts):
            end = self.line_starts[line + 1]
            if end > 0 and self.data[end - 1] == 0x0A:
                end -= 1
            if end > 0 and self.data[end - 1] == 0x0D:
                end -= 1
            return end
        return len(self.data)

    def line_text(self, line: int) -> str:
        return self.data[self.line_starts[line] : self.line_end(line)].decode("utf-8", errors="replace")

    def position(self, offset: int, encoding: str = UTF16) -> Position:
        offset = max(0, min(offset, len(self.data)))
        line = self.line_of(offset)
        start = self.line_starts[line]
        offset = min(offset, self.line_end(line))
        # Never split a UTF-8 sequence: back up to a character boundary.
        while start < offset < len(self.data) and (self.data[offset] & 0xC0) == 0x80:
            offset -= 1
        return Position(line, _units(self.data[start:offset], encoding))

    def offset(self, line: int, character: int, encoding: str = UTF16) -> int:
        """Byte offset of an LSP position; clamps past-the-end positions."""
        if line < 0:
            return 0
        if line >= len(self.line_starts):
            return len(self.data)
        start, end = self.line_starts[line], self.line_end(line)
        if encoding == UTF8:
            pos = min(start + max(character, 0), end)
            while pos > start and pos < len(self.data) and (self.data[pos] & 0xC0) == 0x80:
                pos -= 1
            return pos
        text = self.data[start:end].decode("utf-8", errors="replace")
        units = 0
        consumed = 0
        for ch in text:
            width = 1 if encoding == UTF32 or ord(ch) <= 0xFFFF else 2
            if units + width > character:
                break
            units += width
            consumed += len(ch.encode("utf-8"))
        return start + consumed
