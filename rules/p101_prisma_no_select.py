"""## What it does
Reports a Prisma read (`findMany`, `findFirst`, `findFirstOrThrow`,
`findUnique`, `findUniqueOrThrow`) that has no `select` where fetching every
column costs something:

- the code reads a known subset of the columns (`users.map(u => u.name)`,
  `const { id, email } = await ...`, `user.email`) and leaves out a heavy
  column (Json, Bytes, `@db.Text`, arrays) or half the columns or more: the
  message names the columns that come back unused, heavy ones first; a read
  only tested for existence uses no column at all. A single-row read
  (`findUnique`, `findFirst`) is reported only when a heavy column is among
  those it leaves unused: a few small columns of one row cost nothing next
  to the round trip;
- a route sends the row as it is (`res.json(row)`, `res.json({ user: row })`):
  every column, password hashes included, goes to the client.

A model of three scalar columns or fewer is never reported, nor a read whose
rows are returned to code the analyzer cannot follow, nor one that reads
every column. A query with `omit` already chose its columns. The argument
object is resolved through variables, shorthand, spreads, `this.` members and
small helpers; when part of it cannot be seen the rule stays silent. An
`include` alone does not narrow anything: it adds relations on top of every
scalar.

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
result (the key alone for an existence check). Code elsewhere that reads a
field left out breaks (TypeScript reports it). With an inline `include`, the
fix turns it into the `select` (relations keep their options) since the two
cannot be siblings; with an `include` it cannot edit, there is no fix and the
message says so. Where what the code reads is unknown (a row sent whole by a
route) there is no fix: a `select` of every column would fetch the same data
and only silence the finding.
"""

from __future__ import annotations

from perfaudit.server.prisma import PRISMA_READS
from perfaudit.server.analysis.syntax import unwrap
from perfaudit.server.findings import Applicability, Edit, Fix
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.prisma.calls import callee_end, query_sites
from perfaudit.server.express.routes import query_reached_by_route, route_sends_result_of
from perfaudit.server.prisma.overfetch import (
    describe_columns,
    is_heavy,
    leaves_whole,
    returned_whole,
    unused_columns,
    worth_narrowing,
    worth_reporting,
)
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

MANY_ROWS = {"findMany"}

RULE = Rule(
    code="P101",
    name="prisma-no-select",
    summary="A Prisma read with no `select` returns every column.",
    fix=FixAvailability.SOMETIMES,
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)


def check(ctx):
    for site in query_sites(ctx, PRISMA_READS):
        if site.model is None or site.args is None:
            continue
        if site.args.has("select") is not False or site.args.has("omit") is not False:
            continue
        scalars = selectable_scalars(site.schema, site.model)
        if not worth_narrowing(scalars):
            continue  # three columns or fewer: a `select` saves nothing worth a line
        found = _finding(ctx, site, scalars)
        if found is not None:
            yield found


def _finding(ctx, site, scalars):
    callee = ".".join(site.callee)
    model = site.model.name
    has_include = site.args.has("include")
    reads = fields_read(site.node, many=site.op == "findMany")
    if reads is None:
        # What the code reads is unknown: only a row that leaves through a
        # route whole is worth a line, and no `select` can be proposed.
        if not sent_by_a_route(ctx, site):
            return None
        heavy = [f.name for f in scalars if is_heavy(f)]
        message = (f"`{callee}` has no `select` and the whole row leaves through a route: "
                   f"all {len(scalars)} columns of {model} go to the client")
        if heavy:
            message += f", heavy ones too ({describe_columns(heavy, scalars)})"
        return ctx.report(site.start, callee_end(site), message + "; select what the client needs")
    names = {f.name for f in scalars}
    relations = {f.name for f in site.schema.relation_fields(site.model)}
    if reads - names - relations - {"_count"}:
        return None  # a name that is not a field: cannot tell what it means
    picked = [f.name for f in scalars if f.name in reads]
    if not picked:
        # Only tested for existence (or only relations read): the key is enough.
        picked = [n for n in site.model.id_fields if n in names]
        if not picked:
            return None
        what = "only checks that a row exists" if not reads else "reads no column of its own"
    else:
        what = f"reads {len(picked)} of {model}'s {len(scalars)} columns"
    unused = unused_columns(scalars, set(picked))
    if not unused or not worth_reporting(unused, scalars):
        return None  # two timestamps left out of eight columns cost nothing worth a line
    if site.op not in MANY_ROWS and not any(is_heavy(f) for f in scalars if f.name in unused):
        return None  # one row of small columns: nothing worth a line next to the round trip
    message = f"`{callee}` has no `select`: the code {what}; {describe_columns(unused, scalars)} come back unused"
    fix = _fix(ctx, site, picked)
    if has_include and fix is None:
        message += " (move the included relations into a `select`: the two cannot be siblings)"
    return ctx.report(site.start, callee_end(site), message, fixes=[fix] if fix else [])


def _fix(ctx, site, fields: list[str]) -> Fix | None:
    """Select the fields the code reads; never every column (that would
    fetch the same data and only silence the finding)."""
    data = ctx.file.data
    path = ctx.file.path
    title = f"Add select ({len(fields)} field{'s' if len(fields) != 1 else ''} the code reads)"
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


def sent_by_a_route(ctx, site) -> bool:
    """A route sends the query's rows as they are: in its handler
    (`res.json(row)`), or the handler sends what the function holding the
    query returns (`res.json(await service.findById(id))`)."""
    ws, path = ctx.workspace, ctx.file.path
    if not query_reached_by_route(ws, path, site.start):
        return False
    if leaves_whole(site.node):
        return True
    fn = ctx.file.facts.function_at(site.start)
    return fn is not None and bool(fn.name) and returned_whole(site.node) and route_sends_result_of(ws, path, site.start, fn.name)
