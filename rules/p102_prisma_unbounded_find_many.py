"""## What it does
Reports a Prisma `findMany` with no `take` (the argument object resolved
through variables, shorthand, spreads and helpers): it returns every row that
matches, however large the table grows.

Not reported: a query whose arguments cannot be seen (an opaque parameter,
an unknown spread: `take` may be there), and a query bounded by its input,
whose `where` pins a unique field to one value or to a list
(`where: { id: { in: ids } }`): the caller already bounded the result.
A query that a GET route's handler runs in the same file, where E304
reports the route unpaginated, is that one E304 finding (with this fix
when E304 has none).

## Why is this bad?
A list that is small in development grows with the data: the database reads,
sends and Prisma decodes all of it, memory grows with it, and the response
time of the endpoint grows with the table instead of with the page.

## Example
```ts
import { prisma } from './lib/prisma';

export async function postsOf(authorId: string) {
  return prisma.post.findMany({
    where: { authorId },
    select: { id: true, title: true },
    orderBy: { createdAt: 'desc' },
  });
}
```

## Use instead
```ts
import { prisma } from './lib/prisma';

export async function postsOf(authorId: string, page = 1) {
  return prisma.post.findMany({
    where: { authorId },
    select: { id: true, title: true },
    orderBy: { createdAt: 'desc' },
    take: 20,
    skip: (page - 1) * 20,
  });
}

export async function postsByIds(ids: string[]) {
  return prisma.post.findMany({ where: { id: { in: ids } }, select: { id: true, title: true } });
}
```

## Fix safety
"Add pagination" is unsafe: it adds `take` (option `default-take`, 100), so
callers that relied on getting every row get the first page only. Where the
enclosing function or route handler has pagination input in scope
(`limit`/`pageSize`/`take`, `page`, `offset`/`skip`, `cursor`, also read as
`req.query.limit`), the fix wires it: `take` from the limit (capped at the
default), `skip` from the page or offset, or `cursor` with `skip: 1`.
"""

from __future__ import annotations

from perfaudit.server.analysis.syntax import FUNCTION_KINDS, member_path
from perfaudit.server.findings import Applicability, Fix
from perfaudit.server.analysis.objects import declaration_in_scope, resolve_object
from perfaudit.server.prisma.bounds import where_bounds_rows
from perfaudit.server.postgres.results import size_note
from perfaudit.server.prisma.calls import callee_end, query_sites
from perfaudit.server.rule import FixAvailability, Rule
from perfaudit.server.prisma.select_fields import add_to_arguments

RULE = Rule(
    code="P102",
    name="prisma-unbounded-find-many",
    summary="A Prisma `findMany` with no `take` returns every matching row.",
    fix=FixAvailability.SOMETIMES,
    options={"default-take": 100},
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)

# Pagination input, by name, and the role it plays.
PAGINATION_NAMES = {
    "limit": "limit", "take": "limit", "pageSize": "limit", "perPage": "limit", "per_page": "limit", "page_size": "limit",
    "page": "page",
    "offset": "offset", "skip": "offset",
    "cursor": "cursor",
}
REQUEST_OBJECTS = {"req", "request", "ctx"}


def check(ctx):
    default_take = _int_option(ctx.options.get("default-take"), 100)
    for site in query_sites(ctx, {"findMany"}):
        if site.model is None or site.args is None:
            continue
        if site.args.has("take") is not False:
            continue
        if _bounded_by_input(site):
            continue
        callee = ".".join(site.callee)
        message = (
            f"`{callee}` has no `take`: it returns every {site.model.name} row that matches, "
            f"however large the table grows{size_note(ctx.workspace.root, site.model.name)}; paginate it"
        )
        fix = _fix(ctx, site, default_take)
        yield ctx.report(site.start, callee_end(site), message, fixes=[fix] if fix else [])


def _int_option(value, default: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return default
    return n if n > 0 else default


def _bounded_by_input(site) -> bool:
    """`where` pins a unique key (all but its enum or Boolean columns): the
    input bounds the rows."""
    where = site.args.value("where")
    conditions = resolve_object(where) if where is not None else None
    return where_bounds_rows(conditions, site.model, site.schema)


def pagination_inputs(call) -> dict[str, str]:
    """Role ("limit", "page", "offset", "cursor") -> the expression that holds
    it at `call`: a name in scope, or `req.query.<name>` read in an enclosing
    function."""
    found: dict[str, str] = {}
    for name, role in PAGINATION_NAMES.items():
        if role not in found and declaration_in_scope(name, call) is not None:
            found[role] = name
    fn = call.parent
    while fn is not None:
        # The text test runs in C: most functions read no `query`, and
        # walking each enclosing function in Python for every finding was
        # most of the fix's cost.
        if fn.type in FUNCTION_KINDS and b"query" in (fn.text or b""):
            for path in _request_query_reads(fn):
                role = PAGINATION_NAMES.get(path[-1])
                if role and role not in found:
                    found[role] = ".".join(path)
        fn = fn.parent
    return found


def _request_query_reads(fn):
    stack = [fn]
    while stack:
        n = stack.pop()
        if n.type in ("member_expression", "subscript_expression"):
            path = member_path(n)
            if len(path) == 3 and path[0] in REQUEST_OBJECTS and path[1] == "query":
                yield path
                continue
        stack.extend(n.children)


def pagination_entries(site, default_take: int) -> list[str]:
    """`take: ...` and, where pagination input is in scope, `skip`/`cursor`."""
    inputs = pagination_inputs(site.node)
    limit = inputs.get("limit")
    take = f"Math.min(Number({limit}) || {default_take}, {default_take})" if limit else str(default_take)
    entries = [f"take: {take}"]
    if site.args.has("skip") is not False or site.args.has("cursor") is not False:
        return entries
    ids = list(site.model.id_fields)
    id_field = site.model.field(ids[0]) if len(ids) == 1 else None
    if "cursor" in inputs and id_field is not None:
        c = inputs["cursor"]
        convert = "Number" if id_field.type in ("Int", "BigInt", "Float", "Decimal") else "String"
        entries += [f"cursor: {c} ? {{ {id_field.name}: {convert}({c}) }} : undefined", f"skip: {c} ? 1 : 0"]
    elif "page" in inputs:
        entries.append(f"skip: (Math.max(Number({inputs['page']}) || 1, 1) - 1) * {take}")
    elif "offset" in inputs:
        entries.append(f"skip: Number({inputs['offset']}) || 0")
    return entries


def _fix(ctx, site, default_take: int) -> Fix | None:
    entries = pagination_entries(site, default_take)
    edit = add_to_arguments(ctx.file.path, ctx.file.data, site.node, entries)
    if edit is None:
        return None
    title = "Add pagination (take" + (", wired to the request's paging input)" if len(entries) > 1 or "Number(" in entries[0] else f" {default_take})")
    return Fix(title, Applicability.UNSAFE, (edit,))
