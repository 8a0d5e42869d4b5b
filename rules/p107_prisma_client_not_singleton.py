"""## What it does
Reports a `new PrismaClient(` that makes the application hold more than one
client: a second one of the same schema anywhere in the same package (the
first one, preferring a file named like `lib/prisma` or `db`, is the one to
import), or one inside a function or constructor that can run more than once
with no singleton guard (`globalThis.prisma ?? new PrismaClient()`, `if
(!global.prisma)`). With several schemas, clients of two schemas are two
databases, not a second client; one that cannot be tied to a schema is
compared with none of the others.

Tests, seeds and scripts are not the application and are skipped (paths
under `test`, `tests`, `__tests__`, `spec`, `e2e`, `scripts`, `seeders`, files
named `*.test.ts`, `*.spec.ts`, `seed*`, `*.seed.ts`, `*.seeder.ts`). A NestJS `PrismaService extends
PrismaClient` provider is the singleton pattern and is not reported; so is a
constructor of a class that is only instantiated once, at module level, when
it holds the package's only client, nor a client made by a factory handed
with a key to a process-wide cache (`remember('prisma', () => new
PrismaClient())`). A client given its own database URL (`datasourceUrl`,
`datasources: { db: { url } }`: a read replica) is another pool on purpose
and is compared only with clients on the same URL.

## Why is this bad?
Each `PrismaClient` opens its own connection pool (by default `num_cpus * 2 +
1` connections). Two clients double the connections to PostgreSQL; a client
per request or per call exhausts `max_connections` under load and every
request then waits for a connection.

## Example
```ts
import { PrismaClient } from '@prisma/client';

export async function findUser(id: string) {
  const prisma = new PrismaClient();
  return prisma.user.findUnique({ where: { id }, select: { id: true, name: true } });
}
```

## Use instead
```ts
import { PrismaClient } from '@prisma/client';

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

export const prisma = globalForPrisma.prisma ?? new PrismaClient();

if (process.env.NODE_ENV !== 'production') globalForPrisma.prisma = prisma;
```

## Fix safety
No fix: which client the code should share is for the user to decide. The
message points at the existing instance to import.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass

from perfaudit.server.analysis.syntax import FUNCTION_KINDS
from perfaudit.server.findings import Related
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.prisma import schema_of_new_client
from perfaudit.server.prisma.calls import find_node
from perfaudit.server.analysis.roles import serves_requests
from perfaudit.server.rule import Rule, Scope

RULE = Rule(
    code="P107",
    name="prisma-client-not-singleton",
    summary="More than one PrismaClient, or one created per call: each opens its own connection pool.",
    scope=Scope.WORKSPACE,
)

NOT_APP_DIRS = {"test", "tests", "__tests__", "__mocks__", "spec", "specs", "e2e", "scripts", "seed", "seeds",
                "seeder", "seeders", "fixtures"}
NOT_APP_FILE = re.compile(r"(\.(test|spec|e2e-spec|e2e|seeds?|seeders?)\.[cm]?[jt]sx?$)|^seed")
CANONICAL_STEMS = {"prisma", "db", "database", "prismaclient", "prisma-client", "prisma.client", "client"}


def is_app_path(rel: str) -> bool:
    parts = rel.split("/")
    return not any(p in NOT_APP_DIRS for p in parts[:-1]) and not NOT_APP_FILE.search(parts[-1])


def _is_canonical_file(rel: str) -> bool:
    stem = os.path.basename(rel).split(".")[0].lower()
    return stem in CANONICAL_STEMS or "/prisma/" in f"/{rel.lower()}"


def check(ctx):
    ws = ctx.workspace
    creations = defaultdict(list)  # (package root, schema root) -> [(rel, path, call, fn)]
    new_sites = defaultdict(list)  # class name -> [module level?]
    call_sites = defaultdict(list)  # function name -> [module level?]
    for path in sorted(ws.files):
        facts = ws.files[path].facts
        rel = ws.relpath(path)
        for fn, call in [(None, c) for c in facts.module_calls] + [(f, c) for f in facts.functions for c in f.calls]:
            if not call.callee:
                continue
            if call.is_new:
                new_sites[call.callee[-1]].append(fn is None)
                if call.callee[-1] == "PrismaClient" and is_app_path(rel) and serves_requests(ws, path):
                    schema = schema_of_new_client(ws.index, path, fn, call.callee)
                    key = (_package_root(ws, path), schema.root if schema is not None else None)
                    creations[key].append((rel, path, call, fn))
            else:
                call_sites[call.callee[-1]].append(fn is None)
    for group in creations.values():
        yield from _check_package(ctx, group, new_sites, call_sites)


def _package_root(ws, path: str) -> str:
    best = ws.root
    for pj in ws.package_jsons:
        d = os.path.dirname(pj)
        if path.startswith(d + "/") and len(d) > len(best):
            best = d
    return best


def _check_package(ctx, group, new_sites, call_sites):
    ws = ctx.workspace
    sites = []
    for rel, path, call, fn in group:
        shape = _shape(ws, path, call)
        if shape is None:
            continue
        repeats = not shape.guarded and _runs_repeatedly(fn, new_sites, call_sites)
        sites.append((rel, path, shape, repeats, fn))
    # Two `new PrismaClient` in branches of one conditional are one client.
    seen_conditionals = set()
    unique = []
    for site in sites:
        cond = site[2].conditional
        if cond is not None:
            key = (site[1], cond)
            if key in seen_conditionals:
                continue
            seen_conditionals.add(key)
        unique.append(site)
    # A client on another database URL (a read replica) is another pool on
    # purpose: clients are compared with those on the same URL.
    by_url: dict[str | None, list] = {}
    for site in unique:
        by_url.setdefault(site[2].url, []).append(site)
    for same_url in by_url.values():
        yield from _report_group(ctx, same_url)


@dataclass(frozen=True)
class _Shape:
    """What the check reads of a `new PrismaClient(...)` in its file's tree."""

    start: int
    row: int
    end: int  # of the constructor's name
    guarded: bool  # behind `??`, `||=`, `if (!x)` or a keyed cache helper
    conditional: tuple[int, int] | None  # the enclosing `?:`, if any
    url: str | None


