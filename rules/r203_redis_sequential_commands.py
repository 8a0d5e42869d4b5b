"""## What it does
Finds two or more Redis commands awaited one after another on the same
client (directly, or through a workspace wrapper that runs one command),
where no later command uses what an earlier one returned.
Reads of NestJS's cache manager over a Redis store count too (the message
points at `mget`; no fix).

## Why is this bad?
Each awaited command is a network round trip: the process sends it, waits
for the reply, then sends the next. Four commands cost four round trips
(often 0.5 to 1 ms each inside a data centre, much more across zones), for
work Redis does in microseconds. A pipeline sends them together and reads
the replies in one round trip.

## Example
```ts
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);

export async function hit(key: string, now: number, windowMs: number) {
  await redis.zadd(key, now, String(now));
  await redis.zremrangebyscore(key, 0, now - windowMs);
  const hits = await redis.zcard(key);
  await redis.expire(key, 60);
  return hits;
}
```

## Use instead
```ts
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);

export async function hit(key: string, now: number, windowMs: number) {
  const results = await redis
    .multi()
    .zadd(key, now, String(now))
    .zremrangebyscore(key, 0, now - windowMs)
    .zcard(key)
    .expire(key, 60)
    .exec();
  return Number(results?.[2]?.[1] ?? 0);
}
```

## Fix safety
"Use a pipeline" replaces the run with one `pipeline()` (or `multi()` when
the code reads the commands as one transaction: it `watch`es keys, or its
names or comments say "atomic" or "transaction") and destructures the replies in order
from `exec()`. With ioredis each reply is an `[err, value]` pair: the fix
throws the first error, as the awaited commands did. It is unsafe: the
commands are no longer interleaved with the code around them, and the
replies' static types become looser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from perfaudit.server.analysis.syntax import FUNCTION_KINDS, awaited_call, call_function, unwrap
from perfaudit.server.findings import Applicability, Edit, Fix, Related
from perfaudit.server.analysis.parsing import node_text, walk
from perfaudit.server.redis.clients import IOREDIS, NODE_REDIS, UPSTASH, client_of_call
from perfaudit.server.rule import FixAvailability, Rule

ATOMIC_HINT = re.compile(r"atomic|transaction|\.watch\(", re.I)

RULE = Rule(
    code="R203",
    name="redis-sequential-commands",
    summary="Redis commands awaited one by one: one round trip each.",
    fix=FixAvailability.SOMETIMES,
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)


@dataclass
class Unit:
    statement: object
    call: object  # call_expression node
    effect: object
    direct: bool  # the call is the command itself, not a wrapper
    binding: object | None  # the declared pattern, for `const x = await ...`
    declared: set
    keyword: str  # "const" / "let" / "var" / ""


def _unit(ctx, statement) -> Unit | None:
    binding, keyword = None, ""
    if statement.type == "expression_statement" and statement.named_children:
        call = awaited_call(statement.named_children[0])
    elif statement.type in ("lexical_declaration", "variable_declaration"):
        decls = [d for d in statement.named_children if d.type == "variable_declarator"]
        if len(decls) != 1 or decls[0].child_by_field_name("value") is None:
            return None
        binding = decls[0].child_by_field_name("name")
        keyword = statement.children[0].type if statement.children else "const"
        call = awaited_call(decls[0].child_by_field_name("value"))
    else:
        return None
    if call is None:
        return None
    path = ctx.file.path
    fn, fact = ctx.file.facts.call_at(call.start_byte, call.end_byte)
    if fact is None:
        return None
    effects = ctx.index.effects_of_call(path, fn, fact)
    redis = [e for e in effects if e.kind == "redis"]
    if len(redis) != 1 or len(effects) != 1:
        return None  # a wrapper doing more than one command (or other I/O) is not one pipeline slot
    effect = redis[0]
    direct = not effect.via and (effect.start, effect.end) == (call.start_byte, call.end_byte)
    declared = {node_text(n) for n in walk(binding) if n.type in ("identifier", "shorthand_property_identifier_pattern")} if binding else set()
    return Unit(statement, call, effect, direct, binding, declared, keyword)


def _uses(node, names: set) -> bool:
    return bool(names) and any(n.type == "identifier" and node_text(n) in names for n in walk(node))


def runs(ctx, block) -> list[list[Unit]]:
    """Maximal runs of independent awaited commands on one client in a block."""
    out, run, declared = [], [], set()
    for statement in block.named_children:
        if statement.type == "comment":
            continue
        unit = _unit(ctx, statement)
        if unit is not None and run and unit.effect.target == run[0].effect.target and not _uses(unit.call, declared):
            run.append(unit)
            declared |= unit.declared
            continue
        if len(run) >= 2:
            out.append(run)
        run, declared = ([unit], set(unit.declared)) if unit is not None else ([], set())
    if len(run) >= 2:
        out.append(run)
    return out


def _single_command_client(ctx, call):
    """The client a call sends its only effect to, when that effect is one
    Redis command (what `_unit` can take); else None."""
    effects = ctx.index.effects_at(ctx.file.path, call.start, call.end)
    return effects[0].target if len(effects) == 1 and effects[0].kind == "redis" else None


def check(ctx):
    # A run is two awaited commands on one client in one block: the facts
    # tell whether there can be one before the file is parsed.
    if not ctx.file.facts.awaits_two_alike(lambda c: _single_command_client(ctx, c)):
        return
    tree = ctx.file.ensure_tree()
    for block in [tree.root_node] + ctx.file.nodes("statement_block"):
        for run in runs(ctx, block):
            first = run[0]
            commands = ", ".join(u.effect.op for u in run)
            fix = _pipeline_fix(ctx, run)
            if first.effect.target == "cache-manager":  # NestJS's cache manager: no pipeline, but mget/mset
                advice = "Read them with one `mget(...)` (write with one `mset(...)`)."
            else:
                advice = "Send them in one `pipeline()` (or `multi()`) and read the replies from `exec()`."
            yield ctx.report(
                first.call.start_byte, first.call.end_byte,
                f"{len(run)} Redis commands awaited one after another ({commands}): one round trip each. " + advice,
                related=tuple(Related(ctx.file.path, u.call.start_byte, u.call.end_byte, f"`{u.effect.op}`") for u in run[1:]),
                fixes=(fix,) if fix else (),
            )


# ---------------------------------------------------------------- the fix


def _enclosing_function(node):
    while node is not None and node.type not in FUNCTION_KINDS:
        node = node.parent
    return node


def _atomic(scope_text: str) -> bool:
    """The code says the commands belong together: it WATCHes keys, or its
    names and comments speak of a transaction. Otherwise a pipeline keeps
    exactly the guarantees the awaited commands had."""
    return bool(ATOMIC_HINT.search(scope_text))


def _fresh_name(scope_text: str, base: str) -> str:
    name, i = base, 2
    while name in scope_text:
        name, i = f"{base}{i}", i + 1
    return name


def _pipeline_fix(ctx, run) -> Fix | None:
    if not all(u.direct for u in run):
        return None
    receivers = {node_text(call_function(u.call).child_by_field_name("object")) for u in run}
    if len(receivers) != 1:
        return None
    fn, fact = ctx.file.facts.call_at(run[0].call.start_byte, run[0].call.end_byte)
    client = client_of_call(ctx.index, ctx.file.path, fn, fact)
    if client is None or client.library not in (IOREDIS, NODE_REDIS, UPSTASH):
        return None  # cache-manager has no pipeline
    start, end = run[0].statement.start_byte, run[-1].statement.end_byte
    block = run[0].statement.parent
    if any(c.type == "comment" and start < c.start_byte < end for c in block.children):
        return None  # would drop the comments
    receiver = receivers.pop()
    data = ctx.file.data
    line_start = data.rfind(b"\n", 0, start) + 1
    indent = data[line_start:start].decode("utf-8", "replace")
    if indent.strip():
        return None
    scope = _enclosing_function(block) or block
    scope_text = node_text(scope)
    atomic = _atomic(scope_text)
    chain = [f".{call_function(u.call).child_by_field_name('property').text.decode()}"
             f"{u.call.child_by_field_name('arguments').text.decode()}" for u in run]
    is_js = ctx.file.path.endswith((".js", ".mjs", ".cjs", ".jsx"))
    keyword = "let" if any(u.keyword == "let" for u in run) else "const"
    results = _fresh_name(scope_text, "results")
    step = indent + "  "
    if client.library == IOREDIS:
        opener, closer = (".multi()" if atomic else ".pipeline()"), ".exec()"
    elif client.library == NODE_REDIS:
        opener, closer = ".multi()", (".exec()" if atomic else ".execAsPipeline()")
    else:
        opener, closer = (".multi()" if atomic else ".pipeline()"), ".exec()"
    lines = [f"const {results} = await {receiver}", f"{step}{opener}"]
    lines += [f"{step}{c}" for c in chain]
    lines.append(f"{step}{closer};")
    text = "\n".join(lines[:1] + lines[1:])
    bound = [(i, u) for i, u in enumerate(run) if u.binding is not None]
    if client.library == IOREDIS:
        text += f"\n{indent}if (!{results}) throw new Error('Redis {'transaction' if atomic else 'pipeline'} was aborted');"
        text += f"\n{indent}for (const [err] of {results}) if (err) throw err;"
        if bound:
            slots = ", ".join(f"[, {node_text(u.binding)}]" if u.binding is not None else "" for u in run[: bound[-1][0] + 1])
            cast = "" if is_js else " as [Error | null, any][]"
            text += f"\n{indent}{keyword} [{slots}] = {results}{cast};"
    elif bound:
        slots = ", ".join(node_text(u.binding) if u.binding is not None else "" for u in run[: bound[-1][0] + 1])
        text += f"\n{indent}{keyword} [{slots}] = {results};"
    title = "Use a transaction: one `multi()`" if atomic else "Use a pipeline: one `pipeline()`"
    return Fix(title, Applicability.UNSAFE, (Edit(ctx.file.path, start, end, text),))
