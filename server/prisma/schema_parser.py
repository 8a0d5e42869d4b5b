"""A tolerant parser for Prisma schema files.

The parser never raises. A broken block (half-typed model, missing `}`,
junk between blocks) is recorded in `SchemaFile.errors` and parsing goes on
with the rest of the file.

Internally the parser works on the bytes decoded as latin-1, where one
character is one byte, so every index it computes is already a UTF-8 byte
offset; extracted names and argument texts are decoded back to real strings.
"""

from __future__ import annotations

from perfaudit.server.prisma.schema import (
    Datasource,
    EnumDef,
    Generator,
    IndexDef,
    Model,
    SchemaAttribute,
    SchemaField,
    SchemaFile,
)
from perfaudit.server.prisma.schema_text import (
    _ASSIGN_RE,
    _ATTR_NAME_RE,
    _CLOSE,
    _HEADER_RE,
    _IDENT_RE,
    _NOT_CONTINUATION_RE,
    _OPEN,
    _TOP_RE,
    _WS,
    MODEL_KINDS,
    _parse_list,
    _scan,
    _u,
    _unquote,
)


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
