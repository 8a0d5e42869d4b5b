"""Loops and fan-outs of a file, and the calls that run once per item.

A "loop body" is the code that runs once per item: the body of `for`,
`for..of`, `for await`, `for..in`, `while`, `do`, and the callback of
`forEach`/`map`/`flatMap`/`reduce`/`filter`/`some`/`every`/`find`. A
`Promise.all(items.map(cb))` (or `allSettled`) is a *fan-out*: the
callbacks run at once, not one after another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from perfaudit.server.analysis.syntax import FUNCTION_KINDS, LOOP_KINDS, awaited_call, call_function, member_path, unwrap
from perfaudit.server.analysis.parsing import node_at_span, node_text, position_key, walk

ITERATING_METHODS = {"forEach", "map", "flatMap", "reduce", "reduceRight", "filter", "some", "every", "find", "findIndex"}
PROMISE_COMBINATORS = {"all", "allSettled"}
# Methods that take an array of lazy operations and run them as one batch
# (Prisma's `$transaction([...])`); wings register them.
_BATCHING_METHODS: set[str] = set()


def register_batching_method(name: str) -> None:
    _BATCHING_METHODS.add(name)


@dataclass
class LoopBody:
    loop: object  # the loop statement, or the `items.map(...)` call
    body: object  # the statement or callback body that runs per item
    kind: str  # "for", "for-of", "for-in", "while", "do", or the array method name
    iterable: object | None  # what is iterated, when syntax says
    item: str | None  # the per-item variable name, when it is a plain identifier
    fan_out: object | None = None  # the `Promise.all(...)` call around a `map`
    callback: object | None = None  # the callback function of an array method

    @property
    def constant_size(self) -> bool:
        """Iterating over an array literal: a fixed, small number of items,
        inline or a `const` of an enclosing scope that is never added to."""
        it = unwrap(self.iterable)
        if it is None:
            return False
        if it.type == "array":
            return True
        return it.type == "identifier" and _literal_const(it, self.loop)


def _literal_const(name_node, loop) -> bool:
    """`const items = [ {...}, {...} ]` declared before `loop` in a block
    that encloses it, with no push/unshift/splice/element assignment on it."""
    name = node_text(name_node)
    scope = loop.parent
    while scope is not None:
        if scope.type in ("statement_block", "program"):
            for stmt in scope.named_children:
                if stmt.start_byte >= loop.start_byte:
                    break
                decl_stmt = stmt.child_by_field_name("declaration") if stmt.type == "export_statement" else stmt
                if decl_stmt is None or decl_stmt.type != "lexical_declaration" or not decl_stmt.children \
                        or decl_stmt.children[0].type != "const":
                    continue
                for decl in decl_stmt.named_children:
                    left = decl.child_by_field_name("name") if decl.type == "variable_declarator" else None
                    if left is None or node_text(left) != name:
                        continue
                    value = unwrap(decl.child_by_field_name("value"))
                    if value is None or value.type != "array":
                        return False
                    return not _MUTATED(name).search(node_text(scope))
        if scope.type in FUNCTION_KINDS and _declares(scope, name):
            return False  # a parameter of that name hides any outer const
        scope = scope.parent
    return False


def _declares(fn, name: str) -> bool:
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    return params is not None and any(n.type in ("identifier", "shorthand_property_identifier_pattern")
                                      and node_text(n) == name for n in walk(params))


def _MUTATED(name: str):
    n = re.escape(name)
    return re.compile(rf"(?<![\w$.]){n}\s*(\.\s*(push|unshift|splice|fill)\s*\(|\[[^\]]*\]\s*=[^=])")




def _for_item(loop) -> str | None:
    left = loop.child_by_field_name("left")
    if left is not None and left.type == "identifier":
        return node_text(left)
    return None


def _callback_of(call):
    args = call.child_by_field_name("arguments")
    if args is None or not args.named_children:
        return None
    cb = unwrap(args.named_children[0])
    return cb if cb is not None and cb.type in ("arrow_function", "function_expression", "function") else None


def _callback_item(cb, method: str) -> str | None:
    params = cb.child_by_field_name("parameters")
    single = cb.child_by_field_name("parameter")
    if single is not None:
        return node_text(single) if single.type == "identifier" else None
    if params is None:
        return None
    names = [p for p in params.named_children]
    index = 1 if method in ("reduce", "reduceRight") else 0
    if len(names) <= index:
        return None
    pattern = names[index].child_by_field_name("pattern") if names[index].type != "identifier" else names[index]
    return node_text(pattern) if pattern is not None and pattern.type == "identifier" else None


def _consuming_call(expr):
    """The call that `expr` is an argument of, looking through parentheses,
    casts, spreads and an `await` of the array (`$transaction([...(await
    items.map(...))])` still hands the batch its lazy queries)."""
    parent = expr.parent
    while parent is not None and parent.type in ("parenthesized_expression", "as_expression", "non_null_expression", "array",
                                                 "spread_element", "await_expression", "satisfies_expression"):
        parent = parent.parent
    if parent is None or parent.type != "arguments":
        return None
    call = parent.parent
    return call if call is not None and call.type == "call_expression" else None


def _variable_consumer(map_call):
    """For `const ps = items.map(...)`, the call later given `ps`
    (`Promise.all(ps)`, `prisma.$transaction(ps)`) in the same block."""
    decl = map_call.parent
    if decl is None or decl.type != "variable_declarator":
        return None
    name = decl.child_by_field_name("name")
    block = decl.parent.parent if decl.parent is not None else None
    if name is None or name.type != "identifier" or block is None:
        return None
    # The name's later occurrences, found in the block's text (a walk of
    # every node of the block, for every `.map`, was most of a keystroke).
    text, base = block.text or b"", block.start_byte
    for m in _identifier_pattern(node_text(name)).finditer(text, max(map_call.end_byte - base, 0)):
        n = block.descendant_for_byte_range(base + m.start(), base + m.end())
        if n is not None and n.type == "identifier" and n.start_byte == base + m.start() and n.end_byte == base + m.end():
            call = _consuming_call(n)
            if call is not None:
                return call
    return None


@lru_cache(maxsize=4096)
def _identifier_pattern(name: str) -> re.Pattern:
    return re.compile(rb"(?<![\w$])" + re.escape(name.encode("utf-8")) + rb"(?![\w$])")


def map_consumer(map_call):
    """("fan-out", call) when the promises of `items.map(cb)` go to
    `Promise.all`/`allSettled`; ("batched", call) when they go to
    a registered batching method such as `$transaction([...])` (one batch);
    else None."""
    for call in (_consuming_call(map_call), _variable_consumer(map_call)):
        if call is None:
            continue
        path = member_path(call_function(call))
        if len(path) == 2 and path[0] == "Promise" and path[1] in PROMISE_COMBINATORS:
            return ("fan-out", call)
        if path and path[-1] in _BATCHING_METHODS:
            return ("batched", call)
    return None


_LOOP_WORDS = re.compile(rb"\b(?:for|while|do)\b")


def may_loop(source, methods=ITERATING_METHODS) -> bool:
    """Whether `loop_bodies` can find anything, told without the tree (a
    check that parses nothing is much cheaper): a call of one of `methods`
    given an inline function, or a loop keyword anywhere in the text."""
    return (any(c.method in methods and c.callbacks and c.callbacks[0][0] == 0 for c in source.facts.all_calls)
            or _LOOP_WORDS.search(source.data) is not None)


def loop_bodies(source) -> list[LoopBody]:
    """Loop bodies of a `SourceFile`, in source order."""
    out: list[LoopBody] = []
    candidates = [n for kind in ("for_statement", "for_in_statement", "while_statement", "do_statement") for n in source.nodes(kind)]
    candidates += [n for n in calls_of_methods(source, ITERATING_METHODS) if _is_iterating_call(n)]
    for node in sorted(candidates, key=lambda n: n.start_byte):
        kind = node.type
        if kind in LOOP_KINDS:
            body = node.child_by_field_name("body")
            if body is None:
                continue
            if kind == "for_in_statement":
                is_of = any(c.type == "of" for c in node.children)
                out.append(LoopBody(node, body, "for-of" if is_of else "for-in", node.child_by_field_name("right"), _for_item(node)))
            else:
                out.append(LoopBody(node, body, {"for_statement": "for", "while_statement": "while", "do_statement": "do"}[kind], None, None))
        elif kind == "call_expression":
            fn = call_function(node)
            if fn is None or fn.type != "member_expression":
                continue
            prop = fn.child_by_field_name("property")
            method = node_text(prop) if prop is not None else ""
            if method not in ITERATING_METHODS:
                continue
            cb = _callback_of(node)
            if cb is None:
                continue
            body = cb.child_by_field_name("body")
            if body is None:
                continue
            consumer = map_consumer(node) if method in ("map", "flatMap") else None
            if consumer is not None and consumer[0] == "batched":
                continue  # a batch of lazy operations (one transaction), not N+1
            fan = consumer[1] if consumer is not None else None
            out.append(LoopBody(node, body, method, fn.child_by_field_name("object"), _callback_item(cb, method), fan, cb))
    return out


def calls_of_methods(source, methods) -> list:
    """The call nodes of a `SourceFile` whose facts' method is one of
    `methods`: the tree is asked for those only (a long service has
    thousands of calls, and few `.map(...)`)."""
    out = []
    tree = None
    for call in source.facts.all_calls:
        if call.method in methods and not call.is_new:
            tree = tree or source.ensure_tree()
            node = node_at_span(tree, call.start, call.end)
            if node is not None:
                out.append(node)
    return sorted(out, key=position_key)


def _is_iterating_call(node) -> bool:
    fn = call_function(node)
    if fn is None or fn.type != "member_expression":
        return False
    prop = fn.child_by_field_name("property")
    return prop is not None and node_text(prop) in ITERATING_METHODS


def calls_in(body) -> list:
    """Calls in `body` that run in it, not inside nested function definitions
    (those run when called; the call that runs them carries their effects)."""
    out = []
    stack = [body] if body.type not in FUNCTION_KINDS else list(body.children)
    while stack:
        n = stack.pop()
        if n.type in FUNCTION_KINDS:
            continue
        if n.type in ("call_expression", "new_expression"):
            out.append(n)
        stack.extend(n.children)
    return sorted(out, key=lambda n: n.start_byte)


def outermost(nodes: list) -> list:
    """Drop nodes nested inside another node of the list."""
    out = []
    for n in sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte)):
        if out and out[-1].start_byte <= n.start_byte and n.end_byte <= out[-1].end_byte:
            continue
        out.append(n)
    return out


def is_awaited_within(call, stop) -> bool:
    """An `await` between the call and `stop` (the loop body): the loop
    waits for it on every item."""
    if call.type == "call_expression" and awaited_call(call) is call:
        return True  # `await f<T>(x)`: the await is folded into the call
    node = call.parent
    while node is not None and node.id != stop.id:
        if node.type == "await_expression":
            return True
        if node.type in FUNCTION_KINDS:
            return False
        node = node.parent
    return False


def exits_loop_after(call, body) -> bool:
    """True when, once `call` completes, the loop statement whose body is
    `body` ends: the call is part of a `return`, or a `return` or `break`
    follows it in a block on its way up to `body`. Such a call completes at
    most once per loop; it runs again only when it throws (a retry loop).
    Only for statement loops: a `return` in a callback ends one item."""
    node = call
    crossed = False  # a nested loop or switch owns a plain `break`
    while node is not None and node.id != body.id:
        parent = node.parent
        if parent is None or parent.type in FUNCTION_KINDS:
            return False
        if node.type == "return_statement":
            return True
        if parent.type == "statement_block":
            later = False
            for stmt in parent.named_children:
                if stmt.id == node.id:
                    later = True
                elif later and (stmt.type == "return_statement"
                                or stmt.type == "break_statement" and not crossed
                                and stmt.child_by_field_name("label") is None):
                    return True
        if parent.type in LOOP_KINDS or parent.type == "switch_statement":
            crossed = True
        node = parent
    return False


def enclosing_loop_kind(node) -> bool:
    """True when `node` is inside a loop statement (of its own function)."""
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_KINDS:
        if parent.type in LOOP_KINDS:
            return True
        parent = parent.parent
    return False
