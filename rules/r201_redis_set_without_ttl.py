"""## What it does
Finds Redis writes that create a key (`set`, `hset`, `lpush`, `sadd`, `zadd`,
`incr`, `mset`...) with no expiry: no `EX`/`PX`/`EXAT`/`PXAT`/`KEEPTTL`
option (`{ EX: n }` with node-redis), not `setex`/`psetex`, and no
`expire`/`pexpire` (or `del`) of the same key in the same function. It also
finds the call sites of a workspace wrapper (`cache.set(key, value, ttl?)`)
that omit its optional TTL argument when the wrapper then writes without
expiry; the finding is at the call site, with the write as related
information.
NestJS's cache manager over a Redis store (`@Inject(CACHE_MANAGER) cache:
Cache`, with `cache-manager-redis-yet`, `@keyv/redis`...) follows
cache-manager's semantics: `cache.set(key, value)` without a `ttl` argument
fires only when the store's registration sets no default `ttl` (no fix).

## Why is this bad?
A key with no TTL stays until it is deleted or evicted. Cache entries,
sessions and counters that nobody deletes grow Redis' memory without bound,
and once `maxmemory` is reached the eviction policy drops keys you still
need (or, with `noeviction`, writes start failing).

## Example
```ts
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);

export async function cacheProfile(userId: string, profile: object) {
  await redis.set(`profile:${userId}`, JSON.stringify(profile));
}
```

## Use instead
```ts
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);

export async function cacheProfile(userId: string, profile: object) {
  await redis.set(`profile:${userId}`, JSON.stringify(profile), 'EX', 300);
}

export async function countHit(key: string) {
  await redis.zadd(key, Date.now(), String(Date.now()));
  await redis.expire(key, 60);
}
```

## Fix safety
"Add TTL" adds `'EX', <default-ttl>` (`{ EX: <default-ttl> }` for node-redis)
to a `set`, an `expire` after other writes, or the TTL argument to a wrapper
call. It is unsafe: the key now disappears after `default-ttl` seconds (300
by default), which code that expects it to persist must be ready for.
"""

from __future__ import annotations

from perfaudit.server.findings import Applicability, Edit, Fix, Related
from perfaudit.server.analysis.parsing import node_text, walk
from perfaudit.server.redis.commands import DELETE_COMMANDS, EXPIRE_COMMANDS, EXPIRING, KEY_CREATING, command_name
from perfaudit.server.redis import cache_manager
from perfaudit.server.redis.clients import (
    CACHE_MANAGER, IOREDIS, NODE_REDIS, UNKNOWN, UPSTASH, arguments, client_of_call, find_call, function_node, key_text,
    redis_calls, redis_calls_within,
)
from perfaudit.server.analysis.layout import line_indent
from perfaudit.server.rule import FixAvailability, Rule
from perfaudit.server.analysis.syntax import call_function, is_awaited, string_value, unwrap

RULE = Rule(
    code="R201",
    name="redis-set-without-ttl",
    summary="A Redis write creates a key that never expires.",
    fix=FixAvailability.SOMETIMES,
    options={"default-ttl": 300},
    local=True,  # see Rule.local; tests/test_local_rules.py
)

EXPIRY_TOKENS = {"ex", "px", "exat", "pxat", "keepttl"}
EXPIRY_KEYS = EXPIRY_TOKENS | {"expiration"}


def has_expiry(call_node, command: str) -> bool | None:
    """True: the write sets an expiry; False: surely not; None: cannot tell."""
    if command in EXPIRING:
        return True
    args = arguments(call_node)
    if any(a.type == "spread_element" for a in args):
        return None if command == "set" else False
    if command != "set":
        return False
    if len(args) < 2:
        return None  # half-typed
    unknown = False
    for arg in args[2:]:
        arg = unwrap(arg)
        text = string_value(arg)
        if text is not None:
            if text.lower() in EXPIRY_TOKENS:
                return True
            continue
        if arg.type == "object":
            for prop in arg.named_children:
                if prop.type == "pair":
                    key = node_text(prop.child_by_field_name("key")).strip("'\"").lower()
                    if key in EXPIRY_KEYS:
                        return True
                elif prop.type != "comment":
                    unknown = True  # spread or shorthand: may carry EX
            continue
        if arg.type not in ("number", "true", "false", "null", "undefined"):
            unknown = True  # a variable holding options
    return None if unknown else False


