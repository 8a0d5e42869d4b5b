"""What a rule reports: findings, fixes and edits, in byte offsets.

Every range is (path, start byte, end byte) in the UTF-8 text of that file;
front ends convert to LSP positions once, at the boundary.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass


class Severity(enum.IntEnum):
    # Ordered so that `>=` means "at least as severe".
    HINT = 1
    INFORMATION = 2
    WARNING = 3
    ERROR = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> "Severity":
        key = value.strip().upper()
        aliases = {"INFO": "INFORMATION", "WARN": "WARNING"}
        return cls[aliases.get(key, key)]


class Applicability(str, enum.Enum):
    """The fix contract, as Ruff states it.

    SAFE keeps behaviour and is applied by fix-all and `--fix`; UNSAFE may
    change what the code returns or does (the user must look), applied only
    with `--unsafe-fixes` or one at a time; DISPLAY_ONLY is shown, never
    applied in bulk.
    """

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True)
class Edit:
    path: str
    start: int
    end: int
    new_text: str


@dataclass(frozen=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]
    # Commands the user still has to run once the fix is applied
    # (`npm install`, `npx prisma migrate dev --name ...`).
    then: tuple[str, ...] = ()


@dataclass(frozen=True)
class Related:
    path: str
    start: int
    end: int
    message: str


@dataclass(frozen=True)
class Finding:
    code: str
    path: str
    start: int
    end: int
    message: str
    severity: Severity = Severity.WARNING
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()
    # Filled by the engine from the rule's metadata.
    name: str = ""

    def sort_key(self):
        return (self.path, self.start, self.code, self.message)


def shift(f: Finding, path: str, edit) -> Finding | None:
    """`f` moved past an edit of `path` (`edit.start`, `.old_end`, `.new_end`:
    bytes of the text before it): its range when it lies in `path`, its
    related ranges and fix edits that do; None when the edit touched its range."""
    delta = edit.new_end - edit.old_end

    def moved(start: int, end: int) -> tuple[int, int] | None:
        if end < edit.start or (end == edit.start and start < end):
            return start, end
        if start >= edit.old_end:
            return start + delta, end + delta
        return None

    def moved_item(item):
        """A related range or a fix edit, moved when it lies in `path`; None when the edit touched it."""
        if item.path != path:
            return item
        span = moved(item.start, item.end)
        return dataclasses.replace(item, start=span[0], end=span[1]) if span is not None else None

    span = moved(f.start, f.end) if f.path == path else (f.start, f.end)
    if span is None:
        return None
    related = [r for r in map(moved_item, f.related) if r is not None]
    fixes = []
    for fix in f.fixes:
        edits = [moved_item(e) for e in fix.edits]
        if None not in edits:  # a fix with an edit the user's edit touched goes whole
            fixes.append(dataclasses.replace(fix, edits=tuple(edits)))
    return dataclasses.replace(f, start=span[0], end=span[1], related=tuple(related), fixes=tuple(fixes))
