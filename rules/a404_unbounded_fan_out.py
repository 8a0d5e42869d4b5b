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
reported: Prisma's dataloader batches them into one query.

## Fix safety
No fix: the right shape (one `in` query, `createMany`, a concurrency limit)
depends on the code. The message suggests them.
"""

from perfaudit.server.analysis.syntax import call_function
from perfaudit.server.prisma.batching import batched_api, callee_text, describe, queries, related_sites
from perfaudit.server.findings import Severity
from perfaudit.server.analysis.loops import calls_in, loop_bodies, outermost
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.rule import FixAvailability, Rule

RULE = Rule(
    code="A404",
    name="unbounded-fan-out",
    summary="Promise.all over an array of unknown size, each item running a query.",
    severity=Severity.WARNING,
    fix=FixAvailability.NONE,
    request_path=True,
)

BATCHED_BY_PRISMA = {"findUnique", "findUniqueOrThrow"}
# Callees that bound concurrency: p-limit's `limit(fn)`, p-queue's `queue.add(fn)`.
LIMITERS = ("limit", "throttle", "schedule", "queue", "semaphore", "mutex", "bottleneck")


def check(ctx):
    if not _has_promise_all(ctx.file.facts):
        return
    for loop in loop_bodies(ctx.file):
        if loop.fan_out is None or loop.constant_size:
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
        effects_of = {c.id: e for c, e in found}
        for call in outermost([c for c, _ in found]):
            effects = effects_of[call.id]
            message = (
                f"`Promise.all` starts `{callee_text(call)}(...)` for every item at once "
                f"({describe(effects[0])}): an array of unknown size exhausts the connection pool. "
                f"Use {batched_api(effects)}, or bound the concurrency (p-limit)."
            )
            yield ctx.report(call.start_byte, call.end_byte, message, related=related_sites(effects, ctx.file.path, call))


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
