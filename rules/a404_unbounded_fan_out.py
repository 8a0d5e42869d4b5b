"""## What it does
Finds `Promise.all(items.map(async (item) => ...))` (or `allSettled`) whose
callback reaches a Prisma query, over an array whose size the code does not
fix: a request body, a query result, a parameter.

## Why is this bad?
All the queries start at once. A list of 2,000 ids asks for 2,000
connections from a pool of 10 or so: the pool is exhausted, every other
request waits behind them, and Prisma times out (`P2024`). It is also still
N queries where one would do.

## Example
```ts
import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();

export async function reorder(items: { id: string; position: number }[]) {
  await Promise.all(
    items.map((item) =>
      prisma.readListItem.update({ where: { id: item.id }, data: { position: item.position } }),
    ),
  );
}
```

## Use instead
```ts
import { PrismaClient } from '@prisma/client';
import pLimit from 'p-limit';
const prisma = new PrismaClient();
const limit = pLimit(5);

export async function reorder(items: { id: string; position: number }[]) {
  await Promise.all(
    items.map((item) =>
      limit(() => prisma.readListItem.update({ where: { id: item.id }, data: { position: item.position } })),
    ),
  );
}
```

Or one batched query (`findMany` with `in`, `createMany`, `updateMany`).
`findUnique`/`findUniqueOrThrow` calls issued in the same tick are not
reported: Prisma's dataloader batches them into one query. Nor are queries on
the client of a `$transaction(async (tx) => ...)` callback (they run on its
one connection: no pool to exhaust), nor maps over a fixed number of items
(`Object.values(SomeEnum)`, `Array.from({ length: 12 })`, an array literal).

## Fix safety
No fix: the right shape (one `in` query, `createMany`, a concurrency limit)
depends on the code. The message suggests them.
"""

from perfaudit.server.analysis.syntax import call_function
from perfaudit.server.prisma.batching import batched_api, callee_text, describe, queries, related_sites
from perfaudit.server.findings import Severity
from perfaudit.server.analysis.loops import calls_in, loop_bodies, outermost
from perfaudit.server.analysis.objects import call_arguments
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.analysis.syntax import unwrap
from perfaudit.server.rule import FixAvailability, Rule

RULE = Rule(
    code="A404",
    name="unbounded-fan-out",
    summary="Promise.all over an array of unknown size, each item running a query.",
    severity=Severity.WARNING,
    fix=FixAvailability.NONE,
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)

BATCHED_BY_PRISMA = {"findUnique", "findUniqueOrThrow"}
# Callees that bound concurrency: p-limit's `limit(fn)`, p-queue's `queue.add(fn)`.
LIMITERS = ("limit", "throttle", "schedule", "queue", "semaphore", "mutex", "bottleneck")


def check(ctx):
    if not _has_promise_all(ctx.file.facts):
        return
    for loop in loop_bodies(ctx.file):
        if loop.fan_out is None or loop.constant_size or _fixed_size(ctx.file, loop.iterable):
            continue
        found = []
        for call in calls_in(loop.body):
            if _is_limiter(call):
                found = []
                break
            effects = queries(ctx.index.effects_at(ctx.file.path, call.start_byte, call.end_byte))
            if effects:
                found.append((call, effects))
        if not found or _only_same_tick_lookups(loop, found):
            continue
        # Inside `$transaction(async (tx) => ...)` every query runs on the
        # transaction's one connection: there is no pool to exhaust.
        found = [(c, e) for c, e in found if not _on_transaction_client(c)]
        if not found:
            continue
        effects_of = {c.id: e for c, e in found}
        for call in outermost([c for c, _ in found]):
            effects = effects_of[call.id]
            message = (
                f"`Promise.all` starts `{callee_text(call)}(...)` for every item at once "
                f"({describe(effects[0])}): an array of unknown size exhausts the connection pool. "
                f"Use {batched_api(effects)}, or bound the concurrency (p-limit)."
            )
            yield ctx.report(call.start_byte, call.end_byte, message, related=related_sites(effects, ctx.file.path, call))


# Modules whose exported enums have a fixed set of values.
ENUM_MODULES = ("@prisma/client", ".prisma/client")


def _fixed_size(source, iterable) -> bool:
    """`Object.values(SomeEnum)` (a TypeScript enum or a Prisma enum) and
    `Array.from({ length: 12 })`: as many items as the code says."""
    node = unwrap(iterable)
    if node is None or node.type != "call_expression":
        return False
    fn = node_text(node.child_by_field_name("function") or node)
    args = call_arguments(node)
    if fn in ("Object.values", "Object.keys", "Object.entries") and len(args) == 1 and args[0].type == "identifier":
        name = node_text(args[0])
        imp = source.facts.import_of(name)
        if imp is not None and imp.module in ENUM_MODULES:
            return True
        root = node
        while root.parent is not None:
            root = root.parent
        return any(n.type == "enum_declaration" and node_text(n.child_by_field_name("name") or n) == name
                   for n in _top_level(root))
    if fn == "Array.from" and args and args[0].type == "object":
        for pair in args[0].named_children:
            key = pair.child_by_field_name("key") if pair.type == "pair" else None
            value = unwrap(pair.child_by_field_name("value")) if key is not None else None
            if key is not None and node_text(key) == "length" and value is not None and value.type == "number":
                return True
    return False


def _top_level(root):
    for stmt in root.named_children:
        yield stmt.child_by_field_name("declaration") or stmt if stmt.type == "export_statement" else stmt


def _on_transaction_client(call) -> bool:
    """The query's receiver is the client a `$transaction` callback receives."""
    callee = callee_text(call)
    node = call.parent
    while node is not None:
        if node.type in ("arrow_function", "function_expression"):
            args = node.parent
            outer = args.parent if args is not None and args.type == "arguments" else None
            fn = outer.child_by_field_name("function") if outer is not None and outer.type == "call_expression" else None
            if fn is not None and node_text(fn).endswith("$transaction"):
                param = node.child_by_field_name("parameter")
                params = node.child_by_field_name("parameters")
                if param is None and params is not None and params.named_children:
                    first = params.named_children[0]
                    param = first.child_by_field_name("pattern") or first
                return param is not None and callee.startswith(node_text(param) + ".")
        node = node.parent
    return False


def _has_promise_all(facts) -> bool:
    calls = facts.all_calls
    return any(c.callee[-2:] in (("Promise", "all"), ("Promise", "allSettled")) for c in calls)


def _is_limiter(call) -> bool:
    fn = call_function(call)
    name = node_text(fn).lower() if fn is not None else ""
    return any(word in name for word in LIMITERS)


def _only_same_tick_lookups(loop, found) -> bool:
    """Every query is a findUnique started before the callback awaits anything."""
    if any(e.op not in BATCHED_BY_PRISMA for _, effects in found for e in effects):
        return False
    first_await = None
    stack = [loop.body]
    while stack:
        n = stack.pop()
        if n.type == "await_expression" and (first_await is None or n.start_byte < first_await.start_byte):
            first_await = n
        stack.extend(n.children)
    if first_await is None:
        return True
    # Each lookup starts before the first await, or is what it awaits.
    return all(call.start_byte < first_await.start_byte or call.end_byte <= first_await.end_byte for call, _ in found)
