"""Which fields the code reads from a query's result.

`const users = await prisma.user.findMany()` followed by
`users.map(u => u.name)` reads `name`; `const { id, email } = await
prisma.user.findUnique(...)` reads `id` and `email`. The result is followed
through the variable it is stored in (within its block), array methods and
`for..of` loops, destructuring and subscripts. When a row escapes (returned
whole, passed to a function such as `res.json(user)`, spread, stored in an
object) the reads cannot be known: `fields_read` returns None and the caller
proposes no `select`.
"""

from __future__ import annotations

from perfaudit.server.analysis.syntax import FUNCTION_KINDS, unwrap
from perfaudit.server.findings import Edit
from perfaudit.server.analysis.objects import call_arguments
from perfaudit.server.analysis.parsing import node_text

MANY, ONE = "many", "one"
MAX_DEPTH = 12

# Array methods whose callback's first parameter is one row, and what the
# call returns: None (nothing holding rows), MANY (a sub-array), ONE (a row).
_ROW_CALLBACK_METHODS = {
    "map": None,
    "forEach": None,
    "flatMap": None,
    "some": None,
    "every": None,
    "findIndex": None,
    "findLastIndex": None,
    "filter": MANY,
    "find": ONE,
    "findLast": ONE,
}
# Array methods that return rows without a callback reading them.
_ROW_RETURNING_METHODS = {"slice": MANY, "reverse": MANY, "at": ONE, "pop": ONE, "shift": ONE}
_WRAPPERS = ("parenthesized_expression", "non_null_expression", "as_expression", "satisfies_expression", "await_expression")
_NULL_LITERALS = ("null", "undefined")


class _Escapes(Exception):
    """A row leaves what this module can follow."""


def fields_read(call, many: bool) -> set[str] | None:
    """Property names read from the rows that `call` (a query call node)
    returns; None when a row escapes or the use cannot be seen."""
    try:
        out: set[str] = set()
        _uses(call, MANY if many else ONE, out, 0)
        return out
    except _Escapes:
        return None
    except RecursionError:  # pathological nesting: give up, do not crash
        return None


class _Reads(set):
    """Field names read, with the member expressions that read each (to
    follow a relation's rows further) and names whose use is unknown."""

    def __init__(self):
        super().__init__()
        self.nodes: dict[str, list] = {}
        self.unknown: set[str] = set()


def relation_fields_read(call, many: bool, relation: str, relation_many: bool) -> set[str] | None:
    """Property names read from the related rows of `relation` that an
    `include` adds to the query's rows (`lists.map(l => l.owner.name)`
    reads `name` of `owner`); None when they cannot be followed."""
    try:
        out = _Reads()
        _uses(call, MANY if many else ONE, out, 0)
        if relation in out.unknown:
            return None
        sub: set[str] = set()
        for node in out.nodes.get(relation, ()):
            _uses(node, MANY if relation_many else ONE, sub, 0)
        return sub
    except (_Escapes, RecursionError):
        return None


def _uses(expr, shape: str, out: set[str], depth: int) -> None:
    """Record what the code does with the value of `expr`."""
    if depth > MAX_DEPTH:
        raise _Escapes
    node = expr
    parent = node.parent
    while parent is not None and parent.type in _WRAPPERS:
        node, parent = parent, parent.parent
    if parent is None:
        raise _Escapes
    kind = parent.type
    if kind == "expression_statement":
        return  # the value is dropped
    if kind == "variable_declarator" and _is_field(parent, "value", node):
        _declared(parent.child_by_field_name("name"), parent, shape, out, depth)
        return
    if _is_truthiness_test(node, parent):
        return
    if kind == "member_expression" and _is_field(parent, "object", node):
        prop = parent.child_by_field_name("property")
        name = node_text(prop) if prop is not None else ""
        if shape == ONE:
            out.add(name)
            if isinstance(out, _Reads):
                out.nodes.setdefault(name, []).append(parent)
            return
        if name == "length":
            return
        _array_method(parent, name, out, depth)
        return
    if kind == "subscript_expression" and _is_field(parent, "object", node) and shape == MANY:
        _uses(parent, ONE, out, depth + 1)
        return
    if kind == "for_in_statement" and _is_field(parent, "right", node) and shape == MANY and _is_for_of(parent):
        _declared(parent.child_by_field_name("left"), parent, ONE, out, depth)
        return
    raise _Escapes