def expired_in(scope_node, key: str) -> bool:
    """Whether `scope_node` expires or deletes `key` (also in chains and wrappers named so)."""
    for node in walk(scope_node):
        if node.type != "call_expression":
            continue
        fn = call_function(node)
        if fn is None or fn.type != "member_expression":
            continue
        name = command_name(node_text(fn.child_by_field_name("property")))
        if name in EXPIRE_COMMANDS or name in DELETE_COMMANDS or name in EXPIRING:
            if key_text(node) == key or any(node_text(unwrap(a)) == key for a in arguments(node)[:1]):
                return True
    return False


def _key_phrase(key: str | None) -> str:
    """`key 'session:abc'`, `` key `user:${id}` ``, `the key in `cacheKey``:
    never "key key" when the key is a variable named `key`."""
    if key is None:
        return "a key"
    shown = _show(key)
    if key[:1] in "'\"":
        return f"key {shown}"
    if key[:1] == "`":
        return f"key {shown}"
    return f"the key in `{shown}`"


def _show(key: str | None) -> str:
    key = (key or "?").replace("\n", " ")
    return key if len(key) <= 60 else key[:57] + "..."


def _identifiers(node) -> set[str]:
    return {node_text(n) for n in walk(node) if n.type == "identifier"}


def _expires(index, path, fn, call, node, command) -> bool | None:
    client = client_of_call(index, path, fn, call)
    if client is not None and client.library == CACHE_MANAGER:
        # cache-manager's `set(key, value, ttl?)`: the store's default ttl when omitted.
        return cache_manager.set_expires(node, cache_manager.redis_store(index)[1]) if command == "set" else None
    return has_expiry(node, command)


def bare_writes(index, path, tree, facts):
    """(fn, call, effect, call node, client) of writes that create a key with no expiry."""
    for fn, call, effect in redis_calls(index, path, facts):
        if effect.op not in KEY_CREATING:
            continue
        node = find_call(tree, call.start, call.end)
        if node is None or _expires(index, path, fn, call, node, effect.op) is not False:
            continue
        key = key_text(node)
        scope = function_node(tree, fn) if fn is not None else tree.root_node
        if key is None or scope is None or expired_in(scope, key):
            continue
        yield fn, call, effect, node


_WRAPPERS: dict = {}


def ttl_wrapper(index, path: str, fn):
    """(TTL parameter index, write node range) when `fn` takes an optional TTL
    and writes without expiry when it is omitted; else None."""
    source = index.ws.files.get(path)
    if source is None:
        return None
    key = (path, fn.id, fn.start, fn.end)
    held = _WRAPPERS.get(key)
    text = source.text_key()
    if held is None or not (held[0] is text or held[0] == text):
        if len(_WRAPPERS) > 2000:
            _WRAPPERS.clear()
        held = _WRAPPERS[key] = (text, _ttl_wrapper(index, path, fn, source))
    return held[1]


def _ttl_wrapper(index, path, fn, source):
    writes = sorted(redis_calls_within(index, path, fn), key=lambda w: w[0].start)
    if not any(effect.op in KEY_CREATING for _, effect in writes):
        return None  # told by the facts alone: no need for the file's tree
    with source.tree_for_now() as tree:
        return _ttl_wrapper_in(fn, writes, tree)


def _ttl_wrapper_in(fn, writes, tree):
    node = function_node(tree, fn)
    params = node.child_by_field_name("parameters") if node is not None else None
    if params is None:
        return None
    optional = {}
    for i, p in enumerate(params.named_children):
        pattern = p.child_by_field_name("pattern")
        if p.type == "optional_parameter" and pattern is not None and pattern.type == "identifier":
            optional[node_text(pattern)] = i
    if not optional:
        return None
    bare = None
    ttl_names: set[str] = set()
    for call, effect in writes:
        call_node = find_call(tree, call.start, call.end)
        if call_node is None:
            continue
        if effect.op in EXPIRE_COMMANDS or effect.op in EXPIRING or has_expiry(call_node, effect.op) is True:
            for arg in arguments(call_node)[1:]:
                ttl_names |= _identifiers(arg) & set(optional)
        elif effect.op in KEY_CREATING and has_expiry(call_node, effect.op) is False and bare is None:
            bare = call_node
    if bare is None or not ttl_names:
        return None
    return min(optional[n] for n in ttl_names), (bare.start_byte, bare.end_byte)


