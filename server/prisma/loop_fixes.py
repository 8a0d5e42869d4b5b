"""P104's quick fixes: turn a loop of one query into one batched query.

Only the shapes where the batched form is certain are fixed: a `for..of`
over a plain variable whose body is that single query, called directly.
"""

from __future__ import annotations

import re

from perfaudit.server.analysis.layout import indent_unit, line_indent, line_width, reindent
from perfaudit.server.analysis.syntax import awaited_call, call_function, call_text, member_path, unwrap
from perfaudit.server.findings import Applicability, Edit, Fix
from perfaudit.server.analysis.objects import first_argument_object, resolve_object
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.prisma.schemas import schemas
from perfaudit.server.prisma.ties import schema_for_call


def _single_statement(body):
    if body.type != "statement_block":
        return body
    stmts = [c for c in body.named_children if c.type != "comment"]
    return stmts[0] if len(stmts) == 1 else None


def _awaited_statement(stmt, call) -> bool:
    """`await <call>;` as the whole statement."""
    if stmt is None or stmt.type != "expression_statement" or not stmt.named_children:
        return False
    found = awaited_call(stmt.named_children[0])
    return found is not None and found.id == call.id and call_text(call) == node_text(call)


def _ids_expression(value, item: str, iterable: str) -> str | None:
    """What to put in `{ in: ... }` for a per-item key value."""
    text = node_text(value)
    if text == item:
        return iterable
    path = member_path(value)
    if len(path) >= 2 and path[0] == item:
        return f"{iterable}.map(({item}) => {text})"
    return None


def _line_start_and_indent(data: bytes, offset: int) -> tuple[int, str]:
    start = data.rfind(b"\n", 0, offset) + 1
    indent = re.match(rb"[ \t]*", data[start:offset]).group(0).decode()
    return start, indent


def _fresh_name(data: bytes, base: str) -> str:
    name, n = base, 2
    while re.search(rb"\b" + re.escape(name.encode()) + rb"\b", data):
        name, n = f"{base}{n}", n + 1
    return name


def _object_keys(node) -> set[str] | None:
    """Keys of an object literal; None when a spread or computed key hides some."""
    node = unwrap(node)
    if node is None or node.type != "object":
        return None
    keys = set()
    for prop in node.named_children:
        if prop.type == "pair":
            key = prop.child_by_field_name("key")
            if key is None or key.type == "computed_property_name":
                return None
            keys.add(node_text(key).strip("'\""))
        elif prop.type == "shorthand_property_identifier":
            keys.add(node_text(prop))
        elif prop.type == "comment":
            continue
        else:
            return None
    return keys


def _declared_array(iterable) -> list | None:
    """The elements of `const items = [...]` declared in the same file, for a
    loop over `items`."""
    name = node_text(iterable)
    if iterable.type != "identifier":
        return None
    root = iterable
    while root.parent is not None:
        root = root.parent
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type == "variable_declarator":
            left, value = n.child_by_field_name("name"), unwrap(n.child_by_field_name("value"))
            if left is not None and node_text(left) == name and value is not None and value.type == "array":
                return [c for c in value.named_children if c.type != "comment"]
        stack.extend(n.named_children)
    return None


def _writes_relations(ctx, effect, data, item: str, iterable) -> bool:
    """Whether the created rows set a relation field (`author: { connect }`,
    `posts: { create: [...] }`), which `createMany` does not accept; also
    when the query cannot be tied to one of the workspace's schemas."""
    fn, call = ctx.file.facts.call_at(effect.start, effect.end)
    schema = schema_for_call(ctx.workspace.index, ctx.file.path, fn, call.callee) if call is not None else None
    model = schema.models.get(effect.target) if schema is not None and effect.target else None
    if model is None:
        return bool(schemas(ctx.workspace))
    relations = {f.name for f in schema.relation_fields(model)}
    if not relations:
        return False
    objects = [data]
    if node_text(unwrap(data)) == item:
        objects = _declared_array(iterable) or []
    for obj in objects:
        keys = _object_keys(obj)
        if keys is not None and keys & relations:
            return True
    return False


