"""Edits that add dependencies to a package.json, written the way the file
is: its indentation, its key order (each new key where npm would sort it),
its line endings. The text must be JSON; anything else gets no edit."""

from __future__ import annotations

import json

from perfaudit.server.findings import Edit


def _skip_string(text: str, i: int) -> int:
    """Index just past the JSON string starting at text[i] == '"'."""
    i += 1
    while text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return i + 1


def _members(text: str, open_at: int) -> tuple[list[tuple[str, int, int]], int]:
    """The members of the object whose `{` is at `open_at`: (key, key start,
    value end) each, and the index of its `}`."""
    members: list[tuple[str, int, int]] = []
    depth, i, key, key_at = 0, open_at, None, 0
    while True:
        c = text[i]
        if c == '"':
            end = _skip_string(text, i)
            if depth == 1 and key is None:
                key, key_at = json.loads(text[i:end]), i
            i = end
            continue
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                if key is not None:
                    members.append((key, key_at, _value_end(text, i)))
                return members, i
        elif c == "," and depth == 1 and key is not None:
            members.append((key, key_at, _value_end(text, i)))
            key = None
        i += 1


def _value_end(text: str, stop: int) -> int:
    """The end of the value before `stop` (a `,` or `}`), trailing space left out."""
    end = stop
    while text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _indent_before(text: str, at: int) -> str:
    start = text.rfind("\n", 0, at) + 1
    return text[start:at] if not text[start:at].strip() else ""


def add_dependencies(path: str, text: str, wanted: dict[str, dict[str, str]]) -> list[Edit]:
    """Edits adding `wanted` ({"dependencies": {"compression": "^1.8.0"}, ...})
    to the package.json `text` at `path`; nothing for a name already there."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    top_open = text.index("{")
    top, top_close = _members(text, top_open)
    newline = "\r\n" if "\r\n" in text else "\n"
    unit = (_indent_before(text, top[0][1]) if top else "") or "  "
    edits: list[tuple[int, str]] = []
    for section, packages in wanted.items():
        have = data.get(section)
        missing = {n: v for n, v in packages.items() if not (isinstance(have, dict) and n in have)}
        if not missing or (have is not None and not isinstance(have, dict)):
            continue
        if have is None:
            # A new section at the end of the top-level object.
            body = f",{newline}".join(f'{unit}{unit}{json.dumps(n)}: {json.dumps(v)}' for n, v in sorted(missing.items()))
            block = f"{json.dumps(section)}: {{{newline}{body}{newline}{unit}}}"
            if top:
                edits.append((top[-1][2], f",{newline}{unit}{block}"))
            else:
                edits.append((top_open + 1, f"{newline}{unit}{block}{newline}"))
            continue
        key_at = next(k for name, k, _ in top if name == section)
        open_at = text.index("{", key_at + len(json.dumps(section)))
        members, close_at = _members(text, open_at)
        inner = (_indent_before(text, members[0][1]) if members else "") or _indent_before(text, key_at) + unit
        for name, version in sorted(missing.items()):
            entry = f"{json.dumps(name)}: {json.dumps(version)}"
            after = next((m for m in members if m[0] > name), None)
            if after is not None:
                edits.append((after[1], f"{entry},{newline}{inner}"))
            elif members:
                edits.append((members[-1][2], f",{newline}{inner}{entry}"))
            else:
                edits.append((open_at + 1, f"{newline}{inner}{entry}{newline}{_indent_before(text, key_at)}"))
    # One insertion per point (two at the same point have no order); offsets
    # are characters so far, Edit wants UTF-8 bytes.
    merged: dict[int, str] = {}
    for at, new in edits:
        merged[at] = merged.get(at, "") + new
    return [Edit(path, len(text[:at].encode("utf-8")), len(text[:at].encode("utf-8")), new) for at, new in sorted(merged.items())]
