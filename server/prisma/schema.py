"""Prisma schema files: a tolerant parser (discovery: `schema_discovery.py`).

The parser never raises. A broken block (half-typed model, missing `}`,
junk between blocks) is recorded in `SchemaFile.errors` and parsing goes on
with the rest of the file.

All offsets are UTF-8 byte offsets into `text.encode("utf-8")`. Internally the
parser works on the bytes decoded as latin-1, where one character is one byte,
so every index it computes is already a byte offset; extracted names and
argument texts are decoded back to real strings.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field as dc_field
from typing import Iterable


__all__ = [
    "SchemaAttribute",
    "SchemaField",
    "IndexDef",
    "Model",
    "EnumDef",
    "Datasource",
    "Generator",
    "SchemaFile",
    "Schema",
    "parse_schema_file",
]

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


# --------------------------------------------------------------------------
# Data model


@dataclass(frozen=True)
class SchemaAttribute:
    name: str
    args: str
    start: int
    end: int

    def _parsed(self) -> tuple[list[str], dict[str, str]]:
        return _parse_args(self.args)

    @property
    def positional_args(self) -> tuple[str, ...]:
        return tuple(self._parsed()[0])

    def named_arg(self, key: str) -> str | None:
        return self._parsed()[1].get(key)

    def list_arg(self, key: str | None = None) -> tuple[str, ...]:
        positional, named = self._parsed()
        if key is not None:
            value = named.get(key)
            return _parse_list(value) if value is not None else ()
        for p in positional:
            if p.startswith("["):
                return _parse_list(p)
        if "fields" in named:
            return _parse_list(named["fields"])
        return ()

    def string_arg(self, key: str | None = None) -> str | None:
        """Unquoted value of `key:`, or for None the first positional string."""
        positional, named = self._parsed()
        if key is not None:
            v = named.get(key)
            return _unquote(v) if v is not None and v.startswith('"') else None
        for p in positional:
            if p.startswith('"'):
                return _unquote(p)
        return None


@dataclass(frozen=True)
class SchemaField:
    name: str
    type: str
    is_list: bool
    is_optional: bool
    attributes: tuple[SchemaAttribute, ...]
    start: int
    end: int
    name_start: int
    name_end: int
    type_start: int = -1
    type_end: int = -1
    documentation: str = ""

    def attribute(self, name: str) -> SchemaAttribute | None:
        for a in self.attributes:
            if a.name == name:
                return a
        return None

    @property
    def is_id(self) -> bool:
        return self.attribute("id") is not None

    @property
    def is_unique(self) -> bool:
        return self.attribute("unique") is not None

    @property
    def relation(self) -> SchemaAttribute | None:
        return self.attribute("relation")

    @property
    def relation_fields(self) -> tuple[str, ...]:
        rel = self.relation
        return rel.list_arg("fields") if rel else ()

    @property
    def relation_references(self) -> tuple[str, ...]:
        rel = self.relation
        return rel.list_arg("references") if rel else ()

    @property
    def relation_name(self) -> str | None:
        rel = self.relation
        if rel is None:
            return None
        return rel.string_arg(None) or rel.string_arg("name")

    @property
    def db_name(self) -> str:
        m = self.attribute("map")
        if m is not None:
            return m.string_arg(None) or m.string_arg("name") or self.name
        return self.name

    @property
    def has_default(self) -> bool:
        return self.attribute("default") is not None

    @property
    def default(self) -> str | None:
        d = self.attribute("default")
        return d.args if d is not None else None

    @property
    def is_updated_at(self) -> bool:
        return self.attribute("updatedAt") is not None

    @property
    def is_ignored(self) -> bool:
        return self.attribute("ignore") is not None

    @property
    def native_type(self) -> SchemaAttribute | None:
        for a in self.attributes:
            if a.name.startswith("db."):
                return a
        return None


@dataclass(frozen=True)
class IndexDef:
    kind: str
    fields: tuple[str, ...]
    start: int
    end: int
    name: str | None

    @property
    def first_field(self) -> str | None:
        return self.fields[0] if self.fields else None

    def covers(self, fields: Iterable[str]) -> bool:
        """True when this index starts with `fields` (in any order of that prefix)."""
        wanted = list(fields)
        return bool(wanted) and set(self.fields[: len(wanted)]) == set(wanted)


@dataclass(frozen=True)
class Model:
    kind: str
    name: str
    path: str
    start: int
    end: int
    name_start: int
    name_end: int
    body_start: int
    body_end: int
    fields: tuple[SchemaField, ...]
    block_attributes: tuple[SchemaAttribute, ...]
    indexes: tuple[IndexDef, ...]
    db_name: str
    field_indent: str = "  "
    closed: bool = True
    documentation: str = ""

    @property
    def delegate(self) -> str:
        return self.name[:1].lower() + self.name[1:]

    def field(self, name: str) -> SchemaField | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def block_attribute(self, name: str) -> SchemaAttribute | None:
        for a in self.block_attributes:
            if a.name == name:
                return a
        return None

    @property
    def id_fields(self) -> tuple[str, ...]:
        for ix in self.indexes:
            if ix.kind == "id":
                return ix.fields
        return ()

    def has_index_starting_with(self, name: str) -> bool:
        return any(ix.fields and ix.fields[0] == name for ix in self.indexes)


@dataclass(frozen=True)
class EnumDef:
    name: str
    values: tuple[str, ...]
    path: str
    start: int
    end: int
    name_start: int = -1
    name_end: int = -1
    db_name: str = ""


@dataclass(frozen=True)
class Datasource:
    name: str
    provider: str | None
    url: str | None
    relation_mode: str | None
    path: str
    start: int
    end: int
    direct_url: str | None = None
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Generator:
    name: str
    provider: str | None
    output: str | None
    preview_features: tuple[str, ...]
    path: str
    start: int
    end: int
    engine_type: str | None = None
    properties: tuple[tuple[str, str], ...] = ()


@dataclass
class SchemaFile:
    path: str
    text: str
    models: list[Model] = dc_field(default_factory=list)
    enums: list[EnumDef] = dc_field(default_factory=list)
    datasources: list[Datasource] = dc_field(default_factory=list)
    generators: list[Generator] = dc_field(default_factory=list)
    errors: list[tuple[int, int, str]] = dc_field(default_factory=list)


# --------------------------------------------------------------------------
# Parser


class _Parser:
    def __init__(self, path: str, text: str):
        self.path = path
        self.src = text.encode("utf-8", errors="surrogatepass").decode("latin-1")
        self.n = len(self.src)
        self.out = SchemaFile(path=path, text=text)

    # -- low-level helpers -------------------------------------------------

    def error(self, start: int, end: int, message: str) -> None:
        self.out.errors.append((start, max(start, end), message))

    def line_end(self, pos: int, limit: int | None = None) -> tuple[int, int]:
        """(end of line content, start of next line), both capped at limit."""
        src = self.src
        limit = self.n if limit is None else limit
        i = pos
        while i < limit:
            ch = src[i]
            if ch == "\n":
                return i, i + 1
            if ch == "\r":
                if i + 1 < limit and src[i + 1] == "\n":
                    return i, i + 2
                return i, i + 1
            i += 1
        return limit, limit

    def code_end(self, start: int, end: int) -> int:
        """End of code on [start, end): before a `//` comment, trailing blanks dropped."""
        src = self.src
        line = src[start:end]
        for i, ch, _ in _scan(line):
            if ch == "/" and line[i + 1 : i + 2] == "/":
                end = start + i
                break
        while end > start and src[end - 1] in _WS:
            end -= 1
        return end

    def skip_ws(self, i: int, end: int) -> int:
        src = self.src
        while i < end and src[i] in _WS:
            i += 1
        return i

    def scan_balanced(self, i: int, limit: int) -> int:
        """Index after the bracket matching src[i], or -1 when not closed.

        May cross lines (skipping `//` comments); gives up at a mismatched
        closer or at a line that looks like a new field/attribute/assignment.
        """
        src = self.src
        stack: list[str] = []
        in_str = False
        while i < limit:
            ch = src[i]
            if in_str:
                if ch == "\\":
                    i += 2
                    continue
                if ch == '"':
                    in_str = False
                elif ch in "\r\n":
                    in_str = False  # strings are single-line
                    continue
                i += 1
                continue
            if ch == '"':
                in_str = True
            elif ch in _OPEN:
                stack.append(_OPEN[ch])
            elif ch in _CLOSE:
                if not stack or stack[-1] != ch:
                    return -1
                stack.pop()
                if not stack:
                    return i + 1
            elif ch == "/" and i + 1 < limit and src[i + 1] == "/":
                _, i = self.line_end(i, limit)
                if i < limit and _NOT_CONTINUATION_RE.match(src, i):
                    return -1
                continue
            elif ch in "\r\n":
                _, i = self.line_end(i, limit)
                if i < limit and _NOT_CONTINUATION_RE.match(src, i):
                    return -1
                continue
            i += 1
        return -1

    # -- top level -----------------------------------------------------------

    def parse(self) -> SchemaFile:
        src = self.src
        pos = 3 if src.startswith("\xef\xbb\xbf") else 0
        junk: list[int] | None = None  # [start, end] of a run of unparsable lines
        docs: list[str] = []
        while pos < self.n:
            content_end, next_pos = self.line_end(pos)
            i = self.skip_ws(pos, content_end)
            code_end = self.code_end(i, content_end)
            if i >= code_end:
                if src.startswith("///", i):
                    docs.append(_u(src[i + 3 : content_end]).strip())
                elif i < content_end:
                    docs = []
                pos = next_pos
                continue
            m = _TOP_RE.match(src, i, code_end)
            if m and m.group(2) and m.group(3):
                if junk:
                    self.error(junk[0], junk[1], "unexpected text outside of a block")
                    junk = None
                pos = self.parse_block(m.group(1), i, m.start(2), m.end(2), m.end(3), "\n".join(docs))
                docs = []
                continue
            docs = []
            if m and m.group(2):
                self.error(i, code_end, f"expected '{{' after {m.group(1)} {_u(m.group(2))}")
            elif m and m.end() == code_end:
                self.error(i, code_end, f"{m.group(1)} block without a name")
            elif src[i] == "}" and code_end == i + 1:
                self.error(i, i + 1, "unmatched '}'")
            elif junk and junk[1] >= 0 and not src[junk[1] : i].strip(_WS + "\r\n"):
                junk[1] = code_end
            else:
                if junk:
                    self.error(junk[0], junk[1], "unexpected text outside of a block")
                junk = [i, code_end]
            pos = next_pos
        if junk:
            self.error(junk[0], junk[1], "unexpected text outside of a block")
        self.out.errors.sort(key=lambda e: (e[0], e[1]))
        return self.out

    def find_block_end(self, body_start: int) -> tuple[int, int, bool]:
        """(body_end, block_end, closed) for a block whose `{` ends at body_start."""
        src = self.src
        pos = body_start
        first = True
        while pos < self.n:
            if not first and _HEADER_RE.match(src, pos):
                return pos, pos, False
            content_end, next_pos = self.line_end(pos)
            i = pos
            in_str = False
            depth = 0
            leading = True
            while i < content_end:
                ch = src[i]
                if in_str:
                    if ch == "\\":
                        i += 2
                        continue
                    if ch == '"':
                        in_str = False
                elif ch == '"':
                    in_str = True
                elif ch == "/" and i + 1 < content_end and src[i + 1] == "/":
                    break
                elif ch in "([":
                    depth += 1
                elif ch in ")]":
                    depth = max(0, depth - 1)
                elif ch == "}" and (depth == 0 or leading):
                    return i, i + 1, True
                if ch not in _WS:
                    leading = False
                i += 1
            first = False
            pos = next_pos
        return self.n, self.n, False

    def parse_block(self, kind: str, start: int, name_start: int, name_end: int, body_start: int, doc: str) -> int:
        body_end, end, closed = self.find_block_end(body_start)
        name = _u(self.src[name_start:name_end])
        if not closed:
            self.error(start, name_end, f"{kind} {name} is missing its closing '}}'")
        try:
            if kind in MODEL_KINDS:
                self.parse_model(kind, name, start, end, name_start, name_end, body_start, body_end, closed, doc)
            elif kind == "enum":
                self.parse_enum(name, start, end, name_start, name_end, body_start, body_end)
            else:
                self.parse_config(kind, name, start, end, body_start, body_end)
        except Exception as exc:  # never lose the rest of the file
            self.error(start, end, f"internal error while parsing {kind} {name}: {exc!r}")
        return end

    # -- attributes ----------------------------------------------------------

    def parse_attribute(self, i: int, line_code_end: int, limit: int) -> tuple[SchemaAttribute | None, int]:
        """Parse `@name(args)` / `@@name(args)` at i. Returns (attribute, end)."""
        src = self.src
        j = i + 2 if src.startswith("@@", i) else i + 1
        m = _ATTR_NAME_RE.match(src, j, line_code_end)
        if not m:
            k = j
            while k < line_code_end and src[k] not in _WS:
                k += 1
            self.error(i, k, "attribute without a name")
            return None, k
        name = m.group(0)
        k = m.end()
        if k < limit and src[k] == "(":
            close = self.scan_balanced(k, limit)
            if close < 0:
                self.error(i, line_code_end, f"unclosed '(' in attribute @{name}")
                args = src[k + 1 : line_code_end]
                return SchemaAttribute(name, _u(args).strip(), i, line_code_end), line_code_end
            args = src[k + 1 : close - 1]
            return SchemaAttribute(name, _u(args).strip(), i, close), close
        return SchemaAttribute(name, "", i, k), k

    def parse_attributes(self, i: int, code_end: int, limit: int, block: bool) -> tuple[list[SchemaAttribute], int, int]:
        """Attributes from i to the end of the line (which moves when one spans lines).

        Returns (attributes, end of the code on the last line, next line start).
        """
        src = self.src
        attrs: list[SchemaAttribute] = []
        while True:
            i = self.skip_ws(i, code_end)
            if i >= code_end:
                break
            is_block_attr = src.startswith("@@", i)
            if src[i] != "@" or is_block_attr != block:
                self.error(i, code_end, "unexpected text: " + _u(src[i:code_end])[:60])
                break
            attr, end = self.parse_attribute(i, code_end, limit)
            if attr is not None:
                attrs.append(attr)
            if end > code_end:  # spanned lines: go on with the line where it ended
                raw_end, _ = self.line_end(end, limit)
                code_end = self.code_end(end, raw_end)
            i = end
        _, next_pos = self.line_end(code_end, limit)
        return attrs, code_end, next_pos

    # -- blocks ----------------------------------------------------------------

    def parse_model(self, kind, name, start, end, name_start, name_end, body_start, body_end, closed, doc) -> None:
        src = self.src
        fields: list[SchemaField] = []
        block_attrs: list[SchemaAttribute] = []
        indexes: list[IndexDef] = []
        indent: str | None = None
        docs: list[str] = []
        pos = body_start
        first = True
        while pos < body_end:
            raw_end, next_pos = self.line_end(pos, body_end)
            line_start = pos
            i = self.skip_ws(pos, raw_end)
            code_end = self.code_end(i, raw_end)
            if i >= code_end:
                if src.startswith("///", i):
                    docs.append(_u(src[i + 3 : raw_end]).strip())
                pos = next_pos
                first = False
                continue
            if indent is None and not first:
                indent = src[line_start:i]
            first = False
            if src.startswith("@@", i):
                attrs, _, next_pos = self.parse_attributes(i, code_end, body_end, block=True)
                block_attrs.extend(attrs)
                docs = []
                pos = next_pos
                continue
            m = _IDENT_RE.match(src, i, code_end)
            if not m:
                self.error(i, code_end, "unexpected text in " + kind + " " + name)
                pos = next_pos
                docs = []
                continue
            fname = m.group(0)
            j = self.skip_ws(m.end(), code_end)
            if j >= code_end or j == m.end():
                if j >= code_end:
                    self.error(i, code_end, f"field {fname} has no type")
                else:
                    self.error(i, code_end, f"expected whitespace after field name {fname}")
                pos = next_pos
                docs = []
                continue
            tm = _ATTR_NAME_RE.match(src, j, code_end)
            if not tm:
                self.error(j, code_end, f"field {fname} has an invalid type")
                pos = next_pos
                docs = []
                continue
            type_start = j
            k = tm.end()
            ftype = tm.group(0)
            if ftype == "Unsupported" and k < code_end and src[k] == "(":
                close = self.scan_balanced(k, code_end)
                if close < 0:
                    close = code_end
                    self.error(j, code_end, "unclosed Unsupported(...) type")
                ftype = _u(src[j:close])
                k = close
            type_end = k
            is_list = is_optional = False
            while k < code_end and src[k] in "[]?!":
                if src.startswith("[]", k):
                    is_list = True
                    k += 2
                elif src[k] == "?":
                    is_optional = True
                    k += 1
                else:
                    self.error(k, k + 1, f"unexpected '{src[k]}' in the type of field {fname}")
                    k += 1
            attrs, content_end, next_pos = self.parse_attributes(k, code_end, body_end, block=False)
            content_end = max(content_end, k)
            fields.append(
                SchemaField(
                    name=fname,
                    type=ftype,
                    is_list=is_list,
                    is_optional=is_optional,
                    attributes=tuple(attrs),
                    start=i,
                    end=content_end,
                    name_start=i,
                    name_end=m.end(),
                    type_start=type_start,
                    type_end=type_end,
                    documentation="\n".join(docs),
                )
            )
            docs = []
            pos = next_pos
        # indexes
        for f in fields:
            for a in f.attributes:
                if a.name in ("id", "unique"):
                    indexes.append(IndexDef(a.name, (f.name,), a.start, a.end, a.string_arg("map")))
        db_name = name
        for a in block_attrs:
            if a.name in ("id", "unique", "index", "fulltext"):
                nm = a.string_arg("name") or a.string_arg("map")
                indexes.append(IndexDef(a.name, a.list_arg(None), a.start, a.end, nm))
            elif a.name == "map":
                db_name = a.string_arg(None) or a.string_arg("name") or name
        self.out.models.append(
            Model(
                kind=kind,
                name=name,
                path=self.path,
                start=start,
                end=end,
                name_start=name_start,
                name_end=name_end,
                body_start=body_start,
                body_end=body_end,
                fields=tuple(fields),
                block_attributes=tuple(block_attrs),
                indexes=tuple(indexes),
                db_name=db_name,
                field_indent=indent if indent else "  ",
                closed=closed,
                documentation=doc,
            )
        )

    def parse_enum(self, name, start, end, name_start, name_end, body_start, body_end) -> None:
        src = self.src
        values: list[str] = []
        db_name = name
        pos = body_start
        while pos < body_end:
            raw_end, next_pos = self.line_end(pos, body_end)
            i = self.skip_ws(pos, raw_end)
            code_end = self.code_end(i, raw_end)
            if i >= code_end:
                pos = next_pos
                continue
            if src.startswith("@@", i):
                attrs, _, next_pos = self.parse_attributes(i, code_end, body_end, block=True)
                for a in attrs:
                    if a.name == "map":
                        db_name = a.string_arg(None) or db_name
                pos = next_pos
                continue
            m = _IDENT_RE.match(src, i, code_end)
            if not m:
                self.error(i, code_end, f"unexpected text in enum {name}")
                pos = next_pos
                continue
            values.append(m.group(0))
            k = m.end()
            _, _, next_pos = self.parse_attributes(k, code_end, body_end, block=False)
            pos = next_pos
        self.out.enums.append(EnumDef(name, tuple(values), self.path, start, end, name_start, name_end, db_name))

    def parse_config(self, kind, name, start, end, body_start, body_end) -> None:
        src = self.src
        props: list[tuple[str, str]] = []
        pos = body_start
        while pos < body_end:
            raw_end, next_pos = self.line_end(pos, body_end)
            i = self.skip_ws(pos, raw_end)
            code_end = self.code_end(i, raw_end)
            if i >= code_end:
                pos = next_pos
                continue
            m = _ASSIGN_RE.match(src, i, code_end)
            if not m:
                self.error(i, code_end, f"expected 'key = value' in {kind} {name}")
                pos = next_pos
                continue
            v = m.end()
            value_end = code_end
            if v < code_end and src[v] in "([":
                close = self.scan_balanced(v, body_end)
                if close > code_end:
                    value_end = close
                    _, next_pos = self.line_end(close, body_end)
            if v >= value_end:
                self.error(i, code_end, f"{m.group(1)} has no value")
            props.append((m.group(1), _u(src[v:value_end]).strip()))
            pos = next_pos
        d = {}
        for k, val in props:
            d.setdefault(k, val)
        if kind == "datasource":
            self.out.datasources.append(
                Datasource(
                    name=name,
                    provider=_unquote(d.get("provider")),
                    url=d.get("url"),
                    relation_mode=_unquote(d.get("relationMode") or d.get("referentialIntegrity")),
                    path=self.path,
                    start=start,
                    end=end,
                    direct_url=d.get("directUrl"),
                    properties=tuple(props),
                )
            )
        else:
            pf = d.get("previewFeatures")
            self.out.generators.append(
                Generator(
                    name=name,
                    provider=_unquote(d.get("provider")),
                    output=_unquote(d.get("output")),
                    preview_features=_parse_list(pf) if pf else (),
                    path=self.path,
                    start=start,
                    end=end,
                    engine_type=_unquote(d.get("engineType")),
                    properties=tuple(props),
                )
            )


def parse_schema_file(path: str, text: str) -> SchemaFile:
    """Parse one .prisma file. Never raises; problems go to `errors`."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    parser = _Parser(path, text)
    try:
        return parser.parse()
    except Exception as exc:  # pragma: no cover - last line of defence
        parser.out.errors.append((0, parser.n, f"internal schema parser error: {exc!r}"))
        return parser.out


