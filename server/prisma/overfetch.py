"""When fetching every column of a model costs something (P101, P103).

A missing `select` is worth a line in an audit when the code reads a known
subset of the columns (the rest travel for nothing), or when the whole row
leaves through a route (every column, password hashes included, goes to the
client). A model of three scalar columns or fewer is never worth it, and
heavy columns (Json, Bytes, `@db.Text`, arrays) are named first because they
are what the fetch costs.
"""

from __future__ import annotations

from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.analysis.syntax import FUNCTION_KINDS

# Models this narrow cost nothing to read whole.
MAX_CHEAP_COLUMNS = 3
_HEAVY_TYPES = {"Json", "Bytes"}
_HEAVY_NATIVE = {"db.Text", "db.JsonB", "db.Json", "db.ByteA", "db.Xml", "db.LongText", "db.MediumText", "db.Blob", "db.LongBlob"}
_WRAPPERS = ("parenthesized_expression", "non_null_expression", "as_expression", "satisfies_expression", "await_expression")
# `res.json(row)`, `res.send(row)`, `reply.send(row)`: the row goes to the client.
_SEND_METHODS = {"json", "send", "jsonp"}


def is_heavy(field) -> bool:
    native = field.native_type
    return field.type in _HEAVY_TYPES or field.is_list or (native is not None and native.name in _HEAVY_NATIVE)


def worth_narrowing(scalars) -> bool:
    return len(scalars) > MAX_CHEAP_COLUMNS


def worth_reporting(unused: list[str], scalars) -> bool:
    """Unused columns worth a line: a heavy one, or half the columns or more."""
    heavy = {f.name for f in scalars if is_heavy(f)}
    return bool(heavy & set(unused)) or 2 * len(unused) >= len(scalars)


def unused_columns(scalars, reads: set[str]) -> list[str]:
    """Scalar names the code does not read, heavy ones first."""
    unused = [f for f in scalars if f.name not in reads]
    return [f.name for f in sorted(unused, key=lambda f: not is_heavy(f))]


def describe_columns(names: list[str], scalars, limit: int = 4) -> str:
    heavy = {f.name for f in scalars if is_heavy(f)}
    shown = [f"`{n}`" + (" (heavy)" if n in heavy else "") for n in names[:limit]]
    more = len(names) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def leaves_whole(call) -> bool:
    """Whether the rows the query returns are sent as the response as they
    are: `res.json(row)`, `res.json({ user: row })`, directly or through the
    variable holding them. Rows returned to a caller may be mapped or
    serialised there: not known to leave whole."""
    return _sent_whole(_outer(call), 0)


def returned_whole(call) -> bool:
    """Whether the function returns the query's rows as they are
    (`return prisma.x.find(...)`, or the variable holding them)."""
    node = _outer(call)
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "return_statement" or (parent.type == "arrow_function" and _is(parent, "body", node)):
        return True
    if parent.type == "variable_declarator" and _is(parent, "value", node):
        return any(_outer(ref).parent is not None and _outer(ref).parent.type == "return_statement"
                   for ref in _uses_of_declared(parent, module_level=False) if ref.type == "identifier")
    return False


def _sent_whole(node, depth: int) -> bool:
    parent = node.parent
    if parent is None or depth > 4:
        return False
    if _sent(node):
        return True
    if parent.type == "pair" and _is(parent, "value", node) and parent.parent is not None and parent.parent.type == "object":
        return _sent_whole(parent.parent, depth + 1)
    if parent.type == "variable_declarator" and _is(parent, "value", node):
        for ref in _uses_of_declared(parent):
            target = ref.parent if ref.type == "shorthand_property_identifier" else _outer(ref)
            if target is not None and _sent_whole(target, depth + 1):
                return True
    return False


def _outer(node):
    while node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
    return node


def _is(parent, field: str, node) -> bool:
    child = parent.child_by_field_name(field)
    return child is not None and child.id == node.id


def _sent(node) -> bool:
    args = node.parent
    call = args.parent if args is not None and args.type == "arguments" else None
    if call is None or call.type != "call_expression":
        return False
    fn = call.child_by_field_name("function")
    if fn is None or fn.type != "member_expression":
        return False
    prop = fn.child_by_field_name("property")
    return prop is not None and node_text(prop) in _SEND_METHODS and args.named_children[:1] == [node]


def _identifiers(scope, name: str):
    stack = [scope]
    while stack:
        n = stack.pop()
        if n.type == "identifier" and node_text(n) == name:
            yield n
        stack.extend(n.children)


# Array methods whose result is still the list of rows (or rows derived one
# to one from them).
_LIST_METHODS = {"map", "filter", "slice", "sort", "toSorted", "reverse", "flatMap", "concat"}


def rows_leave_as_list(call, depth: int = 0) -> bool:
    """Whether the rows a `findMany` returns leave their function as a list
    (returned, sent, or put in the object that is), possibly mapped or
    filtered on the way; False when they are folded into something else (a
    map, a count, a boolean, a tree) or used where the analyzer cannot see."""
    node = _outer(call)
    parent = node.parent
    if parent is None or depth > 8:
        return False
    if parent.type == "return_statement" or (parent.type == "arrow_function" and _is(parent, "body", node)) or _sent(node):
        return True
    if parent.type == "member_expression" and _is(parent, "object", node):
        prop = parent.child_by_field_name("property")
        outer_call = parent.parent
        if prop is not None and node_text(prop) in _LIST_METHODS and outer_call is not None and outer_call.type == "call_expression":
            return rows_leave_as_list(outer_call, depth + 1)
        return False
    if parent.type == "pair" and _is(parent, "value", node) and parent.parent is not None and parent.parent.type == "object":
        return rows_leave_as_list(parent.parent, depth + 1)
    if parent.type == "variable_declarator" and _is(parent, "value", node):
        for ref in _uses_of_declared(parent):
            if ref.type == "shorthand_property_identifier":
                if ref.parent is not None and rows_leave_as_list(ref.parent, depth + 1):
                    return True
            elif rows_leave_as_list(ref, depth + 1):
                return True
    return False


def _uses_of_declared(declarator, module_level: bool = True):
    """The references to the name `const x = ...` declares, in the function
    that declares it (or the module, unless `module_level` is False); none
    for a destructuring pattern."""
    name = declarator.child_by_field_name("name")
    if name is None or name.type != "identifier":
        return
    scope = declarator
    while scope is not None and scope.type not in FUNCTION_KINDS and (not module_level or scope.type != "program"):
        scope = scope.parent
    if scope is not None:
        yield from _references(scope, node_text(name), name)


def _references(scope, name: str, declared):
    stack = [scope]
    while stack:
        n = stack.pop()
        if n.id != declared.id and n.type in ("identifier", "shorthand_property_identifier") and node_text(n) == name:
            yield n
        stack.extend(n.children)
