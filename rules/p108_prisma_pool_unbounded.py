"""## What it does
Reports a Prisma connection pool whose size is left implicit:

- a PostgreSQL `DATABASE_URL` (the variable the schema's datasource reads)
  in a `.env*` file with no `connection_limit` parameter, when the Rust query
  engine is used (no driver adapter: no `@prisma/adapter-*` dependency, no
  `new PrismaPg(...)`, no Prisma 7);
- with the `pg` driver adapter (Prisma 7), a `pg` `Pool` handed to
  `PrismaPg` with no `max` (`new PrismaPg(new Pool({ connectionString }))`,
  or through `const pool = new Pool(...)`), or `new PrismaPg({
  connectionString })` with no `max`.

URLs that are not PostgreSQL (`file:` SQLite, `prisma://` Accelerate) and
pool options the analyzer cannot see are not reported. The message never
shows the URL (it holds the password).

## Why is this bad?
The pool size decides how many queries run at once and how many connections
each instance holds. Left implicit it is `num_cpus * 2 + 1` for the query
engine, so it changes with the machine the app is deployed on: a bigger
server or more replicas can exceed PostgreSQL's `max_connections` (or the
PgBouncer limit), and then connections fail under load. Written down, it can
be sized against the database's limit.

## Example
```env
DATABASE_URL="postgresql://app:app@localhost:5432/app?schema=public"
```

## Use instead
```env
DATABASE_URL="postgresql://app:app@localhost:5432/app?schema=public&connection_limit=10"
```

## Fix safety
"Add connection_limit=10" (to the URL, with `?` or `&` as needed, quotes
kept) and "Add max: 10" (to the `Pool` options) are safe: they write down a
size instead of leaving it to the machine; `max: 10` is `pg`'s own default.
"""

from __future__ import annotations

import re

from perfaudit.server.analysis.syntax import member_path, unwrap
from perfaudit.server.findings import Applicability, Edit, Fix
from perfaudit.server.analysis.objects import call_arguments, resolve_expression, resolve_object
from perfaudit.server.prisma.calls import find_node
from perfaudit.server.findings import Severity
from perfaudit.server.rule import FixAvailability, Rule, Scope
from perfaudit.server.prisma.select_fields import insert_entries
from perfaudit.server.prisma import schemas

RULE = Rule(
    code="P108",
    name="prisma-pool-unbounded",
    summary="The connection pool size is left implicit.",
    # Advice: worth knowing, not a defect a performance engineer must fix.
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    scope=Scope.WORKSPACE,
)

POOL_SIZE = 10
DRIVER_ADAPTERS = {"PrismaPg", "PrismaNeon", "PrismaNeonHTTP", "PrismaPlanetScale", "PrismaLibSQL", "PrismaD1", "PrismaMariaDb", "PrismaMssql", "PrismaBetterSQLite3"}
POSTGRES_URL = re.compile(r"^postgres(ql)?://", re.I)
ENV_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$")


def check(ctx):
    ws = ctx.workspace
    if not _uses_prisma(ws):
        return
    if not _uses_driver_adapter(ws):
        names = _url_variables(ws)
        for path in sorted(ws.env_files):
            yield from _check_env_file(ctx, path, ws.env_files[path], names)
    for path in sorted(ws.files):
        source = ws.files[path]
        adapters = [c for c in _new_calls(source.facts) if c.callee[-1] == "PrismaPg"]
        if adapters:
            yield from _check_adapters(ctx, source, adapters)


# ---------------------------------------------------------------- environment


def _dependencies(ws) -> dict[str, str]:
    deps: dict[str, str] = {}
    for pj in ws.package_jsons.values():
        for key in ("dependencies", "devDependencies"):
            value = pj.get(key)
            if isinstance(value, dict):
                deps.update({k: v for k, v in value.items() if isinstance(v, str)})
    return deps


def _uses_prisma(ws) -> bool:
    deps = _dependencies(ws)
    return bool(schemas(ws)) or "@prisma/client" in deps or "prisma" in deps


def _new_calls(facts):
    calls = facts.all_calls
    return [c for c in calls if c.is_new and c.callee]


def _uses_driver_adapter(ws) -> bool:
    deps = _dependencies(ws)
    if any(name.startswith("@prisma/adapter-") for name in deps):
        return True
    major = re.search(r"\d+", deps.get("@prisma/client", "") or deps.get("prisma", ""))
    if major and int(major.group()) >= 7:
        return True  # Prisma 7 has no Rust query engine
    for schema in schemas(ws):
        for gen in schema.generators:
            if gen.engine_type == "client" or "driverAdapters" in gen.preview_features:
                return True
    return any(c.callee[-1] in DRIVER_ADAPTERS for f in ws.files.values() for c in _new_calls(f.facts))