# --------------------------------------------------------------------------
# Logical schema


def _norm(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


class Schema:
    """One logical schema: one file, or a folder of .prisma files."""

    def __init__(self, root: str, files: list[SchemaFile]):
        self.root = root
        self.files = list(files)
        self.models: dict[str, Model] = {}
        self.types: dict[str, Model] = {}
        self.enums: dict[str, EnumDef] = {}
        self.datasources: list[Datasource] = []
        self.generators: list[Generator] = []
        for f in self.files:
            for m in f.models:
                target = self.types if m.kind == "type" else self.models
                target.setdefault(m.name, m)
            for e in f.enums:
                self.enums.setdefault(e.name, e)
            self.datasources.extend(f.datasources)
            self.generators.extend(f.generators)
        self._by_delegate = {m.delegate: m for m in reversed(list(self.models.values()))}
        self._files_by_path = {_norm(f.path): f for f in self.files}

    @classmethod
    def from_files(cls, root: str, files: list[SchemaFile]) -> "Schema":
        return cls(root, files)

    def __repr__(self) -> str:
        return f"Schema(root={self.root!r}, files={[f.path for f in self.files]!r}, models={list(self.models)!r})"

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)

    @property
    def datasource(self) -> Datasource | None:
        return self.datasources[0] if self.datasources else None

    @property
    def errors(self) -> list[tuple[str, int, int, str]]:
        return [(f.path, s, e, msg) for f in self.files for (s, e, msg) in f.errors]

    def model_for_delegate(self, delegate: str) -> Model | None:
        return self._by_delegate.get(delegate)

    def is_model(self, type_name: str) -> bool:
        return type_name in self.models

    def is_enum(self, type_name: str) -> bool:
        return type_name in self.enums

    def scalar_fields(self, model: Model) -> list[SchemaField]:
        return [f for f in model.fields if f.type not in self.models]

    def relation_fields(self, model: Model) -> list[SchemaField]:
        return [f for f in model.fields if f.type in self.models]

    def file(self, path: str) -> SchemaFile | None:
        return self._files_by_path.get(_norm(path))
