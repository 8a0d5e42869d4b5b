"""## What it does
Reports a Prisma query whose `include` loads a relation whole:
`include: { posts: true }`, or `posts: { where, orderBy }` /
`posts: { include: { ... } }` with no `select`, at any depth. The finding is
on the query call and names every relation loaded whole.

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

export async function authorWithPosts(id: string) {
  return prisma.user.findUnique({
    where: { id },
    include: { posts: true },
  });
}
```

## Use instead
```ts
import { prisma } from './lib/prisma';

export async function authorWithComments(id: string) {
  return prisma.user.findUnique({
    where: { id },
    include: { comments: { select: { id: true, text: true } } },
  });
}
```

## Fix safety
"Select relation fields" is unsafe: it turns each whole relation into
`posts: { select: { ... } }` listing every scalar field of the related model
(for the user to prune), and a nested `include` into that `select`. Code that
reads a nested relation of the related rows must keep it in the `select`.
"""

from __future__ import annotations

from perfaudit.server.prisma import PRISMA_READS
from perfaudit.server.analysis.syntax import unwrap
from perfaudit.server.findings import Applicability, Edit, Fix
from perfaudit.server.analysis.objects import is_truthy_literal, resolve_object
from perfaudit.server.prisma.calls import callee_end, query_sites
from perfaudit.server.rule import FixAvailability, Rule
from perfaudit.server.prisma.select_fields import insert_entries, pair_in, select_entries, selectable_scalars

RULE = Rule(
    code="P103",
    name="prisma-include-without-select",
    summary="An `include` loads a relation with every column.",
    fix=FixAvailability.SOMETIMES,
    request_path=True,
)

# Operations that take `include` and return rows.
INCLUDE_OPS = PRISMA_READS | {"create", "update", "upsert", "delete", "createManyAndReturn", "updateManyAndReturn"}
MAX_DEPTH = 6


def check(ctx):
    for site in query_sites(ctx, INCLUDE_OPS):
        if site.model is None or site.args is None or site.args.has("include") is not True:
            continue
        include = site.args.value("include")
        whole: list[tuple[str, str]] = []  # (relation path, related model)
        edits: list[Edit] = []
        fixable = _whole_relations(ctx, site.schema, site.model, include, "", whole, edits, 0)
        if not whole:
            continue
        names = ", ".join(f"`{path}` ({model})" for path, model in whole)
        callee = ".".join(site.callee)
        message = (
            f"`{callee}` includes {names} whole: every column of every related row comes back; "
            "select the fields used"
        )
        fixes = [Fix("Select relation fields", Applicability.UNSAFE, tuple(edits))] if fixable and edits else []
        yield ctx.report(site.start, callee_end(site), message, fixes=fixes)


def _whole_relations(ctx, schema, model, include, prefix: str, whole: list, edits: list, depth: int) -> bool:
    """Collect relations of `include` loaded whole (and the edits that give
    each a `select`); returns False when some edit cannot be made."""
    obj = resolve_object(include) if include is not None else None
    if obj is None or depth > MAX_DEPTH:
        return False
    fixable = True
    for key, value in obj.values.items():
        field = model.field(key)
        related = schema.models.get(field.type) if field is not None else None
        if related is None or value is None:
            continue  # `_count`, an unknown key
        path = f"{prefix}{key}"
        scalars = select_entries(f.name for f in selectable_scalars(schema, related))
        node = unwrap(value)
        if is_truthy_literal(node) is True:
            whole.append((path, related.name))
            if node.type == "true" and node.parent is not None and node.parent.type == "pair":
                edits.append(Edit(ctx.file.path, node.start_byte, node.end_byte, f"{{ select: {{ {scalars} }} }}"))
            else:
                fixable = False
            continue
        options = resolve_object(node)
        if options is None or options.has("select") is not False:
            continue
        whole.append((path, related.name))
        literal = options.node if options.node is not None and options.node.id == node.id else None
        if literal is None:
            fixable = False
        nested = options.values.get("include") if options.has("include") else None
        if nested is None:
            if literal is not None:
                edits.append(insert_entries(ctx.file.path, ctx.file.data, literal, [f"select: {{ {scalars} }}"]))
            continue
        # `posts: { include: { comments: true } }` -> `posts: { select: { <scalars>, comments: ... } }`
        pair = pair_in(literal, "include") if literal is not None else None
        nested_obj = unwrap(pair.child_by_field_name("value")) if pair is not None else None
        if nested_obj is None or nested_obj.type != "object":
            fixable = False
        else:
            key_node = pair.child_by_field_name("key")
            edits.append(Edit(ctx.file.path, key_node.start_byte, key_node.end_byte, "select"))
            edits.append(insert_entries(ctx.file.path, ctx.file.data, nested_obj, [scalars]))
        fixable = _whole_relations(ctx, schema, related, nested, path + ".", whole, edits, depth + 1) and fixable
    return fixable
