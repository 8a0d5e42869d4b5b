"""## What it does
Finds a `setInterval(...)` inside a function whose handle is dropped, or kept
in a variable or `this.` member that is never passed to `clearInterval` (or
`clearTimeout`) anywhere in the file. Intervals started at module load, and
handles returned or handed to other code, are not reported.

## Why is this bad?
An interval runs until it is cleared. Started from code that runs more than
once (a request handler, a reconnect, a hot-reloaded module, a test), each
run adds another timer: the work multiplies, its closure and everything it
captured stay in memory, and the process cannot shut down gracefully because
the timer keeps the event loop alive.

## Example
```ts
export function startCacheWarmer(warm: () => Promise<void>, everyMs = 60_000) {
  setInterval(() => void warm(), everyMs);
}
```

## Use instead
```ts
export class CacheWarmer {
  private timer?: NodeJS.Timeout;

  start(warm: () => Promise<void>, everyMs = 60_000) {
    this.timer = setInterval(() => void warm(), everyMs);
  }

  stop() {
    clearInterval(this.timer);
  }
}
```

## Fix safety
Where the handle is stored on `this` and the class has a `stop...()`,
`close()`, `shutdown()`, `dispose()`/`destroy()` or `onModuleDestroy()`
method, the fix adds `clearInterval(this.<handle>)` at its start. It is
unsafe: the interval now stops when that method runs.
"""

from __future__ import annotations

import re

from perfaudit.server.analysis.syntax import FUNCTION_KINDS, call_function, member_path
from perfaudit.server.findings import Applicability, Edit, Fix
from perfaudit.server.analysis.parsing import node_text, walk
from perfaudit.server.analysis.parsing import arguments
from perfaudit.server.rule import FixAvailability, Rule

RULE = Rule(
    code="A403",
    name="interval-never-cleared",
    summary="A setInterval handle is dropped or never cleared.",
    fix=FixAvailability.SOMETIMES,
    local=True,  # see Rule.local; tests/test_local_rules.py
)

CLEARS = {"clearInterval", "clearTimeout"}
SHUTDOWN = re.compile(r"^(stop\w*|close|shutdown|dispose|destroy|onModuleDestroy|onApplicationShutdown|beforeApplicationShutdown)$")


def _is_set_interval(node) -> bool:
    path = member_path(call_function(node))
    return path == ("setInterval",) or path in (("global", "setInterval"), ("globalThis", "setInterval"))


def _holder(call):
    """(kind, path) of where the handle goes: ("dropped", ()), ("kept", path), or ("other", ())."""
    node = call
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "as_expression", "non_null_expression"):
        node, parent = parent, parent.parent
    # `setInterval(...).unref()` still drops the handle.
    if parent is not None and parent.type == "member_expression" and node_text(parent.child_by_field_name("property")) in ("unref", "ref"):
        call_parent = parent.parent
        if call_parent is not None and call_parent.type == "call_expression":
            return _holder(call_parent)
    if parent is None:
        return ("other", ())
    if parent.type == "expression_statement" or parent.type == "unary_expression" and node_text(parent).startswith("void"):
        return ("dropped", ())
    if parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return ("kept", (node_text(name),)) if name is not None and name.type == "identifier" else ("other", ())
    if parent.type == "assignment_expression":
        path = member_path(parent.child_by_field_name("left"))
        return ("kept", path) if path else ("other", ())
    return ("other", ())


def _in_function(node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in FUNCTION_KINDS:
            return True
        parent = parent.parent
    return False


def _cleared(root, holder: tuple[str, ...]) -> bool:
    for node in walk(root):
        if node.type != "call_expression":
            continue
        path = member_path(call_function(node))
        if not path or path[-1] not in CLEARS:
            continue
        for arg in arguments(node)[:1]:
            arg_path = member_path(arg)
            if arg_path[-1:] == holder[-1:]:
                return True
    return False


def _escapes(root, call, holder: tuple[str, ...]) -> bool:
    """A local handle used elsewhere (returned, pushed, passed on): someone else may clear it."""
    if len(holder) != 1:
        return False
    for node in walk(root):
        if node.type == "identifier" and node_text(node) == holder[0] and not (call.parent.start_byte <= node.start_byte < call.parent.end_byte):
            parent = node.parent
            if parent is not None and parent.type == "member_expression" and node_text(parent.child_by_field_name("property")) in ("unref", "ref"):
                continue
            return True
    return False


def check(ctx):
    facts = ctx.file.facts
    if not any(c.method == "setInterval" for c in facts.all_calls):
        return
    tree = ctx.file.ensure_tree()
    root = tree.root_node
    for node in ctx.file.nodes("call_expression"):
        if not _is_set_interval(node):
            continue
        if not _in_function(node):
            continue  # started once, at module load
        kind, holder = _holder(node)
        if kind == "other":
            continue
        if kind == "dropped":
            yield ctx.report(
                node.start_byte, node.end_byte,
                "The handle of this `setInterval` is dropped, so the interval can never be cleared: each run of this "
                "code adds another timer that runs forever. Keep the handle and `clearInterval` it on shutdown.",
            )
            continue
        if _cleared(root, holder) or _escapes(root, node, holder):
            continue
        fix = _stop_fix(ctx, node, holder)
        yield ctx.report(
            node.start_byte, node.end_byte,
            f"The interval kept in `{'.'.join(holder)}` is never passed to `clearInterval`: it runs until the process "
            f"exits. Clear it in the code that stops this work (a `stop()` or shutdown hook).",
            fixes=(fix,) if fix else (),
        )


def _stop_fix(ctx, call, holder) -> Fix | None:
    if len(holder) != 2 or holder[0] != "this":
        return None
    cls = call.parent
    while cls is not None and cls.type not in ("class_declaration", "class", "abstract_class_declaration"):
        cls = cls.parent
    body = cls.child_by_field_name("body") if cls is not None else None
    for member in body.named_children if body is not None else ():
        name = member.child_by_field_name("name")
        if member.type != "method_definition" or name is None or not SHUTDOWN.match(node_text(name)):
            continue
        block = member.child_by_field_name("body")
        if block is None or block.type != "statement_block":
            continue
        data = ctx.file.data
        line_start = data.rfind(b"\n", 0, member.start_byte) + 1
        indent = data[line_start:member.start_byte].decode("utf-8", "replace")
        text = f"\n{indent}  clearInterval(this.{holder[1]});"
        return Fix(f"Clear the interval in `{node_text(name)}()`", Applicability.UNSAFE,
                   (Edit(ctx.file.path, block.start_byte + 1, block.start_byte + 1, text),))
    return None
