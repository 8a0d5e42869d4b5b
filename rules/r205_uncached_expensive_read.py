"""## What it does
Finds a GET route whose handler reaches an expensive read (`aggregate`,
`groupBy`, `count`, `$queryRaw`, or a `findMany` with neither `where` nor
`take`, so over the whole table) and no cache read on the way: no Redis
`get`, no workspace cache helper such as `getOrSet(key, fetcher, ttl)`, no
cache-manager `wrap(key, fetcher, ttl)` (on `@Inject(CACHE_MANAGER)`'s
`Cache`, or a cache from `caching(...)`/`createCache(...)`, whatever store).
A `count` run beside a `findMany` of the same model that reads one page
(`take`, `cursor`) is that page's total, not reported: a cached total
would go stale with every filter and write.

## Why is this bad?
Aggregates scan many rows; their answer changes slowly, yet every request
recomputes it. Under load these endpoints dominate database time.

## Example
```ts
import { Router } from 'express';
import { prisma } from './prisma';

export const router = Router();

router.get('/stats', async (_req, res) => {
  const byRole = await prisma.user.groupBy({ by: ['role'], _count: { _all: true } });
  res.json(byRole);
});
```

## Use instead
```ts
import Redis from 'ioredis';
import { Router } from 'express';
import { prisma } from './prisma';

const redis = new Redis();

async function getOrSet<T>(key: string, fetcher: () => Promise<T>, ttl: number): Promise<T> {
  const hit = await redis.get(key);
  if (hit !== null) return JSON.parse(hit) as T;
  const value = await fetcher();
  await redis.set(key, JSON.stringify(value), 'EX', ttl);
  return value;
}

export const router = Router();

router.get('/stats', async (_req, res) => {
  const byRole = await getOrSet('stats:by-role', () =>
    prisma.user.groupBy({ by: ['role'], _count: { _all: true } }), 300);
  res.json(byRole);
});
```

## Fix safety
The fix wraps the read in the workspace's own cache helper when it has one
(`cache.getOrSet('key', () => <read>, 300)`), else adds a small
`getCachedData(key, fetcher, ttl)` helper on the project's Redis client,
once per file. Unsafe: the endpoint now serves data up to five minutes old.
"""

from __future__ import annotations

import re

from perfaudit.server.findings import Applicability, Edit, Fix, Related
from perfaudit.server.express.routes import _effect_label, routes_in
from perfaudit.server.express.facts import CACHE_HELPER
from perfaudit.server.express.route_edits import import_insertion, import_line, query_arg_keys, relative_spec
from perfaudit.server.findings import Severity
from perfaudit.server.rule import FixAvailability, Rule

RULE = Rule(
    code="R205",
    name="uncached-expensive-read",
    summary="A GET route that recomputes an expensive read on every request.",
    # Advice: worth knowing, not a defect a performance engineer must fix.
    severity=Severity.INFORMATION,
    fix=FixAvailability.SOMETIMES,
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)
EXPENSIVE = {"aggregate", "groupBy", "count", "$queryRaw", "$queryRawUnsafe"}
# A `count` beside a `findMany` of the same model that reads one page: the page's total.
PAGE_KEYS = {"take", "cursor"}
TTL = 300
REQUEST_PARAMS = {"req", "request", "res", "response", "ctx", "context", "next"}


def check(ctx):
    ws = ctx.workspace
    for route in routes_in(ws, ctx.file.path):
        if route.method != "GET" or route.cached:
            continue
        expensive = [q for q in route.queries if _expensive(ws, q)]
        if any(q.op == "count" for q in expensive):
            paged = {q.target for q in route.queries if q.op == "findMany" and (query_arg_keys(ws, q) or set()) & PAGE_KEYS}
            expensive = [q for q in expensive if not (q.op == "count" and q.target in paged)]
        if not expensive:
            continue
        names = ", ".join(dict.fromkeys(_effect_label(q, ws) for q in expensive))
        yield ctx.report(
            route.start, route.head_end,
            f"{route.title} recomputes {names} on every request with no cache in front",
            related=[Related(q.path, q.start, q.end, f"expensive read: {_effect_label(q, ws)}") for q in expensive],
            fixes=_fix(ws, expensive[0]),
        )


def _expensive(ws, query) -> bool:
    if query.op in EXPENSIVE:
        return not _constant_sql(ws, query)
    if query.op == "findMany":
        keys = query_arg_keys(ws, query)
        return keys is not None and not keys & {"where", "take", "cursor"}
    return False


# `$queryRaw<Row[]>`...``: type arguments may come between the name and the SQL.
_SQL_LITERAL = re.compile(rb"\$queryRaw(?:Unsafe)?\s*(?:<[^`'\"()]*>\s*)?(?:\(\s*)?(`[^`$]*`|'[^'\\]*'|\"[^\"\\]*\")")
_TABLE_WORD = re.compile(rb"\b(from|join)\b", re.I)


