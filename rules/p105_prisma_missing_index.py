"""## What it does
Compares how the code filters and sorts each model (the fields of `where`,
including `AND`/`OR`, relation filters `some`/`every`/`none`/`is`, and the
`orderBy` of paginated reads) with the indexes the schema declares (`@id`,
`@unique`, `@@id`, `@@unique`, `@@index`). A query is served when some index
starts with one of its equality fields (or its range field); when none does,
it reads the whole table. The finding is on each such field in the schema,
with the query sites as related information (hovering a query site in the
editor shows it too): one problem, one finding.

A paginated read (`take`, `cursor`, `findFirst`) that sorts is served only by
an index that continues with the sort field after the equality fields:
`where: { a }, orderBy: { b }` by `(a, b)`, not by `(a)` or `(a, c)`. When an
index serves the filter but not the sort, the finding is at `orderBy` and
names the composite that serves both. A Boolean flag or a `deletedAt: null`
filter alone is never a reason for an index of its own (it joins a composite
with the other fields of its `where`).

A composite where-clause gets one composite suggestion, equality fields first,
then the range or sort field (`@@index([authorId, createdAt])`), the order
PostgreSQL's B-tree leftmost-prefix rule needs. An `OR` of two fields needs
two single indexes, not one composite, and gets both. Unique lookups
(`id`, `@unique` fields, compound uniques) never fire; a `where` built from an
object the analyzer cannot see (an unknown spread, a computed key, a
parameter) gives no finding. `contains`/`endsWith`/`not` filters and array or
JSON fields are not served by a B-tree index and are not suggested. Small
enum-like tables are not special-cased: on a table of ten rows a scan is
fine, so suppress the finding there, or let the planner say so: after
`perfaudit explain` (or `perfaudit check --database-url`), a suggestion the
PostgreSQL planner turned down (`not-used`, `small-table`) is not reported,
and a confirmed one says the cost before and after.

Option `min-sites` (default 1): how many query sites must need an index before
it is reported; reads that scan (`findMany`, `findFirst`, `count`,
`aggregate`, `groupBy`, `updateMany`, `deleteMany`) count 1, lookups 0.5.

## Why is this bad?
Without an index PostgreSQL runs a sequential scan: every row of the table is
read for each query. It is fast in development with a hundred rows and
collapses in production with millions, usually on the most used screen.

## Example
```prisma
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Order {
  id         String   @id @default(cuid())
  customerId String
  status     String
  total      Int
  createdAt  DateTime @default(now())
}
```
```ts
import { prisma } from './db';

export async function customerOrders(customerId: string) {
  return prisma.order.findMany({
    where: { customerId, status: 'PAID' },
    orderBy: { createdAt: 'desc' },
    take: 20,
  });
}
```

## Use instead
```prisma
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Order {
  id         String   @id @default(cuid())
  customerId String
  status     String
  total      Int
  createdAt  DateTime @default(now())

  @@index([customerId, status, createdAt])
}
```
```ts
import { prisma } from './db';

export async function customerOrders(customerId: string) {
  return prisma.order.findMany({
    where: { customerId, status: 'PAID' },
    orderBy: { createdAt: 'desc' },
    take: 20,
  });
}
```

## Fix safety
"Add @@index([...])" inserts the index line into the model in the schema
file; it is safe (an index
changes no result). Then create the migration:
`npx prisma migrate dev --name add_performance_indexes`. On a large table,
edit the generated migration to `CREATE INDEX CONCURRENTLY ...` (outside a
transaction) so the build does not block writes.
"""

from __future__ import annotations

from perfaudit.server.findings import Related, Severity
from perfaudit.server.prisma.index_advisor import (
    MIGRATE_HINT, adopt_sites, advisor_for, export_sites, fill_sites, index_fix, unindexed_fields,
)
from perfaudit.server.postgres.results import index_advice
from perfaudit.server.rule import FileMemo, FixAvailability, Rule, Scope
from perfaudit.server.prisma import schemas

