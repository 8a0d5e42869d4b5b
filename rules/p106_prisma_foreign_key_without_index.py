"""## What it does
Finds a relation scalar (`authorId` in `author User @relation(fields:
[authorId], references: [id])`) that no `@id`, `@unique`, `@@id`,
`@@unique` or `@@index` of its model starts with, and that the code relies
on. A request's code (not tests, seeds or scripts) relies on a foreign key
when it loads or counts the relation from the referenced side
(`include: { posts: true }` on User, `_count: { select: { posts: true } }`,
nested ones too), filters on the key or through the relation
(`where: { posts: { some: ... } }`), or deletes rows of the referenced model,
directly or through an `onDelete: Cascade` chain: PostgreSQL then looks for
the referring rows. A key nothing relies on, such as an audit column
(`createdById`) that no request reads back, is not reported: its index
would slow every insert and serve nothing. Every unindexed key is reported
with `relationMode = "prisma"` (no foreign keys: Prisma's docs ask for the
indexes) and for a schema that no request code of the workspace queries
(then the schema is all there is to read).

A foreign key that prisma-missing-index (P105) already reports, because a
query filters on it, gets that one finding, not a second one here.

## Why is this bad?
PostgreSQL indexes the referenced primary key but never the referencing
column. Loading a user's posts (`include: { posts: true }`, a relation
filter, `where: { authorId }`) and every cascading delete or update of a
user then scans the whole `Post` table. With `relationMode = "prisma"`
there is not even a foreign key, and Prisma's docs ask for the index by hand.

## Example
```prisma
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id    String @id @default(cuid())
  posts Post[]
}

model Post {
  id       String @id @default(cuid())
  title    String
  authorId String
  author   User   @relation(fields: [authorId], references: [id])
}
```

```ts
import { prisma } from './lib/prisma';

export async function authorPage(id: string) {
  return prisma.user.findUnique({
    where: { id },
    select: { id: true, posts: { select: { id: true, title: true }, take: 20 } },
  });
}
```

## Use instead
```prisma
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id    String @id @default(cuid())
  posts Post[]
}

model Post {
  id       String @id @default(cuid())
  title    String
  authorId String
  author   User   @relation(fields: [authorId], references: [id])

  @@index([authorId])
}
```

## Fix safety
"Add @@index([authorId])" inserts the index into the model; it is safe (an
index changes no result). Then create the migration with
`npx prisma migrate dev --name add_performance_indexes`; on a large table use
`CREATE INDEX CONCURRENTLY` in a hand-edited migration.
"""

from __future__ import annotations

from perfaudit.server.findings import Related, Severity
from perfaudit.server.prisma.index_advisor import MIGRATE_HINT, advisor_for, index_fix, p105_options, unindexed_fields
from perfaudit.server.rule import FixAvailability, Rule, Scope
from perfaudit.server.prisma import schemas

RULE = Rule(
    code="P106",
    name="prisma-foreign-key-without-index",
    summary="A relation's foreign key column has no index that starts with it.",
    severity=Severity.WARNING,
    fix=FixAvailability.ALWAYS,
    scope=Scope.WORKSPACE,
)


def check(ctx):
    ws = ctx.workspace
    p105 = p105_options(ws)
    for schema in schemas(ws):
        ds = schema.datasource
        if ds is not None and ds.provider == "mongodb":
            continue  # no foreign keys, no joins
        usage = advisor_for(ws).usage(schema)
        reported = set(unindexed_fields(usage, p105.get("min-sites", 1))) if p105 is not None else set()
        emulated = ds is not None and ds.relation_mode == "prisma"
        reasons = None if emulated else _reasons(schema, usage)
        for model in schema.models.values():
            if model.kind != "model":
                continue
            seen: set[tuple[str, ...]] = set()
            for relation in model.fields:
                fk = relation.relation_fields
                if not fk or fk in seen:
                    continue
                seen.add(fk)
                if _indexed(model, fk) or (model.name, fk[0]) in reported:
                    continue
                column = model.field(fk[0])
                if column is None:
                    continue
                why = reasons.why(model.name, fk, relation.type) if reasons is not None else None
                if reasons is not None and why is None:
                    continue  # no request code joins, filters or deletes through it
                fix = index_fix(schema, model, fk)
                said, site = why or ("joins and cascades on it scan the table", None)
                yield ctx.finding(
                    model.path, column.name_start, column.name_end,
                    f"Foreign key `{model.name}.{', '.join(fk)}` of relation `{relation.name}` has no index: "
                    f"{said}. Add @@index([{', '.join(fk)}]). {MIGRATE_HINT}",
                    related=[Related(site.path, site.start, site.callee_end, "relies on it")] if site else [],
                    fixes=[fix] if fix is not None else [],
                )


class _Reasons:
    """What request code does through foreign keys: the relations it loads
    from the referenced side, the columns it filters on, the models whose
    rows it deletes (with what `onDelete: Cascade` deletes after them)."""

    def __init__(self, schema, usage):
        self.joined: dict[tuple[str, tuple[str, ...]], object] = {}
        self.filtered: dict[tuple[str, str], object] = {}
        deleted: dict[str, object] = {}
        for model_usage in usage.models.values():
            for site in model_usage.sites:
                for join in site.joins:
                    self.joined.setdefault(join, site)
                for use in site.uses:
                    self.filtered.setdefault((use.model, use.field), site)
                for req in site.requirements:  # relation filters: `posts: { some: ... }`
                    for column in req.columns:
                        self.filtered.setdefault((req.model, column), site)
                if site.op in DELETES:
                    deleted.setdefault(site.model, site)
        self.deleted = _with_cascades(schema, deleted)

    def why(self, model: str, fk: tuple[str, ...], referenced: str):
        """(what the code does that scans for the key, a site doing it), or None."""
        site = self.joined.get((model, fk))
        if site is not None:
            return f"loading `{model}` rows through it scans the table", site
        site = self.filtered.get((model, fk[0]))
        if site is not None:
            return f"filtering `{model}` on it scans the table", site
        site = self.deleted.get(referenced)
        if site is not None:
            return f"deleting a `{referenced}` row scans `{model}` for the rows that refer to it", site
        return None


DELETES = ("delete", "deleteMany")


def _reasons(schema, usage) -> _Reasons | None:
    """None when no request code queries the schema: it is read alone."""
    if not any(model_usage.sites for model_usage in usage.models.values()):
        return None
    return _Reasons(schema, usage)


def _with_cascades(schema, deleted: dict[str, object]) -> dict[str, object]:
    """`deleted` plus the models whose rows `onDelete: Cascade` deletes with them."""
    out = dict(deleted)
    frontier = list(deleted)
    while frontier:
        parent = frontier.pop()
        for model in schema.models.values():
            for f in model.fields:
                rel = f.relation
                if (f.type == parent and f.relation_fields and model.name not in out and rel is not None
                        and (rel.named_arg("onDelete") or "").strip() == "Cascade"):
                    out[model.name] = out[parent]
                    frontier.append(model.name)
    return out


def _indexed(model, fk: tuple[str, ...]) -> bool:
    return any(ix.kind in ("id", "unique", "index") and ix.covers(fk) for ix in model.indexes)
