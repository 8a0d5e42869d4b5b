"""Open documents: text and tree-sitter tree kept in step with each edit.

Each `didChange` is applied to the bytes and, for TypeScript/JavaScript, to
the tree with `Tree.edit`; the analysis re-parses it with that tree when it
needs one (`Document.parsed`), so tree-sitter reuses what did not change. A
change whose version is not newer than the document's is stale (a late or
duplicated message) and is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from bisect import bisect_right
from itertools import accumulate

import tree_sitter
from lsprotocol import types

from perfaudit.server.analysis.parsing import language_for, parse
from perfaudit.server.analysis.text import UTF16, LineIndex
from perfaudit.server.analysis.workspace import limit_problem


def fast_line_index(data: bytes) -> LineIndex:
    """A `LineIndex` whose line starts are found at C speed.

    `LineIndex.__init__` walks the bytes in Python; on every keystroke of a
    1,000-line file that alone costs milliseconds. `bytes.splitlines` breaks
    at `\n`, `\r\n` and a lone `\r`, as LSP does (4x faster than a regex
    on a 5 MB document).
    """
    index = LineIndex.__new__(LineIndex)
    index.data = data
    starts = [0, *accumulate(map(len, data.splitlines(keepends=True)))]
    if starts[-1] == len(data) and len(starts) > 1 and not data.endswith((b"\n", b"\r")):
        starts.pop()  # the last line has no break: it starts no new line
    index.line_starts = starts
    return index


_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def edited_line_index(old: LineIndex, data: bytes, start: int, end: int, inserted: int) -> LineIndex:
    """The line index of `data`, which is `old.data` with bytes [start, end)
    replaced by `inserted` bytes: only the lines around the edit are scanned
    again, the others shift (a keystroke in a 5 MB document costs
    milliseconds, not a rescan of 160,000 lines)."""
    starts = old.line_starts
    delta = inserted - (end - start)
    # From the line before the edit (a `\n` typed after a `\r` joins them) to
    # the first line that starts clear of it (its break is untouched too).
    first = max(0, bisect_right(starts, max(start - 1, 0)) - 1)
    k = bisect_right(starts, end + 1)
    region_start = starts[first]
    region_end = starts[k] + delta if k < len(starts) else len(data)
    middle = [region_start] + [m.end() for m in _LINE_BREAK.finditer(data, region_start, region_end) if m.end() < region_end]
    if k >= len(starts) and data.endswith((b"\n", b"\r")) and middle[-1] != len(data):
        middle.append(len(data))
    tail = [s + delta for s in starts[k:]] if delta else starts[k:]
    index = LineIndex.__new__(LineIndex)
    index.data = data
    index.line_starts = starts[:first] + middle + tail
    return index


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """tree-sitter's (row, byte column): rows end at `\\n` only."""
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return row, offset - line_start


@dataclass(frozen=True)
class TextEdit:
    """One applied change, in bytes of the text before it."""

    start: int
    old_end: int
    new_end: int


@dataclass
class Document:
    uri: str
    path: str
    version: int
    data: bytes
    language: str | None  # tree-sitter grammar; None for .prisma and others
    tree: tree_sitter.Tree | None = None
    tree_data: bytes | None = None  # the text `tree` is the parse of
    # The last tree with the edits since applied (`Tree.edit`), not parsed
    # yet: `parsed()` parses it when the analysis needs a tree. While an
    # edit leaves the syntax broken, tree-sitter's recovery can take 100 ms
    # and more on a long file; the analysis may not need the tree then.
    _edited: tuple | None = field(default=None, repr=False)  # (tree, the text it was edited to)
    analysed: object = None  # incremental.Analysed: what its last analysis saw and found
    skipped: str | None = None  # why the document is not analysed (the CLI's limits)
    _index: LineIndex | None = field(default=None, repr=False)

    @classmethod
    def open(cls, uri: str, path: str, version: int, text: str) -> "Document":
        # Not parsed here: the first analysis parses it, off the request path.
        doc = cls(uri, path, version, text.encode("utf-8"), language_for(path))
        doc.skipped = limit_problem(doc.data)
        return doc

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    @property
    def is_source(self) -> bool:
        return self.language is not None

    @property
    def is_schema(self) -> bool:
        return self.path.endswith(".prisma")

    @property
    def line_index(self) -> LineIndex:
        if self._index is None:
            self._index = fast_line_index(self.data)
        return self._index

    def apply(self, version: int, changes, encoding: str = UTF16) -> list[TextEdit] | None:
        """Apply a didChange; None when its version is stale (nothing changed)."""
        if version is not None and version <= self.version:
            return None
        edits: list[TextEdit] = []
        data = self.data
        # Edit a copy: the analysis may still be reading the old tree.
        tree = self._tree_in_step()
        tree = tree.copy() if tree is not None else None
        index = None
        for change in changes:
            new_text = change.text.encode("utf-8")
            if isinstance(change, types.TextDocumentContentChangeWholeDocument) or getattr(change, "range", None) is None:
                edits.append(TextEdit(0, len(data), len(new_text)))
                data, tree, index = new_text, None, None
                continue
            if index is None:
                index = fast_line_index(data) if data is not self.data else self.line_index
            start = index.offset(change.range.start.line, change.range.start.character, encoding)
            end = index.offset(change.range.end.line, change.range.end.character, encoding)
            if end < start:
                start, end = end, start
            new_data = data[:start] + new_text + data[end:]
            if tree is not None:
                tree.edit(
                    start_byte=start,
                    old_end_byte=end,
                    new_end_byte=start + len(new_text),
                    start_point=_point(data, start),
                    old_end_point=_point(data, end),
                    new_end_point=_point(new_data, start + len(new_text)),
                )
            edits.append(TextEdit(start, end, start + len(new_text)))
            index = edited_line_index(index, new_data, start, end, len(new_text))
            data = new_data
        self.data = data
        self._index = index
        if version is not None:
            self.version = version
        self.skipped = limit_problem(data)
        self._edited = (tree, data) if tree is not None and self.skipped is None else None
        return edits

    def _tree_in_step(self) -> tree_sitter.Tree | None:
        """A tree whose offsets match the text: parsed, or edited since."""
        if self.tree is not None and self.tree_data is self.data:
            return self.tree
        if self._edited is not None and self._edited[1] is self.data:
            return self._edited[0]
        return None

    def parsed(self) -> tree_sitter.Tree:
        """The tree of the current text: incrementally, from the edited tree,
        when there is one (milliseconds while the syntax holds)."""
        data = self.data
        if self.tree is None or self.tree_data is not data:
            edited = self._edited[0] if self._edited is not None and self._edited[1] is data else None
            self.tree, self.tree_data = parse(data, self.language, edited), data
            self._edited = None
        return self.tree


class Documents:
    """The open documents, by URI."""

    def __init__(self) -> None:
        self._by_uri: dict[str, Document] = {}

    def open(self, uri: str, path: str, version: int, text: str) -> Document:
        doc = Document.open(uri, path, version, text)
        self._by_uri[uri] = doc
        return doc

    def get(self, uri: str) -> Document | None:
        return self._by_uri.get(uri)

    def close(self, uri: str) -> Document | None:
        return self._by_uri.pop(uri, None)

    def by_path(self, path: str) -> Document | None:
        for doc in self._by_uri.values():
            if doc.path == path:
                return doc
        return None

    def __iter__(self):
        return iter(list(self._by_uri.values()))

    def __len__(self) -> int:
        return len(self._by_uri)