def _is_field(parent, field: str, node) -> bool:
    child = parent.child_by_field_name(field)
    return child is not None and child.id == node.id


def _is_for_of(stmt) -> bool:
    return any(c.type == "of" for c in stmt.children)


def _is_truthiness_test(node, parent) -> bool:
    """`!user`, `if (user)`, `user === null`, `user && ...`: no field is read."""
    kind = parent.type
    if kind == "unary_expression":
        op = parent.child_by_field_name("operator")
        return op is not None and node_text(op) in ("!", "typeof")
    if kind == "binary_expression":
        op = node_text(parent.child_by_field_name("operator") or parent)
        if op in ("===", "!==", "==", "!="):
            other = parent.child_by_field_name("right") if _is_field(parent, "left", node) else parent.child_by_field_name("left")
            return other is not None and other.type in _NULL_LITERALS
        # The left of `&&` is only tested; `a || b` and `a ?? b` may yield the row itself.
        return op == "&&" and _is_field(parent, "left", node)
    if kind == "parenthesized_expression":
        grand = parent.parent
        return grand is not None and grand.type in ("if_statement", "while_statement") and _is_field(grand, "condition", parent)
    if kind == "ternary_expression":
        return _is_field(parent, "condition", node)
    if kind in ("if_statement", "while_statement", "do_statement"):
        return _is_field(parent, "condition", node)  # `if (user)`: the parentheses were unwrapped
    return False


def _array_method(member, name: str, out: set[str], depth: int) -> None:
    call = member.parent
    if call is None or call.type != "call_expression" or not _is_field(call, "function", member):
        raise _Escapes
    if name in _ROW_RETURNING_METHODS:
        _uses(call, _ROW_RETURNING_METHODS[name], out, depth + 1)
        return
    if name not in _ROW_CALLBACK_METHODS:
        raise _Escapes
    args = call.child_by_field_name("arguments")
    callback = args.named_children[0] if args is not None and args.named_children else None
    if callback is None or callback.type not in ("arrow_function", "function_expression"):
        raise _Escapes  # a named function gets the row: it may read anything
    params = callback.child_by_field_name("parameters")
    first = callback.child_by_field_name("parameter")
    if first is None and params is not None and params.named_children:
        p = params.named_children[0]
        first = p.child_by_field_name("pattern") if p.type in ("required_parameter", "optional_parameter") else p
    if first is not None:
        _declared(first, callback, ONE, out, depth)
    result_shape = _ROW_CALLBACK_METHODS[name]
    if result_shape is not None:
        _uses(call, result_shape, out, depth + 1)


def _declared(pattern, owner, shape: str, out: set[str], depth: int) -> None:
    """The value is bound to `pattern` (a name or a destructuring)."""
    if pattern is None:
        raise _Escapes
    if pattern.type == "lexical_declaration" or pattern.type == "variable_declaration":
        declarators = [d for d in pattern.named_children if d.type == "variable_declarator"]
        if len(declarators) != 1:
            raise _Escapes
        pattern = declarators[0].child_by_field_name("name")
        if pattern is None:
            raise _Escapes
    if pattern.type == "identifier":
        for ref in _references(node_text(pattern), pattern, owner):
            _uses(ref, shape, out, depth + 1)
        return
    if pattern.type == "object_pattern" and shape == ONE:
        for prop in pattern.named_children:
            if prop.type == "shorthand_property_identifier_pattern":
                out.add(node_text(prop))
                if isinstance(out, _Reads):
                    out.unknown.add(node_text(prop))
            elif prop.type == "pair_pattern":
                key = prop.child_by_field_name("key")
                if key is None or key.type not in ("property_identifier", "string"):
                    raise _Escapes
                out.add(node_text(key).strip("'\""))
                if isinstance(out, _Reads):
                    out.unknown.add(node_text(key).strip("'\""))
            elif prop.type == "object_assignment_pattern":
                left = prop.child_by_field_name("left")
                if left is None:
                    raise _Escapes
                out.add(node_text(left))
                if isinstance(out, _Reads):
                    out.unknown.add(node_text(left))
            else:  # `...rest` keeps every other field
                raise _Escapes
        return
    if pattern.type == "array_pattern" and shape == MANY:
        raise _Escapes
    raise _Escapes


