"""Redis clients, and the classifier that says which calls are Redis commands.

A call `X.<command>(...)` is a Redis command when its receiver `X` holds a
client: `new Redis(...)` / `new Redis.Cluster(...)` / `new Cluster(...)`
from ioredis, `createClient()` / `createCluster()` from node-redis,
`new Redis(...)` / `Redis.fromEnv()` from `@upstash/redis`, `x.duplicate()`
of a client, or a variable, member or constructor parameter typed with one
of their client types (how NestJS providers are injected). The receiver is
followed through locals, module bindings, imports and re-exports and `this.`
members; what cannot be followed is not a client (a `.get()` on a router, a
Map or an axios instance stays unclassified).

Wrappers (`redisService.set(...)`) need nothing here: the index reaches the
commands inside them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .effects import Effect
from .facts import ValueRef, member_path, unwrap
from .index import register_classifier
from .facts import register_extractor
from .parsing import node_text, walk
from .redis_commands import command_name

IOREDIS = "ioredis"
NODE_REDIS = "node-redis"
UPSTASH = "upstash"
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
    if ref.kind == "type":
        lib = _library_of_import(index, path, parts[0])
        imported = _imported_name(index, path, parts[0]) or ""
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
    scope = fn
    while scope is not None:
        for local, ref in scope.locals:
            if local == name:
                return _client_of_ref(index, path, ref, scope, f"{scope.id}:{name}", depth + 1)
        for param, ptype in zip(scope.params, scope.param_types):
            if param == name:
                if ptype is None:
                    return None
                return _client_of_ref(index, path, ValueRef("type", ptype), scope, f"{scope.id}:{name}", depth + 1)
        scope = facts.function(scope.parent) if scope.parent else None
    ref = facts.binding(name)
    if ref is not None:
        return _client_of_ref(index, path, ref, None, name, depth + 1)
    imp = facts.import_of(name)
    if imp is None:
        return None
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
        if cls.method(member) is not None:
            return None
        base = index.base_class(path, cls)
        if base is None:
            return None
        path, cls = base
        seen += 1
    return None


def client_of(index, path: str, fn, parts: tuple[str, ...], depth: int = 0) -> Client | None:
    """The Redis client that the receiver path `parts` holds at `fn`, or None."""
    if not parts or depth > MAX_DEPTH:
        return None
    if parts[0] == "this":
        if len(parts) != 2 or fn is None or not fn.class_name:
            return None
        return _member_client(index, path, fn.class_name, parts[1], depth + 1)
    if len(parts) == 1:
        return _client_of_name(index, path, parts[0], fn, depth + 1)
    # `this.cache.client`, `redisModule.redis`: the owner through the index, then its member.
    owner = index.resolve_path(path, parts[:-1], fn)
    if owner is None:
        return None
    if owner.kind == "module":
        return _exported_client(index, owner.path, parts[-1], depth + 1)
    if owner.kind == "instance":
        return _member_client(index, owner.path, owner.name, parts[-1], depth + 1)
    return None


def client_of_call(index, path: str, fn, call) -> Client | None:
    if len(call.callee) < 2 or call.is_new:
        return None
    return client_of(index, path, fn, call.callee[:-1])


def _classify(index, path: str, fn, call):
    command = command_name(call.method) if call.method else None
    if command is None or len(call.callee) < 2 or call.is_new:
        return ()
    client = client_of_call(index, path, fn, call)
    if client is None:
        return ()
    return (Effect("redis", command, client.id, path, call.start, call.end),)


register_classifier(_classify)


# ---------------------------------------------------------------- helpers for the R2xx rules


def find_call(tree, start: int, end: int):
    """The call_expression node spanning exactly [start, end), or None."""
    node = tree.root_node.descendant_for_byte_range(start, end)
    while node is not None and not (node.type == "call_expression" and node.start_byte == start and node.end_byte == end):
        node = node.parent
    return node


def arguments(call_node) -> list:
    args = call_node.child_by_field_name("arguments") if call_node is not None else None
    if args is None or args.type != "arguments":
        return []
    return [a for a in args.named_children if a.type != "comment"]


def key_text(call_node) -> str | None:
    """The source text of a command's first argument (its key)."""
    args = arguments(call_node)
    if not args or args[0].type == "spread_element":
        return None
    return node_text(unwrap(args[0]))


def redis_calls(index, path: str, facts):
    """(function or None, call, direct Redis effect) for every command in a file."""
    scopes = [(None, facts.module_calls)] + [(fn, fn.calls) for fn in facts.functions]
    for fn, calls in scopes:
        for call in calls:
            for effect in _classify(index, path, fn, call):
                yield fn, call, effect


def function_node(tree, fn):
    """The syntax node of a FunctionFact."""
    node = tree.root_node.descendant_for_byte_range(fn.start, fn.end)
    while node is not None and not (node.start_byte == fn.start and node.end_byte == fn.end):
        node = node.parent
    return node


