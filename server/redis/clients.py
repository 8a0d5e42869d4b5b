"""Redis clients, and the classifier that says which calls are Redis commands.

A call `X.<command>(...)` is a Redis command when its receiver `X` holds a
client: `new Redis(...)` / `new Redis.Cluster(...)` / `new Cluster(...)`
from ioredis, `createClient()` / `createCluster()` from node-redis,
`new Redis(...)` / `Redis.fromEnv()` from `@upstash/redis`, `x.duplicate()`
of a client, or a variable, member or constructor parameter typed with one
of their client types (how NestJS providers are injected). The receiver is
followed through locals, module bindings, imports and re-exports and `this.`
members, and through the result of a workspace getter (`const client =
getRedisClient()`) that returns such a binding or declares a client return
type; through statics and singletons (`RedisService.getInstance().getClient()`),
getters, `(service as any).client`, and a client chosen by a condition
(`cond ? new Redis(url) : (stub as unknown as Redis)`). NestJS's cache
manager over a Redis store is a client too (`cache_manager.py`). A receiver
that still cannot be resolved is a client only when it is named like one
and the file sends it Redis-only commands (`zadd`, `expire`, `pipeline`...);
otherwise what cannot be followed is not a client (a `.get()` on a router,
a Map or an axios instance stays unclassified).

Wrappers (`redisService.set(...)`) need nothing here: the index reaches the
commands inside them.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfaudit.server.analysis.effects import Effect
import re

from perfaudit.server.analysis.facts import ValueRef

from perfaudit.server.analysis.syntax import FUNCTION_KINDS, member_path, returned_type, unwrap
from perfaudit.server.analysis.index import register_classifier
from perfaudit.server.analysis.facts import register_extractor
from perfaudit.server.analysis.parsing import arguments, node_at_span, node_text
from perfaudit.server.redis import cache_manager
from perfaudit.server.redis.commands import command_name, is_write_command

IOREDIS = "ioredis"
NODE_REDIS = "node-redis"
UPSTASH = "upstash"
CACHE_MANAGER = "cache-manager"  # NestJS's cache manager over a Redis store
UNKNOWN = "unknown"  # recognised by the commands it is sent, library unseen
MODULES = {
    "ioredis": IOREDIS,
    "redis": NODE_REDIS,
    "@redis/client": NODE_REDIS,
    "@upstash/redis": UPSTASH,
}
CLIENT_CLASSES = {"Redis", "Cluster", "IORedis", "RedisClient", "default"}
CLIENT_TYPES = CLIENT_CLASSES | {"RedisClientType", "RedisClusterType", "RedisType"}
FACTORIES = {"createClient", "createCluster", "fromEnv"}
# Reads that make a function a cache reader (R205).
CACHE_READS = {"get", "mget", "hget", "hgetall", "hmget", "getex"}
MAX_DEPTH = 10


@dataclass(frozen=True)
class Client:
    id: str  # "<path>#<binding>": one connection, the same from every file that imports it
    library: str  # IOREDIS, NODE_REDIS, UPSTASH
    auto_pipelining: bool = False


def is_cache_read(effect: Effect) -> bool:
    return effect.kind == "redis" and effect.op in CACHE_READS


# ---------------------------------------------------------------- auto-pipelining


def _auto_pipelined_names(root, language: str = "typescript") -> frozenset[str]:
    """Names (`redis`, or `client` of `this.client`) assigned a client built with
    `enableAutoPipelining: true` in an inline options object."""
    out = set()
    if b"enableAutoPipelining" not in (root.text or b""):
        return frozenset()  # the common case, without walking the tree
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type != "pair":
            continue
        key = node.child_by_field_name("key")
        value = node.child_by_field_name("value")
        if key is None or value is None or node_text(key).strip("'\"") != "enableAutoPipelining" or value.type != "true":
            continue
        holder = node.parent
        while holder is not None and holder.type in ("object", "arguments", "new_expression", "call_expression",
                                                    "parenthesized_expression", "await_expression", "as_expression"):
            holder = holder.parent
        if holder is None:
            continue
        if holder.type == "variable_declarator":
            name = holder.child_by_field_name("name")
        elif holder.type == "assignment_expression":
            name = holder.child_by_field_name("left")
        elif holder.type in ("public_field_definition", "field_definition"):
            name = holder.child_by_field_name("name") or holder.child_by_field_name("property")
        else:
            continue
        path = member_path(name) if name is not None else ()
        if path:
            out.add(path[-1])
    return frozenset(out)


register_extractor("redis.auto_pipelining", _auto_pipelined_names)


# ---------------------------------------------------------------- getters

def mentions_redis(text: bytes) -> bool:
    # Substrings, not the regex `[Rr]edis|REDIS`: three times `in` runs at
    # memory speed, the regex some twenty times slower.
    return b"edis" in text and (b"redis" in text or b"Redis" in text) or b"REDIS" in text


def _returned_names(fn_node) -> tuple[str, ...]:
    body = fn_node.child_by_field_name("body")
    if body is None:
        return ()
    if body.type != "statement_block":
        inner = unwrap(body)
        return (node_text(inner),) if inner is not None and inner.type == "identifier" else ()
    names = []
    stack = list(body.named_children)
    while stack:
        n = stack.pop()
        if n.type == "return_statement":
            value = unwrap(n.named_children[0]) if n.named_children else None
            if value is not None and value.type == "await_expression" and value.named_children:
                value = unwrap(value.named_children[0])
            path = member_path(value) if value is not None and value.type in ("identifier", "member_expression") else ()
            names.append(".".join(path) if path else "")  # "": returns something else
        elif n.type not in FUNCTION_KINDS and n.type != "class_declaration":
            stack.extend(n.named_children)
    return tuple(names)


def _getters(root, language: str = "typescript"):
    """In files that mention Redis: what named functions return, and module
    variables declared with a type but no value (`let client: RedisClientType | null = null`).
    ((function id, return type or None, returned names), ...), ((name, type), ...).
    No byte offsets: an edit inside a body leaves it equal."""
    if not mentions_redis(root.text or b""):
        return ((), ())
    functions, typed = [], []
    for top in root.named_children:
        node = top.child_by_field_name("declaration") if top.type == "export_statement" else top
        if node is None:
            continue
        if node.type == "function_declaration":
            name = node.child_by_field_name("name")
            if name is not None:
                functions.append((node_text(name), node))
        elif node.type in ("lexical_declaration", "variable_declaration"):
            for decl in node.named_children:
                if decl.type != "variable_declarator":
                    continue
                name, value = decl.child_by_field_name("name"), unwrap(decl.child_by_field_name("value"))
                if name is None or name.type != "identifier":
                    continue
                if value is not None and value.type in ("arrow_function", "function_expression"):
                    functions.append((node_text(name), value))
                elif value is None or value.type in ("null", "undefined"):
                    t = returned_type(decl.child_by_field_name("type"))
                    if t:
                        typed.append((node_text(name), t))
        elif node.type == "class_declaration":
            cls = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if cls is None or body is None:
                continue
            for member in body.named_children:
                name = member.child_by_field_name("name")
                if member.type == "method_definition" and name is not None:
                    functions.append((f"{node_text(cls)}.{node_text(name)}", member))
    out = []
    for fid, fn_node in functions:
        rtype = returned_type(fn_node.child_by_field_name("return_type"))
        names = _returned_names(fn_node)
        if rtype or any(names):
            out.append((fid, rtype, names))
    return (tuple(out), tuple(typed))


register_extractor("redis.getters", _getters)


def _getter(index, path: str, fid: str):
    facts = index.facts(path)
    functions, _ = (facts.extra("redis.getters") or ((), ())) if facts is not None else ((), ())
    for entry in functions:
        if entry[0] == fid:
            return entry
    return None


def _typed_variable(index, path: str, name: str) -> str | None:
    facts = index.facts(path)
    _, typed = (facts.extra("redis.getters") or ((), ())) if facts is not None else ((), ())
    for var, t in typed:
        if var == name:
            return t
    return None


def _client_of_getter(index, path: str, parts: tuple[str, ...], fn, depth: int) -> Client | None:
    """The client a workspace function returns: every `return` gives the same
    client, or (when none can be followed) its declared return type is one."""
    found = index.function(index.resolve_path(path, parts, fn))
    if found is None:
        return None
    fpath, fact = found
    getter = _getter(index, fpath, fact.id)
    if getter is None:
        return None
    _, rtype, names = getter
    clients = set()
    for name in names:
        client = client_of(index, fpath, fact, tuple(name.split(".")), depth + 1) if name else None
        if client is None:
            clients = set()
            break
        clients.add(client)
    if len(clients) == 1:
        return clients.pop()
    if rtype:
        return _client_of_ref(index, fpath, ValueRef("type", rtype), None, f"{fact.id}()", depth + 1)
    return None


# ---------------------------------------------------------------- client resolution


def _library_of_import(index, path: str, name: str) -> str | None:
    module = index.imported_module(path, name)
    return MODULES.get(module or "")


def _imported_name(index, path: str, name: str) -> str | None:
    facts = index.facts(path)
    imp = facts.import_of(name) if facts is not None else None
    if imp is not None:
        return imp.imported
    ref = facts.binding(name) if facts is not None else None
    if ref is not None and ref.kind == "require":
        return ref.member or "default"
    return None


def _auto(index, path: str, name: str) -> bool:
    facts = index.facts(path)
    return facts is not None and name in (facts.extra("redis.auto_pipelining") or ())


def _client_of_ref(index, path: str, ref: ValueRef, fn, holder: str, depth: int) -> Client | None:
    if depth > MAX_DEPTH or ref.member is not None and ref.kind != "require":
        return None
    parts = tuple(ref.name.split("."))
    if ref.kind == "new":
        lib = _library_of_import(index, path, parts[0])
        imported = _imported_name(index, path, parts[0]) or ""
        if lib is None:
            return None
        # `new Redis()`, `new Redis.Cluster()`, `new IORedis()`, `new Cluster()`.
        if len(parts) == 1 and (imported in CLIENT_CLASSES or imported == "*") or parts[1:] == ("Cluster",):
            return Client(f"{path}#{holder}", lib, _auto(index, path, holder.split(".")[-1]))
        return None
    if ref.kind == "call":
        if parts[-1] == "duplicate" and len(parts) >= 2:
            base = client_of(index, path, fn, parts[:-1], depth + 1)
            return Client(f"{path}#{holder}", base.library, _auto(index, path, holder.split(".")[-1])) if base else None
        if parts[-1] in FACTORIES:
            lib = _library_of_import(index, path, parts[0])
            if lib is not None:
                return Client(f"{path}#{holder}", lib, False)
            return None
        return _client_of_getter(index, path, parts, fn, depth + 1)
    if ref.kind == "type":
        imported = _imported_name(index, path, parts[0]) or ""
        if imported == "Cache" and index.imported_module(path, parts[0]) in cache_manager.CACHE_MODULES:
            # `@Inject(CACHE_MANAGER) cache: Cache`: one store for the whole app.
            return Client("cache-manager", CACHE_MANAGER) if cache_manager.redis_store(index)[0] else None
        lib = _library_of_import(index, path, parts[0])
        if lib is not None and (imported in CLIENT_TYPES or parts[-1] in CLIENT_TYPES):
            return Client(f"{path}#{holder}", lib, False)
        return None
    if ref.kind == "name":
        return client_of(index, path, fn, parts, depth + 1)
    return None


def _client_of_name(index, path: str, name: str, fn, depth: int) -> Client | None:
    facts = index.facts(path)
    if facts is None or depth > MAX_DEPTH:
        return None
    found = facts.name_in_scope(fn, name)
    if found is not None:
        if found.ref is None:
            return None  # a parameter without a type: unknown
        holder = f"{found.scope.id}:{name}" if found.scope is not None else name
        return _client_of_ref(index, path, found.ref, found.scope, holder, depth + 1)
    imp = facts.import_of(name)
    if imp is None:
        declared = _typed_variable(index, path, name)  # `let client: RedisClientType | null = null`
        return _client_of_ref(index, path, ValueRef("type", declared), None, name, depth + 1) if declared else None
    target = index.resolve_module(path, imp.module)
    if target is None:
        return None
    return _exported_client(index, target, imp.imported, depth + 1)


def _exported_client(index, path: str, name: str, depth: int) -> Client | None:
    facts = index.facts(path)
    if facts is None or depth > MAX_DEPTH:
        return None
    if name == "default":
        ref = facts.default_export
        return _client_of_ref(index, path, ref, None, "default", depth + 1) if ref is not None else None
    for exported, local in facts.exports:
        if exported == name:
            return _client_of_name(index, path, local, None, depth + 1)
    for exported, module, imported in facts.reexports:
        if exported == name and imported != "*":
            target = index.resolve_module(path, module)
            return _exported_client(index, target, imported, depth + 1) if target else None
    for module in facts.star_exports:
        target = index.resolve_module(path, module)
        found = _exported_client(index, target, name, depth + 1) if target else None
        if found is not None:
            return found
    return None


def _member_client(index, path: str, cls_name: str, member: str, depth: int) -> Client | None:
    cls = index.klass(path, cls_name)
    seen = 0
    while cls is not None and seen < MAX_DEPTH:
        ref = cls.member(member)
        if ref is not None:
            owner = index.facts(path)
            ctor = owner.function(f"{cls.name}.constructor") if owner else None
            return _client_of_ref(index, path, ref, ctor, f"{cls.name}.{member}", depth + 1)
        fid = cls.method(member)
        if fid is not None:
            # A getter (`get client() { return this._client; }`): what it returns.
            return _client_of_getter(index, path, ("this", member), _method_fact(index, path, fid), depth + 1)
        base = index.base_class(path, cls)
        if base is None:
            return None
        path, cls = base
        seen += 1
    return None


def _method_fact(index, path: str, fid: str):
    facts = index.facts(path)
    return facts.function(fid) if facts is not None else None


def client_of(index, path: str, fn, parts: tuple[str, ...], depth: int = 0) -> Client | None:
    """The Redis client that the receiver path `parts` holds at `fn`, or None."""
    if not parts or depth > MAX_DEPTH:
        return None
    if parts[-1].endswith("()"):
        # `getRedis()`, `RedisService.getInstance().getClient()`: what the function returns.
        return _client_of_getter(index, path, parts[:-1] + (parts[-1][:-2],), fn, depth + 1)
    if parts[0] == "this" and len(parts) == 2:
        if fn is None or not fn.class_name:
            return None
        return _member_client(index, path, fn.class_name, parts[1], depth + 1)
    if len(parts) == 1:
        return _client_of_name(index, path, parts[0], fn, depth + 1)
    # `this.cache.client`, `redisModule.redis`, `RedisService.client` (a static),
    # `X.getInstance().client`: the owner through the index, then its member.
    owner = index.resolve_path(path, parts[:-1], fn)
    if owner is None:
        return None
    if owner.kind == "module":
        return _exported_client(index, owner.path, parts[-1], depth + 1)
    if owner.kind in ("instance", "class"):
        return _member_client(index, owner.path, owner.name, parts[-1], depth + 1)
    return None


def client_of_call(index, path: str, fn, call) -> Client | None:
    if len(call.callee) < 2 or call.is_new:
        return None
    return client_of(index, path, fn, call.callee[:-1])


def _classify(index, path: str, fn, call):
    if not call.method or len(call.callee) < 2 or call.is_new:
        return ()
    command = command_name(call.method)
    cache_command = cache_manager.COMMANDS.get(call.method)
    if command is None and cache_command is None:
        return ()
    client = client_of_call(index, path, fn, call)
    if client is not None and client.library == CACHE_MANAGER:
        command = cache_command
    elif client is None and command is not None:
        client = _named_client(index, path, fn, call)
    if client is None or command is None:
        return ()
    return (Effect("redis", command, client.id, path, call.start, call.end, (), is_write_command(command)),)


# ---------------------------------------------------------------- receivers known by what they are sent

_REDIS_NAME = re.compile(r"redis", re.I)
# Commands a Map, an LRU cache or a key-value wrapper also has: alone they say nothing.
GENERIC_COMMANDS = {"get", "set", "del", "exists", "keys", "type", "scan", "append", "rename", "publish", "getdel"}
BATCH_OPENERS = {"pipeline", "multi"}
_NAMED: dict[int, tuple[object, frozenset]] = {}


def _redis_only(method: str) -> bool:
    command = command_name(method)
    return method in BATCH_OPENERS or (command is not None and command not in GENERIC_COMMANDS)


def _named_receivers(facts) -> frozenset:
    """Receivers named like a Redis client that the file sends a Redis-only command."""
    held = _NAMED.get(id(facts))
    if held is not None and held[0] is facts:
        return held[1]
    out = frozenset(c.callee[:-1] for c in facts.all_calls
                    if len(c.callee) >= 2 and _REDIS_NAME.search(c.callee[-2]) and _redis_only(c.method))
    if len(_NAMED) > 5000:
        _NAMED.clear()
    _NAMED[id(facts)] = (facts, out)
    return out


def _named_client(index, path: str, fn, call) -> Client | None:
    """A receiver the index cannot resolve (an untyped parameter, `any`, a
    package it cannot see) that is named like a Redis client and is sent
    Redis-only commands (`zadd`, `hincrby`, `expire`, `pipeline`...) in this
    file: all its commands are Redis commands. `get`/`set`/`del` alone never
    make a receiver Redis."""
    receiver = call.callee[:-1]
    facts = index.facts(path)
    if facts is None or receiver not in _named_receivers(facts):
        return None
    if index.resolve_call(path, fn, call) is not None:
        return None  # a workspace wrapper: the index follows it
    target = index.resolve_path(path, receiver, fn)
    if target is not None and target.kind != "external":
        return None  # something the index can see, and it is not a client
    return Client(f"{path}#{'.'.join(receiver)}", UNKNOWN)


register_classifier(_classify)


# ---------------------------------------------------------------- helpers for the R2xx rules


def find_call(tree, start: int, end: int):
    """The call_expression node spanning exactly [start, end), or None."""
    return node_at_span(tree, start, end)


def key_text(call_node) -> str | None:
    """The source text of a command's first argument (its key)."""
    args = arguments(call_node)
    if not args or args[0].type == "spread_element":
        return None
    return node_text(unwrap(args[0]))


def redis_calls(index, path: str, facts):
    """(function or None, call, direct Redis effect) for every command in a file."""
    for fn, call in facts.calls_in_scope:
        for effect in _classify(index, path, fn, call):
            yield fn, call, effect


def redis_calls_within(index, path: str, fn):
    """(call, direct Redis effect) for every command in `fn` and the
    functions nested in it (not a scan of the whole file per function)."""
    for f in index.with_nested(path, fn):
        for call in f.calls:
            for effect in _classify(index, path, f, call):
                yield call, effect


def function_node(tree, fn):
    """The syntax node of a FunctionFact."""
    node = tree.root_node.descendant_for_byte_range(fn.start, fn.end)
    while node is not None and not (node.start_byte == fn.start and node.end_byte == fn.end):
        node = node.parent
    return node