def _url_variables(ws) -> set[str]:
    names = set()
    for schema in schemas(ws):
        for ds in schema.datasources:
            m = re.search(r'env\(\s*"([^"]+)"\s*\)', ds.url or "")
            if m:
                names.add(m.group(1))
    return names or {"DATABASE_URL"}


def _check_env_file(ctx, path: str, text: str, names: set[str]):
    offset = 0
    data = text.encode("utf-8")
    for raw_line in data.splitlines(keepends=True):
        line = raw_line.rstrip(b"\r\n").decode("utf-8", errors="replace")
        start = offset
        offset += len(raw_line)
        m = ENV_LINE.match(line)
        if not m or m.group(1) not in names:
            continue
        value, value_end = _env_value(m.group(2))
        if value is None or not POSTGRES_URL.match(value) or re.search(r"[?&]connection_limit=", value):
            continue
        key_start = start + len(line[: m.start(1)].encode("utf-8"))
        line_end = start + len(line.encode("utf-8"))
        insert_at = start + len(line[: m.start(2) + value_end].encode("utf-8"))
        sep = "" if value.endswith(("?", "&")) else ("&" if "?" in value else "?")
        fix = Fix(
            f"Add connection_limit={POOL_SIZE}",
            Applicability.SAFE,
            (Edit(path, insert_at, insert_at, f"{sep}connection_limit={POOL_SIZE}"),),
        )
        rel = ctx.workspace.relpath(path)
        message = (
            f"{m.group(1)} in {rel} sets no `connection_limit`: Prisma's pool size is then "
            "num_cpus * 2 + 1 connections per client, and changes with the machine; set it explicitly"
        )
        yield ctx.finding(path, key_start, line_end, message, fixes=[fix])


def _env_value(rest: str) -> tuple[str | None, int]:
    """(value, end offset of the value inside `rest`, before a closing quote)."""
    if rest[:1] in ("'", '"', "`"):
        close = rest.find(rest[0], 1)
        if close < 0:
            return None, 0
        return rest[1:close], close
    m = re.match(r"[^\s#]*", rest)
    return m.group(0), m.end()


# ---------------------------------------------------------------- pg Pool


def _check_adapters(ctx, source, adapters):
    with source.tree_for_now() as tree:
        for call in adapters:
            node = find_node(tree, call.start, call.end, "new_expression")
            args = call_arguments(node) if node is not None else []
            if not args:
                continue
            target = unwrap(args[0])
            if target is not None and target.type == "identifier":
                target = resolve_expression(target)
            if target is None:
                continue
            if target.type == "new_expression" and _is_pg_pool(source.facts, target):
                yield from _check_options(ctx, source, target, "`new Pool(...)` handed to PrismaPg")
            elif target.type == "object":
                yield from _check_options(ctx, source, node, "`new PrismaPg({ ... })`", options_node=target)


def _is_pg_pool(facts, new_node) -> bool:
    path = member_path(new_node.child_by_field_name("constructor"))
    if not path or path[-1] != "Pool":
        return False
    if len(path) == 2:
        imp = facts.import_of(path[0])
        ref = facts.binding(path[0])
        return path[0] == "pg" or (imp is not None and imp.module == "pg") or (ref is not None and ref.kind == "require" and ref.name == "pg")
    imp = facts.import_of("Pool")
    ref = facts.binding("Pool")
    return (imp is not None and imp.module == "pg") or (ref is not None and ref.kind == "require" and ref.name == "pg")


def _check_options(ctx, source, new_node, what: str, options_node=None):
    args = call_arguments(new_node)
    edit = None
    if options_node is None and not args:
        arguments = new_node.child_by_field_name("arguments")
        if arguments is not None:
            edit = Edit(source.path, arguments.start_byte, arguments.end_byte, f"({{ max: {POOL_SIZE} }})")
        else:
            edit = Edit(source.path, new_node.end_byte, new_node.end_byte, f"({{ max: {POOL_SIZE} }})")
    else:
        options = resolve_object(options_node if options_node is not None else args[0])
        if options is None or options.has("max") is not False:
            return
        if options.node is not None and options.node.type == "object":
            edit = insert_entries(source.path, source.data, options.node, [f"max: {POOL_SIZE}"])
    message = (
        f"{what} sets no `max`: the pool size is left to pg's implicit default ({POOL_SIZE}); "
        "set it against what the database allows per instance"
    )
    fixes = [Fix(f"Add max: {POOL_SIZE}", Applicability.SAFE, (edit,))] if edit is not None else []
    ctor = new_node.child_by_field_name("constructor")
    yield ctx.finding(source.path, new_node.start_byte, ctor.end_byte if ctor is not None else new_node.end_byte, message, fixes=fixes)
