"""Resolving the argument objects of calls, as real code writes them.

`prisma.user.findMany(args)` rarely has its options inline: they come from a
`const`, shorthand properties (`{ where, take }`), spreads (`{ ...base,
take }`), class members (`include: this.includeConfig`) and small helpers
(`const { skip, take } = this.buildQueryParams(q)`). This module looks through
those in the same file. What it cannot see makes the object *incomplete*:
rules then treat every key as "maybe present" and stay silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from perfaudit.server.analysis.syntax import CLASS_KINDS, FUNCTION_KINDS, call_function, member_path, unwrap
from perfaudit.server.analysis.parsing import node_text, walk

MAX_DEPTH = 8


@dataclass
class ResolvedObject:
    """Keys of an object expression; `values[key]` is the value node, or
    None when the key is there but its value cannot be seen."""

    values: dict[str, object] = field(default_factory=dict)
    complete: bool = True  # False: an unknown spread or computed key may add more
    node: object = None  # the object literal, when there is one (fixes insert into it)

    def has(self, key: str) -> bool | None:
        """True: present; False: surely absent; None: cannot tell."""
        if key in self.values:
            return True
        return False if self.complete else None

    def value(self, key: str):
        return self.values.get(key)


def declaration_in_scope(name: str, at):
    """The initializer node of `name` visible at node `at`, plus the
    destructured key when it comes from an object pattern. ("param", None)
    when it is a function parameter (unknown)."""
    node = at
    while node is not None:
        parent = node.parent
        if parent is None:
            return None
        if parent.type in ("statement_block", "program", "class_body", "switch_case"):
            found = _find_declarator(parent, name, before=node.start_byte)
            if found is not None:
                return found
        if parent.type in FUNCTION_KINDS:
            params = parent.child_by_field_name("parameters") or parent.child_by_field_name("parameter")
            if params is not None and _declares(params, name):
                return ("param", None)
        node = parent
    return None


def _declares(params, name: str) -> bool:
    if params.type == "identifier":
        return node_text(params) == name
    for n in walk(params):
        if n.type in ("identifier", "shorthand_property_identifier_pattern") and node_text(n) == name:
            return True
    return False




def _find_declarator(block, name: str, before: int):
    result = None
    for stmt in block.named_children:
        if stmt.start_byte >= before:
            break
        decl_stmt = stmt
        if stmt.type == "export_statement":
            decl_stmt = stmt.child_by_field_name("declaration") or stmt
        if decl_stmt.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for decl in decl_stmt.named_children:
            if decl.type != "variable_declarator":
                continue
            pattern = decl.child_by_field_name("name")
            value = decl.child_by_field_name("value")
            if pattern is None:
                continue
            if pattern.type == "identifier" and node_text(pattern) == name:
                result = (value, None)
            elif pattern.type == "object_pattern":
                for prop in pattern.named_children:
                    if prop.type == "shorthand_property_identifier_pattern" and node_text(prop) == name:
                        result = (value, name)
                    elif prop.type == "pair_pattern":
                        key, val = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                        if val is not None and val.type == "identifier" and node_text(val) == name and key is not None:
                            result = (value, node_text(key))
                    elif prop.type == "object_assignment_pattern":
                        left = prop.child_by_field_name("left")
                        if left is not None and node_text(left) == name:
                            result = (value, name)
    return result


def _enclosing(node, kinds):
    node = node.parent
    while node is not None and node.type not in kinds:
        node = node.parent
    return node


def _class_member_value(at, member: str):
    """The value assigned to `this.<member>` in the class around `at`."""
    cls = _enclosing(at, CLASS_KINDS)
    if cls is None:
        return None
    body = cls.child_by_field_name("body")
    for m in body.named_children if body is not None else ():
        if m.type in ("public_field_definition", "field_definition"):
            n = m.child_by_field_name("name") or m.child_by_field_name("property")
            if n is not None and node_text(n) == member:
                return m.child_by_field_name("value")
        if m.type == "method_definition":
            n = m.child_by_field_name("name")
            if n is not None and node_text(n) == "constructor":
                for a in walk(m):
                    if a.type == "assignment_expression" and member_path(a.child_by_field_name("left")) == ("this", member):
                        return a.child_by_field_name("right")
    return None


def _class_method(at, name: str):
    cls = _enclosing(at, CLASS_KINDS)
    if cls is None:
        return None
    body = cls.child_by_field_name("body")
    for m in body.named_children if body is not None else ():
        n = m.child_by_field_name("name") if m.type in ("method_definition", "public_field_definition") else None
        if n is not None and node_text(n) == name:
            if m.type == "method_definition":
                return m
            value = unwrap(m.child_by_field_name("value"))
            if value is not None and value.type in FUNCTION_KINDS:
                return value
    return None


def _module_function(at, name: str):
    root = at
    while root.parent is not None:
        root = root.parent
    for stmt in root.named_children:
        decl = stmt.child_by_field_name("declaration") if stmt.type == "export_statement" else stmt
        if decl is None:
            continue
        if decl.type == "function_declaration":
            n = decl.child_by_field_name("name")
            if n is not None and node_text(n) == name:
                return decl
        if decl.type in ("lexical_declaration", "variable_declaration"):
            for d in decl.named_children:
                n, v = d.child_by_field_name("name"), unwrap(d.child_by_field_name("value"))
                if n is not None and node_text(n) == name and v is not None and v.type in FUNCTION_KINDS:
                    return v
    return None


def _returned_expressions(fn) -> list:
    body = fn.child_by_field_name("body")
    if body is None:
        return []
    if body.type != "statement_block":
        return [body]  # arrow function with an expression body
    out = []
    for n in walk(body):
        if n.type == "return_statement":
            # Skip returns of nested functions.
            owner = _enclosing(n, FUNCTION_KINDS)
            if owner is not None and owner.id == fn.id and n.named_children:
                out.append(n.named_children[0])
    return out


def resolve_expression(node, depth: int = 0):
    """Follow an expression to the expression that defines its value:
    variables, `this.` members, helper returns. Returns the node, or None
    when it cannot be seen."""
    node = unwrap(node)
    if node is None or depth > MAX_DEPTH:
        return None
    if node.type == "await_expression" and node.named_children:
        return resolve_expression(node.named_children[0], depth + 1)
    if node.type == "binary_expression" and node_text(node.child_by_field_name("operator")) in ("??", "||"):
        # `globalThis.pool ?? new Pool(...)`: what the fallback creates.
        fallback = unwrap(node.child_by_field_name("right"))
        if fallback is not None and fallback.type in ("new_expression", "call_expression"):
            return fallback
        return None
    if node.type in ("identifier", "shorthand_property_identifier"):  # `{ where }` names a variable
        found = declaration_in_scope(node_text(node), node)
        if found is None or found[0] == "param" or found[0] is None:
            return None
        value, key = found
        if key is None:
            return resolve_expression(value, depth + 1)
        obj = resolve_object(value, depth + 1)
        if obj is None or key not in obj.values:
            return None
        return resolve_expression(obj.values[key], depth + 1) if obj.values[key] is not None else None
    if node.type == "member_expression":
        path = member_path(node)
        if len(path) == 2 and path[0] == "this":
            value = _class_member_value(node, path[1])
            return resolve_expression(value, depth + 1) if value is not None else None
        return None
    return node


def resolve_object(node, depth: int = 0) -> ResolvedObject | None:
    """The keys of an object-valued expression, or None if it is opaque."""
    node = unwrap(node)
    if node is None or depth > MAX_DEPTH:
        return None
    if node.type == "await_expression" and node.named_children:
        return resolve_object(node.named_children[0], depth + 1)
    if node.type == "object":
        out = ResolvedObject(node=node)
        for prop in node.named_children:
            if prop.type == "pair":
                key = prop.child_by_field_name("key")
                if key is None:
                    continue
                if key.type == "computed_property_name":
                    out.complete = False
                    continue
                k = node_text(key)
                if key.type == "string":
                    k = k[1:-1]
                out.values[k] = prop.child_by_field_name("value")
            elif prop.type == "shorthand_property_identifier":
                out.values[node_text(prop)] = prop
            elif prop.type == "spread_element":
                inner = resolve_object(prop.named_children[0] if prop.named_children else None, depth + 1)
                if inner is None:
                    out.complete = False
                else:
                    for k, v in inner.values.items():
                        out.values.setdefault(k, v)
                    out.complete = out.complete and inner.complete
            elif prop.type == "method_definition":
                n = prop.child_by_field_name("name")
                if n is not None:
                    out.values[node_text(n)] = prop
        return out
    if node.type == "call_expression":
        fn = call_function(node)
        path = member_path(fn) if fn is not None else ()
        target = None
        if len(path) == 2 and path[0] == "this":
            target = _class_method(node, path[1])
        elif len(path) == 1:
            target = _module_function(node, path[0])
        if target is None:
            return None
        returns = _returned_expressions(target)
        if len(returns) != 1:
            return None
        return resolve_object(returns[0], depth + 1)
    if node.type in ("identifier", "shorthand_property_identifier", "member_expression"):
        value = resolve_expression(node, depth + 1)
        if value is None or value is node:
            return None
        obj = resolve_object(value, depth + 1)
        if obj is not None and node.type != "member_expression":
            return _with_changes(obj, node_text(node), value, node)
        return obj
    if node.type == "ternary_expression":
        return None
    return None


_WRAPPERS = {"parenthesized_expression", "as_expression", "satisfies_expression", "type_assertion", "non_null_expression"}


def _with_changes(obj: ResolvedObject, name: str, value, use) -> ResolvedObject | None:
    """`obj`, the object literal `name` was declared with, as the code has
    changed it before `use`: `args.select = ...` adds a key (present, perhaps
    only on one branch); `args[key] = ...`, `Object.assign(args, ...)` or a
    change deeper down (`args.where.id = ...`) may add any; a new value
    for `name` itself hides what it holds (None)."""
    declarator = value.parent
    while declarator is not None and declarator.type in _WRAPPERS:  # `{} as Prisma.UserFindManyArgs`
        declarator = declarator.parent
    if declarator is None or declarator.type != "variable_declarator" or declarator.parent is None:
        return obj
    named = declarator.child_by_field_name("name")
    block = declarator.parent.parent
    if block is None or named is None or node_text(named) != name or not use.start_byte > declarator.end_byte:
        return obj
    start, end = declarator.end_byte - block.start_byte, use.start_byte - block.start_byte
    segment = (block.text or b"")[start:end]
    if name.encode() not in segment:
        return obj  # the common case: no statement in between names it
    changed = ResolvedObject(dict(obj.values), obj.complete, obj.node)
    for n in _nodes_between(block, declarator.end_byte, use.start_byte):
        if n.type in ("assignment_expression", "augmented_assignment_expression"):
            left = unwrap(n.child_by_field_name("left"))
            path = member_path(left) if left is not None else ()
            if left is not None and left.type == "identifier" and node_text(left) == name:
                return None
            if left is not None and left.type == "subscript_expression" and member_path(left.child_by_field_name("object")) == (name,):
                changed.complete = False
            elif len(path) == 2 and path[0] == name:
                changed.values[path[1]] = n.child_by_field_name("right")
            elif len(path) > 2 and path[0] == name:
                changed.complete = False
        elif n.type == "call_expression" and member_path(call_function(n) or n) == ("Object", "assign"):
            args = call_arguments(n)
            if args and member_path(unwrap(args[0]) or args[0]) == (name,):
                changed.complete = False
    return changed


def _nodes_between(root, start: int, end: int):
    """The nodes under `root` that start in [start, end), without walking
    the subtrees that lie outside it."""
    stack = [root]
    while stack:
        n = stack.pop()
        if n.end_byte <= start or n.start_byte >= end:
            continue
        if n.start_byte >= start:
            yield n
        stack.extend(n.children)


def call_arguments(call) -> list:
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "arguments":
        return []
    return [a for a in args.named_children if a.type != "comment"]


def first_argument_object(call) -> ResolvedObject | None:
    """The resolved first argument; an empty complete object when there is none."""
    args = call_arguments(call)
    if not args:
        return ResolvedObject()
    return resolve_object(args[0])


def is_truthy_literal(node) -> bool | None:
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "true":
        return True
    if node.type in ("false", "null", "undefined"):
        return False
    return None
