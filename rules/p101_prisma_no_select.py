"""## What it does
Reports a Prisma read (`findMany`, `findFirst`, `findFirstOrThrow`,
`findUnique`, `findUniqueOrThrow`) that has no `select`, so every column of
the model comes back. An `include` alone does not narrow anything: it adds
relations on top of every scalar.

The argument object is resolved through variables, shorthand, spreads,
`this.` members and small helpers; when part of it cannot be seen (a
parameter passed through, an unknown spread) the rule stays silent. A query
with `omit` already chose its columns and is not reported, nor is a read of a
model with a single scalar column (a tag table keyed by its name), which a
`select` could not narrow.

## Why is this bad?
Every column is read from disk, sent over the wire, decoded and kept in
memory, including large text, JSON and the password hash that the endpoint
drops a moment later. On wide tables this dominates the query's cost, and it
defeats index-only scans.

## Example
```ts
import { prisma } from './lib/prisma';

export async function listUserNames() {
  const users = await prisma.user.findMany({ where: { role: 'USER' }, take: 50 });
  return users.map((u) => u.name);
}
```

## Use instead
```ts
import { prisma } from './lib/prisma';

export async function listUserNames() {
  const users = await prisma.user.findMany({
    where: { role: 'USER' },
    select: { name: true },
    take: 50,
  });
  return users.map((u) => u.name);
}
```

## Fix safety
"Add select" is unsafe: it lists the scalar fields the code reads from the
result where that can be seen (`users.map(u => u.name)`, `const { id, email }
= await ...`, `user.email`), else every scalar field of the model, for the
user to prune. Code elsewhere that reads a field left out breaks (TypeScript
reports it). With an inline `include`, the fix turns it into the `select`
(relations keep their options) since the two cannot be siblings; with an
`include` it cannot edit, there is no fix and the message says so.
"""

from __future__ import annotations

from perfaudit.server.prisma import PRISMA_READS
from perfaudit.server.analysis.syntax import unwrap
from perfaudit.server.findings import Applicability, Edit, Fix
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.prisma.calls import callee_end, query_sites
from perfaudit.server.rule import FixAvailability, Rule
from perfaudit.server.prisma.select_fields import (
    add_to_arguments,
    fields_read,
    inline_argument_object,
    insert_entries,
    pair_in,
    select_entries,
    selectable_scalars,
)

RULE = Rule(
    code="P101",
    name="prisma-no-select",
    summary="A Prisma read with no `select` returns every column.",
    fix=FixAvailability.SOMETIMES,
    request_path=True,
)


def check(ctx):
    for site in query_sites(ctx, PRISMA_READS):
        if site.model is None or site.args is None:
            continue
        if site.args.has("select") is not False or site.args.has("omit") is not False:
            continue
        has_include = site.args.has("include")
        scalars = selectable_scalars(site.schema, site.model)
        if len(scalars) <= 1:
            continue  # one column (a lookup table keyed by its name): nothing a `select` could drop
        fields, from_reads = _fields_to_select(site, scalars)
        fix = _fix(ctx, site, fields, from_reads)
        callee = ".".join(site.callee)
        message = f"`{callee}` has no `select`: every column of {site.model.name} comes back ({len(scalars)} fields)"
        if has_include:
            message += "; `include` adds relations, it does not narrow the columns"
            if fix is None:
                message += " (move the included relations into a `select`: the two cannot be siblings)"
        yield ctx.report(site.start, callee_end(site), message, fixes=[fix] if fix else [])


def _fields_to_select(site, scalars) -> tuple[list[str], bool]:
    """(field names, whether they come from what the code reads)."""
    everything = [f.name for f in scalars]
    reads = fields_read(site.node, many=site.op == "findMany")
    if reads is None:
        return everything, False
    relations = {f.name for f in site.schema.relation_fields(site.model)}
    if reads - set(everything) - relations - {"_count"}:
        return everything, False  # a name that is not a field: cannot tell what it means
    picked = [name for name in everything if name in reads]
    if not picked:
        # Only tested for existence (or only relations read): the id is enough.
        picked = [name for name in site.model.id_fields if name in everything] or everything
    return picked, True


def _fix(ctx, site, fields: list[str], from_reads: bool) -> Fix | None:
    data = ctx.file.data
    path = ctx.file.path
    title = (
        f"Add select ({len(fields)} field{'s' if len(fields) != 1 else ''} the code reads)"
        if from_reads
        else f"Add select (every scalar field of {site.model.name}; prune the ones not used)"
    )
    if site.args.has("include") is not True:
        edit = add_to_arguments(path, data, site.node, [f"select: {{ {select_entries(fields)} }}"])
        return Fix(title, Applicability.UNSAFE, (edit,)) if edit is not None else None
    # `select` and `include` cannot be siblings: the include becomes the select.
    obj = inline_argument_object(site.node)
    pair = pair_in(obj, "include") if obj is not None else None
    value = unwrap(pair.child_by_field_name("value")) if pair is not None else None
    if value is None or value.type != "object":
        return None
    key = pair.child_by_field_name("key")
    quote = node_text(key)[0] if node_text(key)[:1] in "'\"" else ""
    rename = Edit(path, key.start_byte, key.end_byte, f"{quote}select{quote}")
    entries = [f"{name}: true" for name in fields]
    return Fix(title, Applicability.UNSAFE, (rename, insert_entries(path, data, value, entries)))