RULE = Rule(
    code="P105",
    name="prisma-missing-index",
    summary="A field the code filters or sorts on has no index that starts with it.",
    severity=Severity.WARNING,
    fix=FixAvailability.SOMETIMES,
    scope=Scope.WORKSPACE,
    options={"min-sites": 1},
)

# Each file's query sites are read while the per-file checks hold its tree.
FILE_MEMO = FileMemo(fill=fill_sites, export=export_sites, adopt=adopt_sites)

MAX_RELATED = 20


def check(ctx):
    advisor = advisor_for(ctx.workspace)
    min_sites = ctx.options.get("min-sites", 1)
    for schema in schemas(ctx.workspace):
        usage = advisor.usage(schema)
        yield from _sort_findings(ctx, schema, usage, min_sites)
        fields = _planner_filtered(ctx.workspace.root, unindexed_fields(usage, min_sites))
        if not fields:
            continue
        # One problem, one finding: at the schema field, with every query
        # site as related information (editors show them, hover at a query
        # site explains it).
        yield from _schema_findings(ctx, schema, fields)


def _sort_findings(ctx, schema, usage, min_sites):
    """At the `orderBy` of a limited read whose filter an index serves but
    whose sort it does not: which composite serves both."""
    for model_usage in usage.models.values():
        for need in model_usage.unsorted(min_sites):
            quiet, note = index_advice(ctx.workspace.root, need.model, need.columns)
            if quiet:
                continue  # the planner turned the composite down
            model = schema.models[need.model]
            ix = need.served_by
            fix = index_fix(schema, model, need.columns)
            filters = ", ".join(f"`{c}`" for c in need.columns if c in need.eq)
            seen = set()
            for site, _ in need.sites:
                start, end = site.anchor("orderBy")
                if (site.path, start) in seen:
                    continue
                seen.add((site.path, start))
                yield ctx.finding(
                    site.path, start, end,
                    f"`@@{ix.kind}([{', '.join(ix.fields)}])` serves the filter on {filters} but not the sort on "
                    f"`{need.slot}` ({site.model}.{site.op}): PostgreSQL reads every matching row and sorts them "
                    f"before taking the first. `@@index([{', '.join(need.columns)}])` serves both the filter and the sort."
                    + (f" {note}" if note else ""),
                    related=(Related(model.path, ix.start, ix.end, "the index that serves only the filter"),),
                    fixes=(fix,) if fix is not None else (),
                )


def _planner_filtered(root: str, fields):
    """Drop the needs the planner turned down (saved `perfaudit explain` results)."""
    out = {}
    for key, needs in fields.items():
        kept = [n for n in needs if not index_advice(root, n.model, n.columns)[0]]
        if kept:
            out[key] = kept
    return out


def _planner_notes(root: str, needs) -> str:
    notes = dict.fromkeys(index_advice(root, n.model, n.columns)[1] for n in needs)
    return "".join(f" {n}" for n in notes if n)


def _site_label(ws, site) -> str:
    line = ws.line_index(site.path).line_of(site.start) + 1
    return f"{site.model}.{site.op} in {ws.relpath(site.path)}:{line}"


def _schema_findings(ctx, schema, fields):
    ws = ctx.workspace
    for (model_name, column), needs in sorted(fields.items()):
        model = schema.models[model_name]
        f = model.field(column)
        sites = {}
        for need in needs:
            for site, key in need.sites:
                sites.setdefault((site.path, site.start), (site, key))
        related = [Related(s.path, *s.anchor(key), f"filtered or sorted here: {_site_label(ws, s)}")
                   for s, key in list(sites.values())[:MAX_RELATED]]
        fixes = [fx for fx in (index_fix(schema, model, n.columns) for n in needs) if fx is not None]
        suggestion = ", ".join(f"@@index([{', '.join(n.columns)}])" for n in needs)
        count = len(sites)
        yield ctx.finding(
            model.path, f.name_start, f.name_end,
            f"`{model_name}.{column}` is filtered or sorted on by {count} query site{'s' if count != 1 else ''} "
            f"that no index serves: add {suggestion}.{_planner_notes(ws.root, needs)} {MIGRATE_HINT}",
            related=related, fixes=fixes,
        )
