"""Reading TypeScript syntax nodes: names, member paths, literal values,
what a value expression refers to. Shared by fact extraction, the wings and
the rules."""

from __future__ import annotations

import re
import sys

from perfaudit.server.analysis.facts import ValueRef
from perfaudit.server.analysis.parsing import node_text

FUNCTION_KINDS = {
    "function_declaration",
    "generator_function_declaration",
    "function_expression",
    "function",
    "arrow_function",
    "method_definition",
}
CLASS_KINDS = {"class_declaration", "abstract_class_declaration", "class"}
LOOP_KINDS = {"for_statement", "for_in_statement", "while_statement", "do_statement"}


WRAPPERS = ("parenthesized_expression", "non_null_expression", "as_expression", "satisfies_expression", "type_assertion")


def unwrap(node):
    """Look through parentheses, `x!`, `x as T`, `<T>x` and `satisfies`."""
    while node is not None and node.type in WRAPPERS:
        inner = node.named_children
        if not inner:
            break
        node = inner[0] if node.type != "type_assertion" else inner[-1]
    return node


def name_of(node) -> str:
    """An identifier's text, interned: the same names recur across thousands
    of facts (`prisma`, `this`, `findMany`), one copy each saves memory."""
    return sys.intern(node_text(node))


def member_path(node, through_calls: bool = False) -> tuple[str, ...]:
    """`this.repo.create` -> ("this", "repo", "create"); () when not a plain path.

    `through_calls`: a call in the chain is a segment ending in "()"
    (`RedisService.getInstance().set` -> ("RedisService", "getInstance()", "set")),
    and `(await x)` is `x`: the index resolves what the call returns."""
    node = unwrap(node)
    if node is not None and node.type in ("member_expression", "identifier"):
        # Most paths are names and dots only (`prisma.user.findMany`): split
        # their text instead of walking their nodes (extraction asks this of
        # every call: a fifth of its time).
        text = node.text
        if text is not None and _DOTTED_NAMES.match(text):
            return tuple([sys.intern(part) for part in text.decode("ascii").split(".")])
    return _member_path_walk(node, through_calls)


_DOTTED_NAMES = re.compile(rb"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\Z")


def _member_path_walk(node, through_calls: bool) -> tuple[str, ...]:
    parts: list[str] = []
    called = False
    while node is not None:
        kind = node.type
        if through_calls and kind == "call_expression" and not called:
            called = True
            node = unwrap(call_function(node))
            continue
        if through_calls and kind == "await_expression" and node.named_children and not called:
            node = unwrap(node.named_children[0])
            continue
        if kind == "member_expression":
            prop = node.child_by_field_name("property")
            if prop is None:
                return ()
            parts.append(sys.intern(node_text(prop) + "()") if called else name_of(prop))
            node = unwrap(node.child_by_field_name("object"))
        elif kind == "subscript_expression":
            index = node.child_by_field_name("index")
            if index is None or index.type != "string" or called:
                return ()
            parts.append(node_text(index)[1:-1])
            node = unwrap(node.child_by_field_name("object"))
        elif kind in ("identifier", "this", "super", "property_identifier", "shorthand_property_identifier"):
            if called and kind != "identifier":
                return ()
            parts.append(sys.intern(node_text(node) + "()") if called else name_of(node))
            return tuple(reversed(parts))
        else:
            return ()
        called = False
    return ()


_SHARED_TUPLES: dict[tuple, tuple] = {}


def _shared(value):
    """One copy of each equal small fact: callee paths (`("prisma", "user",
    "findMany")` recurs in thousands of calls), parameter lists (`(None,)`,
    `("req", "res")`), argument names, locals. The workspace holds them for
    every file, and a forked check copies every page it reads."""
    if len(_SHARED_TUPLES) > 200_000:
        _SHARED_TUPLES.clear()
    return _SHARED_TUPLES.setdefault(value, value)


def last_member(node) -> str:
    node = unwrap(node)
    if node is None:
        return ""
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return node_text(prop) if prop is not None else ""
    if node.type == "identifier":
        return node_text(node)
    return ""


