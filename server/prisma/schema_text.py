"""Reading Prisma schema text: identifiers, a string-aware bracket scanner,
attribute arguments and lists. Shared by the parser and the data model."""

from __future__ import annotations

import json
import re

BLOCK_KINDS = ("model", "view", "type", "enum", "datasource", "generator")
MODEL_KINDS = ("model", "view", "type")

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_IDENT_RE = re.compile(_IDENT)
_ATTR_NAME_RE = re.compile(_IDENT + r"(?:\." + _IDENT + r")*")
_HEADER_RE = re.compile(r"[ \t]*(model|view|type|enum|datasource|generator)[ \t]+(" + _IDENT + r")[ \t]*\{")
_TOP_RE = re.compile(r"(model|view|type|enum|datasource|generator)\b[ \t]*(" + _IDENT + r")?[ \t]*(\{)?")
# A continuation line of a multi-line attribute never looks like a field
# (`name Type`), a block attribute or an assignment (`key = value`).
_NOT_CONTINUATION_RE = re.compile(r"[ \t]*(?:@@|" + _IDENT + r"[ \t]+[A-Za-z_]|" + _IDENT + r"[ \t]*=)")
_NAMED_ARG_RE = re.compile(r"\s*(" + _IDENT + r")\s*:(?!:)")
_ASSIGN_RE = re.compile(r"(" + _IDENT + r")[ \t]*=[ \t]*")
_WS = " \t\x0b\x0c"
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")", "]", "}"}


def _u(s: str) -> str:
    """Latin-1 view of UTF-8 bytes -> real text."""
    return s.encode("latin-1").decode("utf-8", errors="replace")


def _unquote(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip()
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        inner = v[1:-1]
        try:
            return json.loads(v)
        except ValueError:
            return inner
    return v


def _scan(text: str):
    """(index, character, bracket depth before it) of every character
    outside string literals."""
    depth = 0
    in_str = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if in_str:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        else:
            yield i, ch, depth
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE:
                depth = max(0, depth - 1)
        i += 1


def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split at `sep` outside strings and brackets."""
    parts: list[str] = []
    cur = 0
    for i, ch, depth in _scan(text):
        if ch == sep and depth == 0:
            parts.append(text[cur:i])
            cur = i + 1
    parts.append(text[cur:])
    return parts


def _parse_args(args: str) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    named: dict[str, str] = {}
    if not args.strip():
        return positional, named
    for part in _split_top(args):
        m = _NAMED_ARG_RE.match(part)
        if m:
            named.setdefault(m.group(1), part[m.end():].strip())
        elif part.strip():
            positional.append(part.strip())
    return positional, named


def _parse_list(value: str) -> tuple[str, ...]:
    v = value.strip()
    if not v.startswith("["):
        return ()
    # cut at the matching "]"
    end = next((i for i, ch, depth in _scan(v) if ch in _CLOSE and depth == 1), len(v))
    items: list[str] = []
    for item in _split_top(v[1:end]):
        item = item.strip()
        if not item:
            continue
        m = re.match(_IDENT + r"(?:\." + _IDENT + r")*", item)
        if m:
            items.append(m.group(0))
        elif item.startswith('"'):
            items.append(_unquote(item) or "")
        else:
            items.append(item)
    return tuple(items)