def _create_many(data: bytes, loop_node, recv: str, item: str, items: str, data_node) -> str:
    """`await recv.createMany({ data: ... })`, laid out like the code it
    replaces: on one line when it fits the width of the loop's lines, else
    `data:` on its own line, else the mapped object's properties too."""
    indent = line_indent(data, loop_node.start_byte)
    unit = indent_unit(data)
    width = line_width(data, loop_node.start_byte, loop_node.end_byte)
    newline = "\r\n" if b"\r\n" in data else "\n"
    obj = node_text(data_node)
    # The object's own later lines sit under the indentation of the line it starts on.
    obj_indent = line_indent(data, data_node.start_byte)

    def fits(text: str) -> bool:
        return all(len(line) <= width for line in (indent + text).split("\n"))

    def lines(*parts: str) -> str:
        return newline.join(parts)

    if obj == item:
        one = f"await {recv}.createMany({{ data: {items} }});"
        return one if fits(one) else lines(f"await {recv}.createMany({{", f"{indent}{unit}data: {items},", f"{indent}}});")
    one = f"await {recv}.createMany({{ data: {items}.map(({item}) => ({reindent(obj, obj_indent, indent)})) }});"
    if "\n" not in obj and fits(one):
        return one
    inner = indent + unit
    mapped = f"{items}.map(({item}) => ({reindent(obj, obj_indent, inner)}))"
    three = lines(f"await {recv}.createMany({{", f"{inner}data: {mapped},", f"{indent}}});")
    if fits(three) or data_node.type != "object" or "\n" in obj:
        return three
    # A one-line object too long for its line: its properties on a line of their own.
    body = obj.strip()[1:-1].strip().rstrip(",")
    return lines(
        f"await {recv}.createMany({{",
        f"{inner}data: {items}.map(({item}) => ({{",
        f"{inner}{unit}{body},",
        f"{inner}}})),",
        f"{indent}}});",
    )


def batch_fix(ctx, loop, call, effects) -> Fix | None:
    if loop.kind != "for-of" or not loop.item or len(effects) != 1:
        return None
    effect = effects[0]
    if effect.path != ctx.file.path or effect.start != call.start_byte or effect.end != call.end_byte:
        return None  # the query is calls away: no mechanical batching
    iterable = unwrap(loop.iterable)
    if iterable is None or not member_path(iterable):
        return None  # re-evaluating an arbitrary expression could change behaviour
    fn = call_function(call)
    receiver = fn.child_by_field_name("object") if fn is not None else None
    args = first_argument_object(call)
    if receiver is None or args is None or not args.complete or args.node is None:
        return None
    recv, item, items = node_text(receiver), loop.item, node_text(iterable)
    stmt = _single_statement(loop.body)
    path = ctx.file.path

    if effect.op == "create" and set(args.values) == {"data"} and _awaited_statement(stmt, call):
        if _writes_relations(ctx, effect, args.values["data"], item, iterable):
            return None  # createMany takes no nested create/connect: no mechanical batching
        text = _create_many(ctx.file.data, loop.loop, recv, item, items, args.values["data"])
        return Fix("Use createMany (unsafe)", Applicability.UNSAFE, (Edit(path, loop.loop.start_byte, loop.loop.end_byte, text),))

    if effect.op in ("delete", "deleteMany") and set(args.values) == {"where"} and _awaited_statement(stmt, call):
        where = resolve_object(args.values["where"])
        if where is None or not where.complete or len(where.values) != 1:
            return None
        (key, value), = where.values.items()
        ids = _ids_expression(value, item, items) if value is not None else None
        if ids is None:
            return None
        text = f"await {recv}.deleteMany({{ where: {{ {key}: {{ in: {ids} }} }} }});"
        return Fix("Use one deleteMany with `in` (unsafe)", Applicability.UNSAFE, (Edit(path, loop.loop.start_byte, loop.loop.end_byte, text),))

    if effect.op == "findUnique" and set(args.values) <= {"where", "select", "include"}:
        awaited = call.parent
        if awaited is None or awaited.type != "await_expression":
            return None
        where = resolve_object(args.values.get("where"))
        if where is None or not where.complete or len(where.values) != 1:
            return None
        (key, value), = where.values.items()
        if value is None or value.type == "object":
            return None  # compound unique keys need a different lookup
        ids = _ids_expression(value, item, items)
        if ids is None:
            return None
        extra = ""
        if "select" in args.values:
            select = resolve_object(args.values["select"])
            if select is None or key not in select.values:
                return None  # the lookup key must come back
        for opt in ("select", "include"):
            if opt in args.values:
                extra += f", {opt}: {node_text(args.values[opt])}"
        data = ctx.file.data
        line_start, indent = _line_start_and_indent(data, loop.loop.start_byte)
        newline = "\r\n" if b"\r\n" in data else "\n"
        base = node_text(receiver).split(".")[-1]
        rows = _fresh_name(data, f"{base}Rows")
        by_key = _fresh_name(data, f"{base}By{key[:1].upper()}{key[1:]}")
        prelude = (
            f"{indent}const {rows} = await {recv}.findMany({{ where: {{ {key}: {{ in: {ids} }} }}{extra} }});{newline}"
            f"{indent}const {by_key} = new Map({rows}.map((row) => [row.{key}, row]));{newline}"
        )
        lookup = f"({by_key}.get({node_text(value)}) ?? null)"
        return Fix(
            "Load all rows with one findMany before the loop (unsafe)",
            Applicability.UNSAFE,
            (Edit(path, line_start, line_start, prelude), Edit(path, awaited.start_byte, awaited.end_byte, lookup)),
        )
    return None
