"""## What it does
Finds a GET route whose handler returns a `findMany` result with no `take`,
and that reads no pagination parameter (`page`, `limit`, `offset`, `cursor`,
`take`, `skip`) from the request. The query may be in the handler or in
the service it calls. A handler that hands `req.query` on whole (to a
validator or a service) may paginate there, and is left alone. Only lists
are reported: not a detail route (`/:id` reading one record, even with lists
of its own embedded), not rows folded into something else (a map, a count,
booleans, a tree) before they leave, not rows bounded by a unique key pinned
but for enum columns.

## Why is this bad?
The endpoint returns every row: fine with ten, a timeout and a memory spike
with a hundred thousand. The response grows with the table, forever.

## Example
```ts
import { Router } from 'express';
import { prisma } from './prisma';

export const router = Router();

router.get('/readlists/:id/items', async (req, res) => {
  const items = await prisma.readListItem.findMany({ where: { readListId: req.params.id } });
  res.json(items);
});
```

## Use instead
```ts
import { Router } from 'express';
import { prisma } from './prisma';

export const router = Router();

router.get('/readlists/:id/items', async (req, res) => {
  const limit = Math.min(Number(req.query.limit) || 50, 100);
  const offset = Number(req.query.offset) || 0;
  const items = await prisma.readListItem.findMany({
    where: { readListId: req.params.id },
    take: limit,
    skip: offset,
  });
  res.json(items);
});
```

## Fix safety
Where the `findMany` is in the handler itself, the fix adds `take` and
`skip` read from `req.query.limit` and `req.query.offset` (at most 100
rows). Unsafe: clients that expected the whole list now get the first page.
"""

from __future__ import annotations

from perfaudit.server.findings import Applicability, Edit, Fix, Related
from perfaudit.server.express.routes import routes_in
from perfaudit.server.express.route_edits import node_at, query_arg_keys, query_filters_by_list
from perfaudit.server.postgres.results import size_note
from perfaudit.server.analysis.objects import resolve_object
from perfaudit.server.prisma.bounds import where_bounds_rows
from perfaudit.server.prisma.calls import query_site_at
from perfaudit.server.prisma.overfetch import rows_leave_as_list
from perfaudit.server.rule import FixAvailability, Rule

RULE = Rule(
    code="E304",
    name="route-unpaginated-list",
    summary="A GET route that returns a whole findMany result with no pagination.",
    fix=FixAvailability.SOMETIMES,
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)
PAGE_KEYS = {"take", "cursor"}


def check(ctx):
    ws = ctx.workspace
    for route in routes_in(ws, ctx.file.path):
        if route.method != "GET" or route.pagination != "no" or _is_detail(route):
            continue
        unbounded = [q for q in route.queries if q.op == "findMany" and _unbounded(ws, q)]
        if not unbounded:
            continue
        query = unbounded[0]
        yield ctx.report(
            route.start, route.head_end,
            f"{route.title} returns every matching `{query.target}` row (findMany with no take), however "
            f"many there are{size_note(ws.root, query.target)}, and reads no page, limit or cursor from the request",
            related=[Related(q.path, q.start, q.end, "findMany with no take") for q in unbounded],
            fixes=_fix(ctx, route, query),
        )


def _unbounded(ws, query) -> bool:
    keys = query_arg_keys(ws, query)
    if keys is None or keys & PAGE_KEYS or query_filters_by_list(ws, query):
        return False
    site = query_site_at(ws, query.path, query.start, query.end)
    if site is None:
        return True
    if site.model is not None and site.args is not None:
        where = site.args.value("where")
        if where_bounds_rows(resolve_object(where) if where is not None else None, site.model, site.schema):
            return False  # a unique key pinned but for enum columns: a few rows at most
    # Rows folded into a map, a count or a tree are not a list the client pages through.
    return rows_leave_as_list(site.node)


SINGLE_READS = {"findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow"}


def _is_detail(route) -> bool:
    """`GET /clubs/:id` reading one record: a detail page, even when it
    embeds lists of its own."""
    last = route.path.rstrip("/").rsplit("/", 1)[-1]
    return last.startswith(":") and any(q.op in SINGLE_READS for q in route.queries)


def _fix(ctx, route, query):
    if route.handler is None or query.path != route.handler[0]:
        return ()
    fn = route.handler[1]
    if not (fn.start <= query.start < fn.end) or not fn.params or not fn.params[0] or fn.params[0].startswith("_"):
        return ()
    source = ctx.workspace.files[query.path]
    node = node_at(source, query.start, query.end, ("call_expression",))
    args = node.child_by_field_name("arguments") if node is not None else None
    if args is None:
        return ()
    req = fn.params[0]
    paging = f"take: Math.min(Number({req}.query.limit) || 100, 100), skip: Number({req}.query.offset) || 0"
    named = args.named_children
    if not named:
        edit = Edit(query.path, args.start_byte, args.end_byte, f"({{ {paging} }})")
    elif named[0].type == "object":
        edit = Edit(query.path, named[0].start_byte + 1, named[0].start_byte + 1, f" {paging},")
    else:
        return ()
    return (Fix("Paginate with req.query.limit and offset", Applicability.UNSAFE, (edit,)),)
