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
with `include`/`select`.
"""

from __future__ import annotations

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
        yield ctx.report(
            route.start, route.head_end,
            f"{route.title} awaits {len(steps)} database round trips one after another ({listed}); "
            "run the independent ones together with Promise.all or merge them",
            related=related,
        )