def _constant_sql(ws, query) -> bool:
    """A raw query whose literal SQL reads no table (`SELECT 1`, `SELECT now()`):
    a health probe or a clock, not an expensive read. Unseen SQL is not constant."""
    if not query.op.startswith("$queryRaw"):
        return False
    source = ws.files.get(query.path)
    if source is None:
        return False
    m = _SQL_LITERAL.search(source.data[query.start:query.end])
    return m is not None and not _TABLE_WORD.search(m.group(1))


# ------------------------------------------------------------------ the fix


def _fix(ws, query):
    source = ws.files.get(query.path)
    fn = source.facts.function_at(query.start) if source else None
    if fn is None:
        return ()
    key = _cache_key(fn)
    if key is None:
        return ()
    read = source.data[query.start:query.end].decode("utf-8")
    helper = _workspace_helper(ws)
    edits = []
    if helper is not None:
        hpath, local, call_path, order = helper
        args = {"key": key, "fetcher": f"() => {read}", "ttl": str(TTL)}
        call = f"{call_path}({', '.join(args[o] for o in order)})"
        if hpath != query.path and source.facts.import_of(local) is None:
            at, before, after = import_insertion(source)
            spec = relative_spec(query.path, hpath, source)
            edits.append(Edit(query.path, at, at, before + import_line(source, local, spec, named=True) + after))
        title = f"Wrap in cache ({call_path})"
    else:
        client = _redis_client(ws)
        if client is None:
            return ()
        cpath, clocal = client
        at, before, after = import_insertion(source)
        header = ""
        if cpath != query.path and source.facts.import_of(clocal) is None:
            header = import_line(source, clocal, relative_spec(query.path, cpath, source), named=True) + "\n"
        if at == 0:
            header, after = header, after
        helper_text = (
            f"{before}{header}\nasync function getCachedData<T>(key: string, fetcher: () => Promise<T>, ttl: number): Promise<T> {{\n"
            f"  const hit = await {clocal}.get(key);\n"
            f"  if (hit !== null) return JSON.parse(hit) as T;\n"
            f"  const value = await fetcher();\n"
            f"  await {clocal}.set(key, JSON.stringify(value), 'EX', ttl);\n"
            f"  return value;\n"
            f"}}{after}"
        )
        if source.language != "typescript":
            helper_text = re.sub(r"<T>|: Promise<T>|: \(\) => Promise<T>|: string|: number| as T", "", helper_text)
        if b"getCachedData" not in source.data:
            edits.append(Edit(query.path, at, at, helper_text))
        call = f"getCachedData({key}, () => {read}, {TTL})"
        title = "Wrap in cache (add getCachedData)"
    edits.append(Edit(query.path, query.start, query.end, call))
    return (Fix(title, Applicability.UNSAFE, tuple(edits)),)


def _cache_key(fn) -> str | None:
    """A key naming the function, with its arguments when it has any."""
    if any(not p or p in REQUEST_PARAMS for p in fn.params):
        return None
    base = fn.name if not fn.name.startswith("<") else "query"
    base = re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", base.replace("Service.", ":").replace(".", ":")).lower()
    if not fn.params:
        return f"'{base}'"
    return f"`{base}:${{JSON.stringify([{', '.join(fn.params)}])}}`"


def _workspace_helper(ws):
    """(file, name to import, how to call it, argument order) of the
    workspace's cache-aside helper, or None."""
    index = ws.index
    for path in sorted(ws.files):
        facts = ws.files[path].facts
        exported = {local: name for name, local in facts.exports}
        for fn in facts.functions:
            if not CACHE_HELPER.match(fn.name.split(".")[-1]):
                continue
            order = _argument_order(index, path, fn)
            if order is None:
                continue
            if fn.class_name is None and fn.parent is None and fn.id in exported:
                return path, exported[fn.id], exported[fn.id], order
            if fn.class_name is not None:
                for local, ref in facts.bindings:
                    if ref.kind == "new" and ref.name == fn.class_name and local in exported:
                        method = fn.name.split(".")[-1]
                        return path, exported[local], f"{exported[local]}.{method}", order
    return None


def _argument_order(index, path, fn) -> list[str] | None:
    order = []
    for i, p in enumerate(fn.params):
        # Names first: a key handed to `redis.get(key)` looks "called" too.
        if "key" in p.lower():
            order.append("key")
        elif re.search(r"ttl|seconds|expire", p, re.I):
            order.append("ttl")
        elif index.calls_param(path, fn, i, 0):
            order.append("fetcher")
        else:
            return None
    return order if "fetcher" in order and "key" in order else None


def _redis_client(ws):
    for path in sorted(ws.files):
        facts = ws.files[path].facts
        exported = {local for _, local in facts.exports}
        for local, ref in facts.bindings:
            if local in exported and (ref.kind == "new" and ref.name.split(".")[-1] in ("Redis", "IORedis")
                                      or ref.kind == "call" and ref.name.split(".")[-1] == "createClient"):
                return path, local
    return None