def _scope_of(pattern, owner):
    """The node within which a name bound at `pattern` is visible."""
    if owner.type in FUNCTION_KINDS:
        return owner.child_by_field_name("body")
    if owner.type == "for_in_statement":
        return owner.child_by_field_name("body")
    node = owner
    while node is not None and node.type not in ("statement_block", "program", "switch_case"):
        node = node.parent
    return node


def _references(name: str, pattern, owner) -> list:
    """Identifier nodes that read `name` in its scope; escapes when the name
    is shadowed, reassigned or used in shorthand `{ name }`."""
    scope = _scope_of(pattern, owner)
    if scope is None:
        raise _Escapes
    refs = []
    stack = [scope]
    while stack:
        n = stack.pop()
        if n.id == pattern.id:
            continue
        t = n.type
        if t == "shorthand_property_identifier" and node_text(n) == name:
            raise _Escapes  # `{ user }` puts the row in an object
        if t == "identifier" and node_text(n) == name:
            parent = n.parent
            if parent is not None and parent.type in ("assignment_expression", "augmented_assignment_expression") and _is_field(parent, "left", n):
                raise _Escapes
            if parent is not None and parent.type in ("variable_declarator", "required_parameter", "optional_parameter", "formal_parameters") and not _is_field(parent, "value", n):
                raise _Escapes  # shadowed by an inner declaration
            if parent is not None and parent.type == "arrow_function" and _is_field(parent, "parameter", n):
                raise _Escapes
            refs.append(n)
            continue
        if t in ("shorthand_property_identifier_pattern",) and node_text(n) == name:
            raise _Escapes
        stack.extend(n.children)
    return refs


# ---------------------------------------------------------------- edits
# The quick fixes of the P1xx rules add entries (`select: {...}`, `take: 100`)
# to argument objects written in the code.


def selectable_scalars(schema, model) -> list:
    """Scalar fields a `select` can name (not `@ignore`d, not `Unsupported`)."""
    return [f for f in schema.scalar_fields(model) if not f.is_ignored and not f.type.startswith("Unsupported")]


def select_entries(names) -> str:
    return ", ".join(f"{name}: true" for name in names)


def _properties(obj) -> list:
    return [c for c in obj.named_children if c.type != "comment"]


def insert_entries(path: str, data: bytes, obj, entries: list[str]) -> Edit:
    """An edit putting `entries` (`"take: 100"`...) first in object literal
    `obj`, on lines of their own when the object spans several lines."""
    props = [c for c in obj.named_children]
    if not _properties(obj):
        return Edit(path, obj.start_byte, obj.end_byte, "{ " + ", ".join(entries) + " }")
    first = props[0]
    line_start = first.start_byte - first.start_point.column
    indent = data[line_start:first.start_byte]
    if first.start_point.row != obj.start_point.row and not indent.strip():
        ind = indent.decode("utf-8")
        text = "".join(f"{ind}{e},\n" for e in entries)
        return Edit(path, line_start, line_start, text)
    return Edit(path, obj.start_byte + 1, obj.start_byte + 1, " " + ", ".join(entries) + ",")


def inline_argument_object(call):
    """The object literal written as the call's first argument, or None."""
    args = call_arguments(call)
    if not args:
        return None
    first = unwrap(args[0])
    return first if first is not None and first.type == "object" else None


def add_to_arguments(path: str, data: bytes, call, entries: list[str]) -> Edit | None:
    """An edit adding entries to the call's inline argument object (creating
    it for a call with no arguments); None when the argument is not inline."""
    if not call_arguments(call):
        args = call.child_by_field_name("arguments")
        if args is None or args.type != "arguments":
            return None
        return Edit(path, args.start_byte, args.end_byte, "({ " + ", ".join(entries) + " })")
    obj = inline_argument_object(call)
    return insert_entries(path, data, obj, entries) if obj is not None else None


def pair_in(obj, key: str):
    """The `key: value` pair written directly in object literal `obj`."""
    for prop in obj.named_children:
        if prop.type == "pair":
            k = prop.child_by_field_name("key")
            if k is not None and node_text(k).strip("'\"") == key:
                return prop
    return None
