"""## What it does
Finds a relation scalar (`authorId` in `author User @relation(fields:
[authorId], references: [id])`) that no `@id`, `@unique`, `@@id`,
`@@unique` or `@@index` of its model starts with. A foreign key that
prisma-missing-index (P105) already reports, because a query filters on it,
gets that one finding, not a second one here.

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

from perfaudit.server.findings import Severity
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
        reported = set(unindexed_fields(advisor_for(ws).usage(schema), p105.get("min-sites", 1))) if p105 is not None else set()
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
                fix = index_fix(schema, model, fk)
                yield ctx.finding(
                    model.path, column.name_start, column.name_end,
                    f"Foreign key `{model.name}.{', '.join(fk)}` of relation `{relation.name}` has no index: "
                    f"joins and cascades on it scan the table. Add @@index([{', '.join(fk)}]). {MIGRATE_HINT}",
                    fixes=[fix] if fix is not None else [],
                )


def _indexed(model, fk: tuple[str, ...]) -> bool:
    return any(ix.kind in ("id", "unique", "index") and ix.covers(fk) for ix in model.indexes)
