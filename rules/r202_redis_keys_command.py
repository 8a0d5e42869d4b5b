"""## What it does
Finds `KEYS pattern` commands (`redis.keys('session:*')`), and the call
sites of a workspace function that runs one (`cache.deletePattern(...)`).

## Why is this bad?
`KEYS` walks the whole keyspace in one command. Redis runs commands one at a
time, so while it scans millions of keys every other client waits: on a
production instance a single `KEYS` stalls the whole application for
hundreds of milliseconds or more. `SCAN` walks the same keys in small
batches between which other commands run.

## Example
```ts
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);

export async function clearSessions() {
  const keys = await redis.keys('session:*');
  if (keys.length) await redis.del(...keys);
}
```

## Use instead
```ts
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);

export async function clearSessions() {
  const stream = redis.scanStream({ match: 'session:*', count: 500 });
  for await (const keys of stream) {
    if (keys.length) await redis.unlink(...keys);
  }
}
```

## Fix safety
No fix: iterating with `SCAN` changes the code's shape (a stream or a cursor
loop), and `SCAN` may return a key twice. The message shows the form to use.
"""

from __future__ import annotations

from perfaudit.server.analysis.syntax import string_value
from perfaudit.server.findings import Related
from perfaudit.server.redis.clients import IOREDIS, NODE_REDIS, arguments, client_of_call, find_call, redis_calls
from perfaudit.server.analysis.parsing import walk
from perfaudit.server.rule import Rule

RULE = Rule(
    code="R202",
    name="redis-keys-command",
    summary="`KEYS` scans the whole keyspace and blocks Redis.",
    local=True,  # see Rule.local; tests/test_local_rules.py
)


def _scan_form(library: str, pattern: str) -> str:
    if library == NODE_REDIS:
        return f"`for await (const key of client.scanIterator({{ MATCH: {pattern}, COUNT: 500 }}))`"
    if library == IOREDIS:
        return f"`redis.scanStream({{ match: {pattern}, count: 500 }})`"
    return "a `SCAN` cursor loop"


def _message(library: str, pattern: str, through: str | None = None) -> str:
    head = f"`{through}` runs `KEYS`, which" if through else "`KEYS`"
    return (
        f"{head} walks the whole keyspace in one O(N) command and blocks every other client meanwhile. "
        f"Iterate with `SCAN cursor MATCH {pattern.strip(chr(39))} COUNT 500` instead: {_scan_form(library, pattern)}."
    )


def check(ctx):
    index, path, facts = ctx.index, ctx.file.path, ctx.file.facts
    for fn, call, effect in redis_calls(index, path, facts):
        if effect.op != "keys":
            continue
        node = find_call(ctx.file.ensure_tree(), call.start, call.end)  # parsed only for a finding
        args = arguments(node) if node is not None else []
        pattern = args[0].text.decode("utf-8", "replace") if args else "'pattern'"
        client = client_of_call(index, path, fn, call)
        yield ctx.report(call.start, call.end, _message(client.library if client else "", pattern))
    # Call sites of a workspace function that runs `KEYS` itself.
    for fn, call in facts.calls_in_scope:
        resolved = index.resolve_call(path, fn, call)
        if resolved is None:
            continue
        runs = [
            e for e in index.effects_of_call(path, fn, call)
            if e.kind == "redis" and e.op == "keys" and len(e.via) == 1 and _pattern_from_params(index, e, resolved[1])
        ]
        if not runs:
            continue
        effect = runs[0]
        node = find_call(ctx.file.ensure_tree(), call.start, call.end)
        args = arguments(node) if node is not None else []
        pattern = "'pattern'"
        if args and string_value(args[0]) is not None:
            pattern = args[0].text.decode("utf-8", "replace")
        yield ctx.report(
            call.start, call.end,
            _message(_library_at(index, effect), pattern, through=effect.via[0]),
            related=(Related(effect.path, effect.start, effect.end, "the `KEYS` command"),),
        )


def _pattern_from_params(index, effect, wrapper) -> bool:
    """Whether the `KEYS` pattern comes from the wrapper's parameters: then the
    caller chooses what is scanned, and its call is where to look. A method
    with its own literal pattern is reported at the `keys` call only."""
    source = index.ws.files.get(effect.path)
    node = find_call(source.ensure_tree(), effect.start, effect.end) if source is not None else None
    args = arguments(node) if node is not None else []
    if not args:
        return False
    names = {n.text.decode() for n in walk(args[0]) if n.type == "identifier"}
    return bool(names & set(p for p in wrapper.params if p))


def _library_at(index, effect) -> str:
    facts = index.facts(effect.path)
    fn, call = facts.call_at(effect.start, effect.end) if facts else (None, None)
    client = client_of_call(index, effect.path, fn, call) if call is not None else None
    return client.library if client else ""
