"""## What it does
Finds a route whose handler reaches at least option `max-queries` (3)
database round trips awaited one after another: queries in the handler, in
the controller and service methods it calls, in other files. Queries run
together (`Promise.all`, a `$transaction([...])` batch) count as one trip.
An interactive transaction (`$transaction(async (tx) => ...)`) counts as one
step: its queries run one by one on the transaction's connection, which
`Promise.all` cannot overlap, so the message lists it as
`$transaction(a, b)` and only the steps around it can be run together.

## Why is this bad?
Each awaited query is a network round trip plus the query itself; awaited
in a row their latencies add up, and the endpoint is as slow as their sum.

## Example
```ts
import { Router } from 'express';
import { prisma } from './prisma';

export const router = Router();

router.get('/users/:id/profile', async (req, res) => {
  const user = await prisma.user.findUnique({ where: { id: req.params.id } });
  const lists = await prisma.readList.findMany({ where: { ownerId: req.params.id }, take: 20 });
  const comments = await prisma.comment.count({ where: { userId: req.params.id } });
  res.json({ user, lists, comments });
});
```

## Use instead
```ts
import { Router } from 'express';
import { prisma } from './prisma';

export const router = Router();

router.get('/users/:id/profile', async (req, res) => {
  const [user, lists, comments] = await Promise.all([
    prisma.user.findUnique({ where: { id: req.params.id } }),
    prisma.readList.findMany({ where: { ownerId: req.params.id }, take: 20 }),
    prisma.comment.count({ where: { userId: req.params.id } }),
  ]);
  res.json({ user, lists, comments });
});
```

## Fix safety
No fix: the message lists the queries in order, so you can see which are
independent (run them with `Promise.all`) or can be merged into one query
with `include`/`select`. When each query reads what the one before returned
(in one function), the message says so and suggests merging instead.
"""

from __future__ import annotations

from perfaudit.server.analysis.dataflow import needs_result_of
from perfaudit.server.express.route_edits import node_at
from perfaudit.server.findings import Related
from perfaudit.server.express.routes import _effect_label, routes_in, step_label
from perfaudit.server.rule import Rule

RULE = Rule(
    code="E303",
    name="route-many-queries",
    summary="A route that awaits several queries one after another.",
    options={"max-queries": 3},
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)


def check(ctx):
    limit = max(int(ctx.options.get("max-queries", 3)), 2)
    for route in routes_in(ctx.workspace, ctx.file.path):
        steps = route.steps
        if len(steps) < limit:
            continue
        listed = ", ".join(step_label(step, ctx.workspace) for step in steps)
        related = [Related(e.path, e.start, e.end, f"round trip {i}: {_effect_label(e, ctx.workspace)}")
                   for i, step in enumerate(steps, 1) for e in step]
        advice = (_CHAIN_ADVICE if _each_needs_the_last(ctx.workspace, steps)
                  else "run the independent ones together with Promise.all or merge them")
        yield ctx.report(
            route.start, route.head_end,
            f"{route.title} awaits {len(steps)} database round trips one after another ({listed}); {advice}",
            related=related,
        )


_CHAIN_ADVICE = ("each reads what the one before returned: merge them into fewer queries "
                 "(a nested `select`/`include`, a relation filter), or start one from a value the request already has")


def _each_needs_the_last(ws, steps) -> bool:
    """Every round trip, in one function with the one before, reads a value
    the one before returned (`const { fgId } = await a(); await b({ where:
    { fgId } })`). A batch (`Promise.all`, `$transaction([...])`) is one
    statement: its first query stands for it."""
    nodes = []
    for step in steps:
        if step[0].path not in ws.files:
            return False
        nodes.append(node_at(ws.files[step[0].path], step[0].start, step[0].end, ("call_expression",)))
    return all(a is not None and b is not None and needs_result_of(a, b) for a, b in zip(nodes, nodes[1:]))