def _through_type_arguments(fn):
    """(callee, awaited) of a call's function node. tree-sitter-typescript
    reads `await f<T>(x)` as `(await f)<T>(x)`, and a tagged template `f<T>` + template as `f<T>`
    inside a non-null expression whose `!` is missing: look through both."""
    awaited = False
    if fn is not None and fn.type == "non_null_expression" and fn.children and fn.children[-1].is_missing:
        inner = fn.named_children[0] if fn.named_children else None
        if inner is not None and inner.type == "instantiation_expression" and inner.named_children:
            fn = inner.named_children[0]
    if fn is not None and fn.type == "await_expression" and fn.named_children:
        fn, awaited = fn.named_children[0], True
    return fn, awaited


def call_function(call):
    """The expression a call (or `new`) runs: `prisma.user.findMany` of
    `prisma.user.findMany(...)`, also of `await load<User>(id)` and of
    `prisma.$queryRaw<Row[]>` + a template literal."""
    if call is None:
        return None
    if call.type == "new_expression":
        return call.child_by_field_name("constructor")
    return _through_type_arguments(call.child_by_field_name("function"))[0]


def is_awaited(node) -> bool:
    """Whether a call's result is awaited (`await f(x)`, `await f<T>(x)`)."""
    if node.type == "call_expression" and _through_type_arguments(node.child_by_field_name("function"))[1]:
        return True
    return awaited_from_outside(node)


def awaited_from_outside(node) -> bool:
    """Whether `await` applies to the node (through wrappers): `is_awaited`
    without the `await f<T>(x)` that tree-sitter folds into the call."""
    parent = node.parent
    while parent is not None and parent.type in WRAPPERS:
        parent = parent.parent
    return parent is not None and parent.type == "await_expression"


def call_text(call) -> str:
    """The source of a call without the `await` that `await f<T>(x)` folds into it."""
    text = node_text(call)
    fn = call.child_by_field_name("function") if call.type == "call_expression" else None
    inner = _through_type_arguments(fn)[0] if fn is not None else None
    if inner is not None and is_awaited(call) and inner.start_byte > call.start_byte and fn.start_byte == call.start_byte:
        return (call.text or b"")[inner.start_byte - call.start_byte:].decode("utf-8", "replace")
    return text


def awaited_call(expr):
    """The call that `expr` awaits (`await f(x)`, `await f<T>(x)`), or None."""
    expr = unwrap(expr)
    if expr is None:
        return None
    if expr.type == "await_expression":
        inner = unwrap(expr.named_children[0]) if expr.named_children else None
        return inner if inner is not None and inner.type == "call_expression" else None
    if expr.type == "call_expression" and _through_type_arguments(expr.child_by_field_name("function"))[1]:
        return expr
    return None


def type_name(type_node) -> str | None:
    """`: Repo<X>` -> "Repo"; `: PrismaService` -> "PrismaService"."""
    if type_node is None:
        return None
    node = type_node
    if node.type == "type_annotation":
        named = node.named_children
        if not named:
            return None
        node = named[0]
    if node.type == "generic_type":
        node = node.child_by_field_name("name") or node
    if node.type in ("type_identifier", "identifier"):
        return node_text(node)
    if node.type == "nested_type_identifier":
        return node_text(node).split(".")[-1]
    return None


def returned_type(type_node) -> str | None:
    """The class a return annotation names: `: Repo`, `: Promise<Repo>`,
    `: Repo | null` -> "Repo"; None for arrays, unions of several types, `void`."""
    if type_node is None:
        return None
    node = type_node.named_children[0] if type_node.type == "type_annotation" and type_node.named_children else type_node
    if node.type == "union_type":
        members = [m for m in union_members(node) if node_text(m) not in ("null", "undefined")]
        if len(members) != 1:
            return None
        node = members[0]
    if node.type == "generic_type" and node_text(node.child_by_field_name("name") or node) == "Promise":
        args = node.child_by_field_name("type_arguments")
        inner = args.named_children if args is not None else []
        return returned_type(inner[0]) if len(inner) == 1 else None
    if node.type == "generic_type" or node.type in ("type_identifier", "nested_type_identifier"):
        return type_name(node)
    return None


def union_members(node) -> list:
    """The members of `A | null | undefined`, which parses as unions of unions."""
    out = []
    for child in node.named_children:
        out.extend(union_members(child) if child.type == "union_type" else [child])
    return out


