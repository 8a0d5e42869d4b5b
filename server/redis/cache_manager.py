"""NestJS's cache manager backed by Redis.

`@Inject(CACHE_MANAGER) private cache: Cache` (`Cache` from `cache-manager`)
talks to whatever store the app registers. When a `CacheModule.register` /
`registerAsync` call sits in a file that imports a Redis store
(`@keyv/redis`, `cache-manager-redis-yet`, `cache-manager-ioredis`...), its
`get`, `set` and `del` are Redis round trips. Its TTL semantics are
cache-manager's, not Redis's: `set(key, value, ttl)` expires when `ttl` is
given, else the store's default `ttl` applies when the registration sets one.
Without a Redis store (the in-memory default) nothing here is Redis.
"""

from __future__ import annotations

import re

from perfaudit.server.analysis.effects import Effect
from perfaudit.server.analysis.facts import register_extractor
from perfaudit.server.analysis.index import register_classifier
from perfaudit.server.analysis.parsing import arguments, node_text
from perfaudit.server.analysis.syntax import call_function, member_path, string_value, unwrap

# Where the `Cache` type comes from.
CACHE_MODULES = {"cache-manager", "@nestjs/cache-manager"}
REDIS_STORES = {
    "@keyv/redis", "keyv-redis", "cache-manager-redis-yet", "cache-manager-ioredis", "cache-manager-ioredis-yet",
    "cache-manager-redis-store", "@tirke/node-cache-manager-ioredis", "redis-store",
}
# cache-manager methods -> the Redis command each sends.
COMMANDS = {"get": "get", "set": "set", "del": "del", "mget": "mget", "mset": "mset", "mdel": "del", "ttl": "ttl"}
_TTL_KEY = re.compile(rb"\bttl\s*:")


def _registration(root, language: str = "typescript"):
    """(registers a Redis store, sets a default ttl) for a file that calls
    `CacheModule.register(...)`/`registerAsync(...)` and imports a Redis store; else None."""
    text = root.text or b""
    if b"CacheModule" not in text or not any(store.encode() in text for store in REDIS_STORES):
        return None
    imports_store = any(
        stmt.type == "import_statement" and string_value(stmt.child_by_field_name("source")) in REDIS_STORES
        for stmt in root.named_children
    ) or any(f"require('{s}')".encode() in text or f'require("{s}")'.encode() in text for s in REDIS_STORES)
    if not imports_store:
        return None
    default_ttl = False
    found = False
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "call_expression":
            path = member_path(call_function(node))
            if path[-2:] in (("CacheModule", "register"), ("CacheModule", "registerAsync")):
                found = True
                default_ttl = default_ttl or bool(_TTL_KEY.search(node.text or b""))
                continue
        stack.extend(node.named_children)
    return (True, default_ttl) if found else None


register_extractor("redis.cache_store", _registration)


def redis_store(index) -> tuple[bool, bool]:
    """(the workspace's cache manager is Redis, its registration sets a default ttl)."""
    ws = index.ws
    held = getattr(ws, "_perfaudit_cache_store", None)
    if held is None or held[0] != ws.generation:
        files = tuple(p for p, f in ws.files.items() if f.facts.extra("redis.cache_store"))
        held = (ws.generation, files)
        ws._perfaudit_cache_store = held
    found = [index.facts(p).extra("redis.cache_store") for p in held[1]]  # reading them records the dependency
    found = [f for f in found if f]
    return (bool(found), any(ttl for _, ttl in found))


def set_expires(call_node, default_ttl: bool) -> bool | None:
    """Whether `cache.set(key, value, ttl?)` expires: True / False / None (cannot tell)."""
    args = arguments(call_node)
    if any(a.type == "spread_element" for a in args):
        return None
    if len(args) < 2:
        return None  # half-typed
    if len(args) == 2:
        return default_ttl
    ttl = unwrap(args[2])
    text = node_text(ttl) if ttl is not None else ""
    if text in ("undefined", "null"):
        return default_ttl
    if text == "0" or (ttl is not None and ttl.type == "object" and re.search(r"\bttl\s*:\s*0\b", text)):
        return False  # 0: no expiry
    return True


# ---------------------------------------------------------------- wrap

# cache-manager's factories: `await caching('memory')`, `createCache({ stores })`.
_FACTORIES = {"caching", "multiCaching", "createCache"}


def _wrap_classifier(index, path: str, fn, call):
    """`cache.wrap(key, () => fetch(), ttl)`: cache-manager answers from its
    store before it runs the fetcher, so the call is a cache read, whatever
    the store (Redis or memory)."""
    if call.method != "wrap" or len(call.callee) < 2 or not (call.callbacks or any(call.arg_names)):
        return ()
    if not _is_cache_manager(index, path, fn, call.callee[:-1]):
        return ()
    return (Effect("cache", "read", "cache-manager.wrap", path, call.start, call.end),)


def _is_cache_manager(index, path: str, fn, receiver: tuple[str, ...]) -> bool:
    """A `Cache` of cache-manager (`@Inject(CACHE_MANAGER) cache: Cache`, a
    typed parameter), or what one of its factories made."""
    facts = index.facts(path)
    if facts is None:
        return False
    ref = None
    if len(receiver) == 2 and receiver[0] == "this" and fn is not None and fn.class_name:
        cls = facts.klass(fn.class_name)
        ref = cls.member(receiver[1]) if cls is not None else None
    elif len(receiver) == 1:  # a local, a typed parameter, a module binding
        found = facts.name_in_scope(fn, receiver[0])
        ref = found.ref if found is not None else None
    if ref is None or ref.kind not in ("type", "call"):
        return False
    head = ref.name.split(".")[0]
    imp = facts.import_of(head)
    if imp is None or imp.module not in CACHE_MODULES:
        return False
    last = ref.name.split(".")[-1] if imp.imported == "*" else imp.imported
    return last in ("Cache", "MultiCache") if ref.kind == "type" else last in _FACTORIES


register_classifier(_wrap_classifier)