_SHAPES: dict[tuple, tuple[bytes, _Shape | None]] = {}


def _shape(ws, path: str, call) -> _Shape | None:
    """Kept per file content: each workspace pass (one per edit in the
    editor) would otherwise parse every file that creates a client."""
    source = ws.files[path]
    key = (path, call.start, call.end)
    held = _SHAPES.get(key)
    text = source.text_key()
    if held is None or not (held[0] is text or held[0] == text):
        if len(_SHAPES) > 2000:
            _SHAPES.clear()
        with source.tree_for_now() as tree:
            node = find_node(tree, call.start, call.end, "new_expression")
            shape = None if node is None else _Shape(
                node.start_byte, node.start_point.row, _constructor_end(node),
                _guarded(node) or _via_cache_helper(node), _enclosing_conditional(node), _url_of(node))
        held = _SHAPES[key] = (text, shape)
    return held[1]


def _report_group(ctx, unique):
    unique.sort(key=lambda s: (not _is_canonical_file(s[0]), s[3], s[0], s[2].start))
    first = unique[0][2]
    for index, (rel, path, shape, repeats, fn) in enumerate(unique):
        where = f" in `{fn.name}`" if fn is not None and fn.name else ""
        if index == 0:
            if repeats:
                yield ctx.finding(
                    path, shape.start, shape.end,
                    f"`new PrismaClient()`{where} runs each time it is called, and each client opens its own "
                    "connection pool: create one client at module level (or behind a `globalThis` guard) and import it",
                )
            continue
        message = (
            f"Another `new PrismaClient()`{where}: each client opens its own connection pool; "
            f"import the client created in {unique[0][0]}:{first.row + 1} instead"
        )
        related = [Related(unique[0][1], first.start, first.end, "the application's client is created here")]
        yield ctx.finding(path, shape.start, shape.end, message, related=related)


def _url_of(node) -> str | None:
    """The database URL a client is given (`datasourceUrl`, `datasources:
    { db: { url } }`), as written; None for the schema's default."""
    args = node.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    if first is None or first.type != "object":
        return None
    stack = [first]
    while stack:
        n = stack.pop()
        if n.type == "pair":
            key = n.child_by_field_name("key")
            name = node_text(key).strip("'\"") if key is not None else ""
            value = n.child_by_field_name("value")
            if name in ("datasourceUrl", "url") and value is not None:
                return " ".join(node_text(value).split())
        stack.extend(n.named_children)
    return None


def _via_cache_helper(node) -> bool:
    """`remember('prisma', () => new PrismaClient())`: a factory handed with
    a key to a process-wide cache runs once."""
    parent = node.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is not None and parent.type == "return_statement":
        parent = parent.parent.parent if parent.parent is not None and parent.parent.type == "statement_block" else None
    if parent is None or parent.type not in ("arrow_function", "function_expression", "function"):
        return False
    args = parent.parent
    if args is None or args.type != "arguments" or args.parent is None or args.parent.type != "call_expression":
        return False
    return any(a.type in ("string", "template_string") for a in args.named_children)


def _constructor_end(node) -> int:
    ctor = node.child_by_field_name("constructor")
    return ctor.end_byte if ctor is not None else node.end_byte


def _enclosing_conditional(node):
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_KINDS and parent.type != "program":
        if parent.type == "ternary_expression":
            return (parent.start_byte, parent.end_byte)
        parent = parent.parent
    return None


def _guarded(node) -> bool:
    """`x ?? new PrismaClient()`, `x ||= ...`, `if (!x) x = new PrismaClient()`."""
    child, parent = node, node.parent
    assigned = None
    while parent is not None and parent.type not in FUNCTION_KINDS and parent.type != "program":
        kind = parent.type
        if kind == "binary_expression":
            op = parent.child_by_field_name("operator")
            right = parent.child_by_field_name("right")
            if op is not None and node_text(op) in ("??", "||") and right is not None and right.id == child.id:
                return True
        if kind == "augmented_assignment_expression":
            op = parent.child_by_field_name("operator")
            if op is not None and node_text(op) in ("??=", "||="):
                return True
        if kind == "assignment_expression" and assigned is None:
            left = parent.child_by_field_name("left")
            assigned = node_text(left) if left is not None else None
        if kind == "if_statement" and assigned:
            cond = parent.child_by_field_name("condition")
            if cond is not None and assigned in node_text(cond):
                return True
        child, parent = parent, parent.parent
    return False


def _runs_repeatedly(fn, new_sites, call_sites) -> bool:
    """Whether the function around a `new PrismaClient` can run more than once."""
    if fn is None:
        return False  # module level: once per process
    if fn.name.rsplit(".", 1)[-1] == "constructor" and fn.class_name:
        instances = new_sites.get(fn.class_name, [])
        # Never instantiated in the code: a DI container (NestJS) makes one.
        return not (len(instances) == 0 or instances == [True])
    if fn.name and fn.class_name is None and call_sites.get(fn.name) == [True]:
        return False  # `main()` called once at module level
    return True