def _write_fix(ctx, node, command: str, library: str, ttl: int) -> Fix | None:
    args = arguments(node)
    path = ctx.file.path
    if command == "set":
        if library == NODE_REDIS or library == UPSTASH:
            if len(args) != 2:
                return None
            option = "{ EX: %d }" % ttl if library == NODE_REDIS else "{ ex: %d }" % ttl
            edit = Edit(path, args[1].end_byte, args[1].end_byte, f", {option}")
        else:
            edit = Edit(path, args[1].end_byte, args[1].end_byte, f", 'EX', {ttl}")
        return Fix(f"Add TTL ({ttl} s)", Applicability.UNSAFE, (edit,))
    # Other writes: an `expire` of the key right after the statement.
    statement = node.parent
    if statement is not None and statement.type == "await_expression":
        statement = statement.parent
    awaited = "await " if is_awaited(node) else ""
    if statement is None or statement.type != "expression_statement":
        return None
    receiver = call_function(node).child_by_field_name("object")
    key = key_text(node)
    if receiver is None or key is None:
        return None
    indent = line_indent(ctx.file.data, statement.start_byte)
    text = f"\n{indent}{awaited}{node_text(receiver)}.expire({key}, {ttl});"
    return Fix(f"Add TTL: expire after {ttl} s", Applicability.UNSAFE, (Edit(path, statement.end_byte, statement.end_byte, text),))


def check(ctx):
    index, path, facts = ctx.index, ctx.file.path, ctx.file.facts
    ttl = int(ctx.options.get("default-ttl", 300))
    # The tree only for a file that writes to Redis or calls a TTL wrapper
    # (the facts tell): most files are never parsed for this rule.
    writes = any(effect.op in KEY_CREATING for _, _, effect in redis_calls(index, path, facts))
    for fn, call, effect, node in bare_writes(index, path, ctx.file.ensure_tree(), facts) if writes else ():
        wrapper = ttl_wrapper(index, path, fn) if fn is not None else None
        if wrapper is not None and wrapper[1] == (node.start_byte, node.end_byte):
            continue  # reported where the wrapper is called without its TTL
        client = client_of_call(index, path, fn, call)
        library = client.library if client is not None else UNKNOWN
        fix = _write_fix(ctx, node, effect.op, library, ttl) if library in (IOREDIS, NODE_REDIS, UPSTASH) else None
        if library == CACHE_MANAGER:
            advice = "Pass a TTL as the third argument, or set a default `ttl` where CacheModule registers the Redis store."
        else:
            advice = "Set a TTL (`'EX', seconds`, `setex`) or `expire` the key."
        yield ctx.report(
            node.start_byte, node.end_byte,
            f"`{effect.op}` creates {_key_phrase(key_text(node))} with no expiry: it stays in Redis until deleted or evicted. "
            + advice,
            fixes=(fix,) if fix else (),
        )
    yield from _wrapper_call_sites(ctx, ttl)


def _wrapper_call_sites(ctx, ttl):
    index, path, facts = ctx.index, ctx.file.path, ctx.file.facts
    for fn, call in facts.calls_in_scope:
        resolved = index.resolve_call(path, fn, call)
        if resolved is None:
            continue
        wrapper = ttl_wrapper(index, resolved[0], resolved[1])
        if wrapper is None:
            continue
        ttl_index, write = wrapper
        tree = ctx.file.ensure_tree()
        node = find_call(tree, call.start, call.end)
        args = arguments(node) if node is not None else []
        if node is None or any(a.type == "spread_element" for a in args):
            continue
        if len(args) > ttl_index and node_text(unwrap(args[ttl_index])) != "undefined":
            continue
        key = key_text(node)
        scope = function_node(tree, fn) if fn is not None else tree.root_node
        if key is not None and scope is not None and expired_in(scope, key):
            continue
        name = resolved[1].name
        fixes = ()
        if len(args) == ttl_index and args:
            edit = Edit(path, args[-1].end_byte, args[-1].end_byte, f", {ttl}")
            fixes = (Fix(f"Pass a TTL ({ttl} s)", Applicability.UNSAFE, (edit,)),)
        yield ctx.report(
            call.start, call.end,
            f"`{name}` is called without its TTL argument, so it writes the key with no expiry: "
            f"it stays in Redis until deleted or evicted. Pass a TTL in seconds.",
            related=(Related(resolved[0], write[0], write[1], "the write without expiry"),),
            fixes=fixes,
        )