def string_value(node) -> str | None:
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "string":
        return "".join(node_text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return "".join(node_text(c) for c in node.named_children if c.type == "string_fragment")
    return None


def value_ref(node) -> ValueRef | None:
    """What an initializer expression holds, as a ValueRef (None if unknown)."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "await_expression" and node.named_children:
        node = unwrap(node.named_children[0])
    if node.type == "binary_expression" and node.child_by_field_name("operator") is not None \
            and node_text(node.child_by_field_name("operator")) in ("??", "||"):
        # The singleton guard `globalThis.prisma ?? new PrismaClient()`: the
        # value is what the fallback creates (the cached one is the same kind).
        fallback = unwrap(node.child_by_field_name("right"))
        if fallback is not None and fallback.type in ("new_expression", "call_expression"):
            return value_ref(fallback)
        return None
    if node.type == "ternary_expression":
        return _chosen(node)
    kind = node.type
    if kind == "new_expression":
        ctor = node.child_by_field_name("constructor")
        path = member_path(ctor) if ctor is not None else ()
        return ValueRef("new", ".".join(path)) if path else None
    if kind in ("identifier", "member_expression"):
        path = member_path(node, through_calls=True)
        return ValueRef("name", ".".join(path)) if path else None
    if kind == "call_expression":
        fn = call_function(node)
        args = node.child_by_field_name("arguments")
        if fn is not None and fn.type == "identifier" and node_text(fn) == "require" and args is not None:
            first = args.named_children[0] if args.named_children else None
            module = string_value(first)
            return ValueRef("require", module) if module else None
        if fn is not None and fn.type == "import" and args is not None:
            first = args.named_children[0] if args.named_children else None
            module = string_value(first)
            return ValueRef("import", module) if module else None
        path = member_path(fn, through_calls=True) if fn is not None else ()
        return ValueRef("call", ".".join(path)) if path else None
    return None


def _cast_type(node) -> str | None:
    """`stub as unknown as Redis` -> "Redis" (the outermost cast)."""
    while node is not None and node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    if node is None or node.type != "as_expression" or len(node.named_children) < 2:
        return None
    return type_name(node.named_children[-1])


def _chosen(node) -> ValueRef | None:
    """A client chosen by a condition (`cond ? new Redis(url) : (stub as unknown as Redis)`):
    what the branch that creates something creates, when the other branch
    is nothing (`null`, `undefined`), the same, or cast to the same class."""
    branches = [node.child_by_field_name("consequence"), node.child_by_field_name("alternative")]
    if any(b is None for b in branches):
        return None
    refs = [value_ref(b) for b in branches]
    made = [r for r in refs if r is not None and r.kind in ("new", "call")]
    if not made or any(r != made[0] for r in made):
        return None
    cls = made[0].name.split(".")[-1]
    for branch, ref in zip(branches, refs):
        if ref == made[0]:
            continue
        inner = unwrap(branch)
        if inner is not None and inner.type in ("null", "undefined"):
            continue
        if made[0].kind == "new" and _cast_type(branch) == cls:
            continue
        return None
    return made[0]


def _declared_class(annotation) -> ValueRef | None:
    """The class a variable's annotation names (`: Client`, `: Client | null`);
    not a promise of one."""
    inner = annotation.named_children[0] if annotation is not None and annotation.named_children else None
    if inner is None or "Promise" in node_text(inner):
        return None
    declared = returned_type(annotation)
    return ValueRef("type", declared) if declared else None


def _declarator_bindings(decl) -> list[tuple[str, ValueRef | None, object]]:
    """(name, value, value node) for a variable_declarator, destructuring included."""
    name = decl.child_by_field_name("name")
    value = decl.child_by_field_name("value")
    if name is None:
        return []
    ref = value_ref(value) if value is not None else None
    if name.type == "identifier":
        if ref is None:  # `let client: PrismaClient | null = null`: the declared class
            ref = _declared_class(decl.child_by_field_name("type"))
        return [(node_text(name), ref, value)]
    out = []
    if name.type == "object_pattern" and ref is not None:
        for prop in name.named_children:
            if prop.type == "shorthand_property_identifier_pattern":
                key = local = node_text(prop)
            elif prop.type == "pair_pattern":
                key_node, val_node = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                if key_node is None or val_node is None or val_node.type != "identifier":
                    continue
                key, local = node_text(key_node), node_text(val_node)
            else:
                continue
            out.append((local, ValueRef(ref.kind, ref.name, key), None))
    return out


# ---------------------------------------------------------------- extraction
