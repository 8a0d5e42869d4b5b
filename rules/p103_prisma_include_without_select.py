"""## What it does
Reports a Prisma query whose `include` loads a relation whole
(`include: { posts: true }`, or `posts: { where, orderBy }` /
`posts: { include: { ... } }` with no `select`) where that costs something:
the code reads a known subset of the related model's columns
(`lists.map(l => l.owner.name)`; the message names what comes back unused),
or a route sends the rows as they are, every related column with them.
Related models of three scalar columns or fewer are not reported, nor
relations whose use cannot be followed and that no route sends. The finding
is on the query call.

Relations whose options cannot be seen (a variable the analyzer cannot
resolve, a ternary) are not reported.

## Why is this bad?
Every column of every related row comes back: for a list of 50 users with
their posts, that is each post's full body, even when the page shows only
titles. Relations multiply rows, so the cost of unused columns multiplies
with them.

## Example
```ts
import { prisma } from './lib/prisma';

export async function postTitles(id: string) {
  const author = await prisma.user.findUnique({
    where: { id },
    include: { posts: true },
  });
  return author ? author.posts.map((p) => p.title) : [];
}
```

## Use instead
```ts
import { prisma } from './lib/prisma';

export async function postTitles(id: string) {
  const author = await prisma.user.findUnique({
    where: { id },
    include: { posts: { select: { title: true } } },
  });
  return author ? author.posts.map((p) => p.title) : [];
}
```

## Fix safety
"Select the relation fields the code reads" is unsafe: it turns each whole
relation into `posts: { select: { ... } }` listing the fields the code reads
(and a nested `include` into that `select`). Where what the code reads is
unknown there is no fix: a `select` of every column would fetch the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfaudit.server.prisma import PRISMA_READS
from perfaudit.server.analysis.syntax import unwrap
from perfaudit.server.findings import Applicability, Edit, Fix
from perfaudit.server.analysis.objects import is_truthy_literal, resolve_object
from perfaudit.server.prisma.calls import callee_end, query_sites
from perfaudit.server.rule import FixAvailability, Rule
from perfaudit.rules.p101_prisma_no_select import sent_by_a_route
from perfaudit.server.prisma.overfetch import describe_columns, unused_columns, worth_narrowing
from perfaudit.server.prisma.select_fields import (
    fields_read,
    insert_entries,
    pair_in,
    relation_fields_read,
    select_entries,
    selectable_scalars,
)

RULE = Rule(
    code="P103",
    name="prisma-include-without-select",
    summary="An `include` loads a relation with every column.",
    fix=FixAvailability.SOMETIMES,
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)

# Operations that take `include` and return rows.
INCLUDE_OPS = PRISMA_READS | {"create", "update", "upsert", "delete", "createManyAndReturn", "updateManyAndReturn"}
MAX_DEPTH = 6


@dataclass
class _Whole:
    """A relation an `include` loads with every column."""

    path: str  # `comments.user`
    model: object  # the related model
    many: bool
    depth: int
    true_node: object = None  # `posts: true`
    options: object = None  # `posts: { where }` written inline
    nested: object = None  # the `include: {...}` object inside those options


def check(ctx):
    for site in query_sites(ctx, INCLUDE_OPS):
        if site.model is None or site.args is None or site.args.has("include") is not True:
            continue
        whole: list[_Whole] = []
        _whole_relations(site.schema, site.model, site.args.value("include"), "", whole, 0)
        found = _finding(ctx, site, whole)
        if found is not None:
            yield found


def _finding(ctx, site, whole: list[_Whole]):
    many = site.op == "findMany"
    parts, edits, fixable, to_client = [], [], True, []
    # Rows whose use is unknown (`.catch(...)`, a name that is no field):
    # what they read of their relations is unknown too.
    row_reads = fields_read(site.node, many)
    own = {f.name for f in site.model.fields} | {"_count"}
    rows_followed = row_reads is not None and not (row_reads - own)
    for w in whole:
        scalars = selectable_scalars(site.schema, w.model)
        if not worth_narrowing(scalars):
            continue  # three columns or fewer: nothing worth a `select`
        reads = relation_fields_read(site.node, many, w.path, w.many) if w.depth == 0 and rows_followed else None
        if reads is None:
            to_client.append(w)
            continue
        names = {f.name for f in scalars}
        relations = {f.name for f in site.schema.relation_fields(w.model)}
        if reads - names - relations - {"_count"}:
            continue  # a name that is not a field: cannot tell what it means
        picked = [f.name for f in scalars if f.name in reads] or [n for n in w.model.id_fields if n in names]
        unused = unused_columns(scalars, set(picked))
        if not picked or not unused:
            continue
        what = f"reads {len(picked)} of its {len(scalars)} columns" if reads & names else "reads none of its columns"
        parts.append(f"`{w.path}` ({w.model.name}) whole: the code {what}; "
                     f"{describe_columns(unused, scalars, 3)} come back for every related row")
        edit = _edits(ctx, w, picked)
        if edit is None:
            fixable = False
        else:
            edits.extend(edit)
    if to_client and sent_by_a_route(ctx, site):
        names = ", ".join(f"`{w.path}` ({w.model.name})" for w in to_client)
        parts.append(f"{names} whole, and the rows leave through a route: every column of every related row goes to the client")
        fixable = False
    if not parts:
        return None
    callee = ".".join(site.callee)
    message = f"`{callee}` includes " + "; ".join(parts)
    fixes = [Fix("Select the relation fields the code reads", Applicability.UNSAFE, tuple(edits))] if fixable and edits else []
    return ctx.report(site.start, callee_end(site), message, fixes=fixes)


def _edits(ctx, w: _Whole, picked: list[str]) -> list[Edit] | None:
    entries = select_entries(picked)
    if w.true_node is not None:
        return [Edit(ctx.file.path, w.true_node.start_byte, w.true_node.end_byte, f"{{ select: {{ {entries} }} }}")]
    if w.options is None:
        return None
    if w.nested is None:
        return [insert_entries(ctx.file.path, ctx.file.data, w.options, [f"select: {{ {entries} }}"])]
    # `posts: { include: { comments: true } }` -> `posts: { select: { <fields>, comments: ... } }`
    pair = pair_in(w.options, "include")
    nested_obj = unwrap(pair.child_by_field_name("value")) if pair is not None else None
    if nested_obj is None or nested_obj.type != "object":
        return None
    key_node = pair.child_by_field_name("key")
    return [Edit(ctx.file.path, key_node.start_byte, key_node.end_byte, "select"),
            insert_entries(ctx.file.path, ctx.file.data, nested_obj, [entries])]


def _whole_relations(schema, model, include, prefix: str, whole: list, depth: int) -> None:
    """Collect the relations of `include` loaded whole, at any depth."""
    obj = resolve_object(include) if include is not None else None
    if obj is None or depth > MAX_DEPTH:
        return
    for key, value in obj.values.items():
        field = model.field(key)
        related = schema.models.get(field.type) if field is not None else None
        if related is None or value is None:
            continue  # `_count`, an unknown key
        path = f"{prefix}{key}"
        node = unwrap(value)
        if is_truthy_literal(node) is True:
            literal_true = node if node.type == "true" and node.parent is not None and node.parent.type == "pair" else None
            whole.append(_Whole(path, related, field.is_list, depth, true_node=literal_true))
            continue
        options = resolve_object(node)
        if options is None or options.has("select") is not False:
            continue
        literal = options.node if options.node is not None and options.node.id == node.id else None
        nested = options.values.get("include") if options.has("include") else None
        whole.append(_Whole(path, related, field.is_list, depth, options=literal,
                            nested=nested if literal is not None else None))
        if nested is not None:
            _whole_relations(schema, related, nested, path + ".", whole, depth + 1)

