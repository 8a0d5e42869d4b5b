"""## What it does
Finds a Prisma query reached once per item of a loop: directly, or through
the services, base classes, repositories and transaction callbacks a call in
the loop goes through (`for`, `for..of`, `for await`, `for..in`, `while`,
`do`, and `forEach`/`map`/`reduce` callbacks). It is reported at the call in
the loop body that leads to the query, with the path to it. A loop over an
array literal, inline or a `const` of an enclosing scope that nothing adds
to, runs a fixed few times and is not reported. Nor is a loop that already
writes in batches (a `createMany`/`updateMany`/`deleteMany` fed one chunk per
iteration: `rows.slice(i, i + 500)`, a `for` stepping by the chunk size, a
`do { } while (n >= N)`; a raw statement with `LIMIT`), nor a query guarded
to run on one iteration (`if (i === 0)`, `if (found.length === 1)`).

## Why is this bad?
This is the N+1 query: 500 items make 500 round trips to PostgreSQL, each
waiting for the previous one. It is invisible where the loop calls a service
three layers above the query, which is where it usually hides.

## Example
```ts
import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();

export async function addItems(readListId: string, urls: string[]) {
  for (const url of urls) {
    await prisma.readListItem.create({ data: { readListId, url, title: url, position: 0 } });
  }
}
```

## Use instead
```ts
import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();

export async function addItems(readListId: string, urls: string[]) {
  await prisma.readListItem.createMany({
    data: urls.map((url) => ({ readListId, url, title: url, position: 0 })),
  });
}
```

## Fix safety
Unsafe. Where the loop body is one query, the fix batches it: `create` ->
`createMany` (keeping each iteration's data), `delete` per id -> one
`deleteMany` with `in`, `findUnique` per id -> one `findMany` with `in`
before the loop plus a `Map` lookup. `createMany` takes no nested relation
writes, so a `create` that sets a relation (`author: { connect }`) gets no
fix. Batching changes behaviour: `createMany` returns a count, and the lookup gives `null`
where a row is missing, as `findUnique` did, but runs before the loop.
Loops that must stay sequential (each query depending on the last) need a
different shape; the message names the batched API to use.
"""

import re

from perfaudit.server.prisma.batching import batched_api, callee_text, describe, queries, related_sites
from perfaudit.server.findings import Severity
from perfaudit.server.analysis.loops import calls_in, exits_loop_after, is_awaited_within, loop_bodies, may_loop, outermost
from perfaudit.server.prisma.loop_fixes import batch_fix
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.rule import FixAvailability, Rule

RULE = Rule(
    code="P104",
    name="prisma-query-in-loop",
    summary="A Prisma query runs once per item of a loop (N+1).",
    severity=Severity.WARNING,
    fix=FixAvailability.SOMETIMES,
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)


def check(ctx):
    facts = ctx.file.facts
    if not any(fn.calls for fn in facts.functions) or not may_loop(ctx.file):
        return
    per_loop = []
    for loop in loop_bodies(ctx.file):
        if loop.fan_out is not None or loop.constant_size:
            continue  # fan-outs are A404's; a literal array is a fixed few items
        sequential = loop.callback is None
        found = []
        for call in calls_in(loop.body):
            if sequential and not is_awaited_within(call, loop.body):
                continue  # not awaited per item: collected and awaited elsewhere
            if sequential and exits_loop_after(call, loop.body):
                continue  # the loop ends once it succeeds: a retry, not N+1
            effects = queries(ctx.index.effects_at(ctx.file.path, call.start_byte, call.end_byte))
            if effects and (_writes_a_chunk(loop, call, effects) or _runs_once(call, loop.body)):
                continue
            if effects:
                found.append((call, effects))
        if found:
            per_loop.append((loop, found))
    # Inner loops first, so a query is reported in the loop closest to it.
    per_loop.sort(key=lambda entry: -_depth(entry[0], per_loop))
    reported = []  # (loop, query site) already reported by an inner loop
    for loop, found in per_loop:
        effects_of = {call.id: effects for call, effects in found}
        for call in outermost([call for call, _ in found]):
            effects = [e for e in effects_of[call.id] if not _reported_inside(loop, e, reported)]
            if not effects:
                continue
            reported.extend((loop, (e.path, e.start)) for e in effects)
            message = (
                f"`{callee_text(call)}(...)` runs a query once per item of this loop "
                f"({describe(effects[0])}): N+1 round trips. Batch it: {batched_api(effects)}."
            )
            fix = batch_fix(ctx, loop, call, effects)
            yield ctx.report(
                call.start_byte,
                call.end_byte,
                message,
                related=related_sites(effects, ctx.file.path, call),
                fixes=[fix] if fix is not None else [],
            )


BATCH_OPS = {"createMany", "createManyAndReturn", "updateMany", "updateManyAndReturn", "deleteMany"}
RAW_OPS = {"$executeRaw", "$executeRawUnsafe", "$queryRaw", "$queryRawUnsafe"}


def _writes_a_chunk(loop, call, effects) -> bool:
    """A batch API fed one chunk per iteration (`createMany({ data:
    rows.slice(i, i + 500) })` in a `for` stepping by 500; `deleteMany` or a
    raw `... LIMIT 1000` repeated while a full batch came back): already
    the batched form."""
    ops = {e.op for e in effects}
    text = node_text(call)
    if ops <= RAW_OPS:
        return bool(_LIMIT.search(text))
    if not ops <= BATCH_OPS:
        return False
    if ".slice(" in text or ".splice(" in text:
        return True
    if loop.kind in ("while", "do"):
        return True  # repeated until a short batch: the loop is the paging
    step = loop.loop.child_by_field_name("increment") if loop.kind == "for" else None
    return step is not None and step.type == "augmented_assignment_expression"


_LIMIT = re.compile(r"\bLIMIT\s+(\d+|\$\{)", re.I)


def _runs_once(call, body) -> bool:
    """Inside `if (i === 0)` / `if (found.length === 1)` / `if (i === rows.length - 1)`:
    one iteration runs it, not every item."""
    node = call.parent
    while node is not None and node.id != body.id:
        parent = node.parent
        if parent is not None and parent.type == "if_statement" and _is(parent, "consequence", node):
            cond = parent.child_by_field_name("condition")
            if cond is not None and _one_iteration_test(cond):
                return True
        node = parent
    return False


def _is(parent, field: str, node) -> bool:
    child = parent.child_by_field_name(field)
    return child is not None and child.id == node.id


def _one_iteration_test(cond) -> bool:
    while cond.type == "parenthesized_expression" and cond.named_children:
        cond = cond.named_children[0]
    if cond.type != "binary_expression":
        return False
    op = cond.child_by_field_name("operator")
    if op is None or node_text(op) not in ("===", "=="):
        return False
    left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
    for a, b in ((left, right), (right, left)):
        if a is None or b is None:
            continue
        counter = a.type == "identifier" or (a.type == "member_expression" and node_text(a).endswith(".length"))
        if counter and (node_text(b) in ("0", "1") or re.fullmatch(r"[\w.]+\.length\s*-\s*1", node_text(b))):
            return True
    return False


def _inside(inner, outer) -> bool:
    return inner is not outer and outer.body.start_byte <= inner.loop.start_byte and inner.loop.end_byte <= outer.body.end_byte


def _reported_inside(loop, effect, reported) -> bool:
    site = (effect.path, effect.start)
    return any(s == site and _inside(other, loop) for other, s in reported)


def _depth(loop, per_loop) -> int:
    return sum(1 for other, _ in per_loop if _inside(loop, other))
