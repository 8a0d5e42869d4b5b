"""## What it does
Finds `.on(...)`, `.addListener(...)` and `.prependListener(...)` on an
emitter that outlives the call (a module-level object, an imported
singleton, a `this.` member, `process`) in code that runs more than once (a
method, a request handler, a loop), when nothing in the file removes
listeners of that event from it (`off`, `removeListener`,
`removeAllListeners`).

## Why is this bad?
Every run adds one more listener that is never removed: the emitter keeps
each closure (and everything it captured, such as a response object) alive
forever, every event runs all of them, and Node prints
`MaxListenersExceededWarning` once there are more than ten. Memory and CPU
grow with uptime until the process is restarted.

## Example
```ts
import Redis from 'ioredis';

const subscriber = new Redis(process.env.REDIS_URL!);

export class NotificationService {
  async subscribe(channel: string, onMessage: (m: string) => void) {
    subscriber.on('message', (ch: string, message: string) => {
      if (ch === channel) onMessage(message);
    });
    await subscriber.subscribe(channel);
  }
}
```

## Use instead
```ts
import Redis from 'ioredis';

const subscriber = new Redis(process.env.REDIS_URL!);
const handlers = new Map<string, (m: string) => void>();

subscriber.on('message', (ch: string, message: string) => handlers.get(ch)?.(message));

export class NotificationService {
  async subscribe(channel: string, onMessage: (m: string) => void) {
    handlers.set(channel, onMessage);
    await subscriber.subscribe(channel);
  }
}
```

## Fix safety
No fix: where the listener should be removed depends on the code's
lifecycle. The message suggests `once` or the matching `off`.
"""

from __future__ import annotations

import re

from perfaudit.server.analysis.syntax import FUNCTION_KINDS, LOOP_KINDS, call_function, member_path, string_value
from perfaudit.server.analysis.parsing import node_text, walk
from perfaudit.server.analysis.parsing import arguments
from perfaudit.server.rule import Rule

RULE = Rule(
    code="A402",
    name="listener-leak",
    summary="A listener is added on every run and never removed.",
    local=True,  # see Rule.local; tests/test_local_rules.py
)

ADDS = {"on", "addListener", "prependListener"}
REMOVES = {"off", "removeListener", "removeAllListeners"}
# Functions that by their name run once: startup, wiring, lifecycle hooks.
RUNS_ONCE = re.compile(
    r"^(constructor|main|bootstrap|start|init|setup|register|configure|listen|connect|run|create\w*(App|Server)|"
    r"onModuleInit|onApplicationBootstrap)", re.I)


def _function_name(fn) -> str:
    name = fn.child_by_field_name("name")
    if name is not None:
        return node_text(name)
    parent = fn.parent
    if parent is not None and parent.type == "variable_declarator":
        n = parent.child_by_field_name("name")
        return node_text(n) if n is not None else ""
    return ""


def runs_repeatedly(node) -> bool:
    """Inside a loop, a method, a handler or a named function that does not run once by its name.
    Code at module level (and startup functions) registers once."""
    parent = node.parent
    while parent is not None:
        if parent.type in LOOP_KINDS:
            return True
        if parent.type in FUNCTION_KINDS:
            name = _function_name(parent)
            if name and RUNS_ONCE.match(name):
                return False
            if name or parent.type == "method_definition":
                return True
            # An anonymous callback: repeated when it is a handler or a per-item callback.
            holder = parent.parent.parent if parent.parent is not None and parent.parent.type == "arguments" else None
            if holder is not None and holder.type == "call_expression":
                fn = call_function(holder)
                path = member_path(fn) if fn is not None else ()
                if path and path[-1] in ("get", "post", "put", "patch", "delete", "all", "use", "forEach", "map"):
                    return True
        parent = parent.parent
    return False


def emitter_outlives(ctx, receiver: tuple[str, ...], node) -> bool:
    """`process`, `this`/`this.x`, or a module binding or import (not a local or parameter)."""
    if not receiver:
        return False
    head = receiver[0]
    if head in ("process", "this"):
        return True
    facts = ctx.file.facts
    fn = facts.function_at(node.start_byte)
    while fn is not None:
        if head in fn.params or any(local == head for local, _ in fn.locals):
            return False
        fn = facts.function(fn.parent) if fn.parent else None
    if _declared_in_function(node, head):
        return False
    return facts.binding(head) is not None or facts.import_of(head) is not None


def _declared_in_function(node, name: str) -> bool:
    """A `let`/`const` of `name` inside an enclosing function (facts keep only valued ones)."""
    parent = node.parent
    while parent is not None:
        if parent.type in FUNCTION_KINDS:
            for n in walk(parent):
                if n.type == "variable_declarator":
                    d = n.child_by_field_name("name")
                    if d is not None and node_text(d) == name:
                        return True
            params = parent.child_by_field_name("parameters")
            if params is not None and any(n.type == "identifier" and node_text(n) == name for n in walk(params)):
                return True
        parent = parent.parent
    return False


def removed_somewhere(root, receiver: tuple[str, ...], event: str | None) -> bool:
    for node in walk(root):
        if node.type != "call_expression":
            continue
        path = member_path(call_function(node))
        if len(path) < 2 or path[-1] not in REMOVES or path[:-1][-1:] != receiver[-1:]:
            continue
        args = arguments(node)
        if not args or event is None or string_value(args[0]) in (event, None):
            return True
    return False


def check(ctx):
    facts = ctx.file.facts
    if not any(c.method in ADDS for c in facts.all_calls):
        return
    tree = ctx.file.ensure_tree()
    for node in ctx.file.nodes("call_expression"):
        path = member_path(call_function(node))
        if len(path) < 2 or path[-1] not in ADDS:
            continue
        args = arguments(node)
        if len(args) < 2:
            continue
        receiver = path[:-1]
        event = string_value(args[0])
        if not runs_repeatedly(node) or not emitter_outlives(ctx, receiver, node):
            continue
        if removed_somewhere(tree.root_node, receiver, event):
            continue
        # The event as written (`'message'`, or the expression that names it).
        shown = f"'{event}'" if event is not None else " ".join(node_text(args[0]).split())[:40]
        yield ctx.report(
            node.start_byte, node.end_byte,
            f"`{'.'.join(receiver)}.{path[-1]}({shown}, ...)` adds a listener on every run to an emitter that outlives it, "
            f"and nothing removes it: listeners pile up (memory, CPU, MaxListenersExceededWarning). "
            f"Register it once, use `once`, or remove it with `{'.'.join(receiver)}.off({shown}, handler)` when done.",
        )
