"""## What it does
Finds a Redis command run once per item: inside a `for`, `for..of`,
`for..in`, `while` or `do` body, or a `forEach`/`map`/... callback
(`Promise.all(items.map(...))` included), directly or through workspace
functions. The finding is on the outermost call of the loop body that
reaches the command. The `Promise.all` form (and any command that is not
awaited per item) is not reported for an ioredis client created with
`enableAutoPipelining: true`, which batches same-tick commands by itself.

## Why is this bad?
N items cost N round trips: awaited in a loop they run one after another
(100 keys at 1 ms is 100 ms of waiting); fanned out they still cost N
commands' worth of network and parsing. Redis has batched forms (`MGET`,
`MSET`, `DEL k1 k2...`, `UNLINK`, variadic `SADD`/`HDEL`) and pipelines that
do the same work in one round trip.

## Example
```ts
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);

export async function loadSummaries(ids: string[]) {
  const out: Record<string, string | null> = {};
  for (const id of ids) {
    out[id] = await redis.get(`summary:${id}`);
  }
  return out;
}
```

## Use instead
```ts
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);

export async function loadSummaries(ids: string[]) {
  const values = await redis.mget(ids.map((id) => `summary:${id}`));
  return Object.fromEntries(ids.map((id, i) => [id, values[i]]));
}

export async function clearSessions() {
  for await (const keys of redis.scanStream({ match: 'session:*', count: 500 })) {
    if (keys.length) await redis.unlink(...keys);
  }
}
```

## Fix safety
No fix: the batched form changes how results are read. The message names
the batched command or a pipeline.
"""

from __future__ import annotations

from perfaudit.server.analysis.loops import calls_of_methods, may_loop
from perfaudit.server.analysis.syntax import FUNCTION_KINDS, LOOP_KINDS, awaited_call, call_function, unwrap
from perfaudit.server.findings import Related
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.redis.clients import client_of_call
from perfaudit.server.rule import Rule

RULE = Rule(
    code="R204",
    name="redis-commands-in-loop",
    summary="A Redis command runs once per item of a loop.",
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)

ITERATING = {"forEach", "map", "flatMap", "reduce", "filter", "some", "every", "find"}
# Commands that already walk a keyspace page by page.
CURSOR_COMMANDS = {"scan", "sscan", "hscan", "zscan"}
BATCHED = {
    "get": "one `mget(...keys)`",
    "set": "one `mset(...)` (or a pipeline of `set ... EX`)",
    "del": "one `del(...keys)` (or `unlink(...keys)`)",
    "unlink": "one `unlink(...keys)`",
    "exists": "one `exists(...keys)`",
    "sadd": "one `sadd(key, ...members)`",
    "srem": "one `srem(key, ...members)`",
    "hdel": "one `hdel(key, ...fields)`",
    "hget": "one `hmget(key, ...fields)` (or a pipeline)",
    "zadd": "one `zadd(key, score1, m1, score2, m2...)`",
    "rpush": "one `rpush(key, ...values)`",
    "lpush": "one `lpush(key, ...values)`",
}


def loop_bodies(source):
    """(body node, kind) of the code that runs once per item."""
    kinds = ("for_statement", "for_in_statement", "while_statement", "do_statement")
    candidates = [n for k in kinds for n in source.nodes(k)] + calls_of_methods(source, ITERATING)
    for node in sorted(candidates, key=lambda n: n.start_byte):
        if node.type in LOOP_KINDS:
            body = node.child_by_field_name("body")
            iterable = unwrap(node.child_by_field_name("right"))
            if body is not None and not (iterable is not None and iterable.type == "array"):
                yield body, "loop", node
        elif node.type == "call_expression":
            fn = call_function(node)
            if fn is None or fn.type != "member_expression":
                continue
            if node_text(fn.child_by_field_name("property")) not in ITERATING:
                continue
            if unwrap(fn.child_by_field_name("object")).type == "array":
                continue  # a fixed list written inline
            args = node.child_by_field_name("arguments")
            cb = unwrap(args.named_children[0]) if args is not None and args.named_children else None
            if cb is not None and cb.type in ("arrow_function", "function_expression", "function"):
                body = cb.child_by_field_name("body")
                if body is not None:
                    yield body, "callback", node


def _calls_in(body):
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type in FUNCTION_KINDS:
            continue
        if n.type == "call_expression":
            yield n
        stack.extend(n.named_children)


def _awaited_within(call, stop) -> bool:
    if awaited_call(call) is call:
        return True  # `await f<T>(x)`
    node = call.parent
    while node is not None and node != stop:
        if node.type == "await_expression":
            return True
        node = node.parent
    return False


def _already_batched(call, loop) -> bool:
    """`unlink(...keys)` per page of a `scanStream`: the loop is over batches."""
    args = call.child_by_field_name("arguments")
    return args is not None and any(a.type == "spread_element" for a in args.named_children)


def check(ctx):
    index, path, facts = ctx.index, ctx.file.path, ctx.file.facts
    if not may_loop(ctx.file, ITERATING):
        return
    reported = set()
    for body, kind, loop in loop_bodies(ctx.file):
        hits = []
        for node in _calls_in(body):
            fn, call = facts.call_at(node.start_byte, node.end_byte)
            if call is None:
                continue
            effects = [e for e in index.effects_of_call(path, fn, call) if e.kind == "redis" and e.op not in CURSOR_COMMANDS]
            if effects:
                hits.append((node, effects[0]))
        nodes = [n for n, _ in hits]
        for node, effect in hits:
            if any(o != node and o.start_byte <= node.start_byte and node.end_byte <= o.end_byte for o in nodes):
                continue  # an enclosing call of the body is the one to point at
            if (node.start_byte, node.end_byte) in reported:
                continue
            if not effect.via and _already_batched(node, loop):
                continue
            awaited = kind == "loop" and _awaited_within(node, body)
            if not awaited and _auto_pipelined(index, effect):
                continue
            reported.add((node.start_byte, node.end_byte))
            through = f" through `{effect.via[0]}`" if effect.via else ""
            batched = BATCHED.get(effect.op, "a `pipeline()`")
            yield ctx.report(
                node.start_byte, node.end_byte,
                f"Redis `{effect.op}` runs once per item{through}: N items, N round trips. "
                f"Batch it: {batched} before the loop.",
                related=(Related(effect.path, effect.start, effect.end, f"the `{effect.op}` command"),) if effect.via else (),
            )


def _auto_pipelined(index, effect) -> bool:
    facts = index.facts(effect.path)
    fn, call = facts.call_at(effect.start, effect.end) if facts else (None, None)
    client = client_of_call(index, effect.path, fn, call) if call is not None else None
    return client is not None and client.auto_pipelining
