"""Redis command semantics the rules need."""

from __future__ import annotations

# Commands that create (or overwrite) a key, and so need an expiry somewhere.
KEY_CREATING = {
    "set", "setnx", "mset", "msetnx", "hset", "hmset", "hsetnx", "lpush", "rpush", "lpushx", "rpushx",
    "sadd", "zadd", "incr", "incrby", "incrbyfloat", "decr", "decrby", "append", "pfadd", "xadd",
    "setrange", "getset", "geoadd", "sunionstore", "sinterstore", "zunionstore", "zinterstore",
}
# Commands that write with an expiry of their own.
EXPIRING = {"setex", "psetex", "getex"}
EXPIRE_COMMANDS = {"expire", "pexpire", "expireat", "pexpireat", "persist"}
DELETE_COMMANDS = {"del", "unlink", "getdel"}
READ_COMMANDS = {
    "get", "mget", "hget", "hgetall", "hmget", "hkeys", "hvals", "exists", "ttl", "pttl", "type",
    "lrange", "lindex", "llen", "smembers", "sismember", "scard", "zrange", "zrangebyscore",
    "zrevrange", "zscore", "zcard", "zcount", "zrank", "strlen", "getrange", "scan", "sscan",
    "hscan", "zscan", "keys", "xrange", "xlen", "pfcount",
}
OTHER_WRITES = {"zrem", "zremrangebyscore", "zremrangebyrank", "srem", "hdel", "lpop", "rpop", "ltrim",
                "lrem", "hincrby", "zincrby", "spop", "publish", "rename", "flushdb", "flushall"}
ALL_COMMANDS = KEY_CREATING | EXPIRING | EXPIRE_COMMANDS | DELETE_COMMANDS | READ_COMMANDS | OTHER_WRITES


def command_name(method: str) -> str | None:
    """`hSet` (node-redis v4 camelCase) and `hset` (ioredis) -> "hset"."""
    lowered = method.lower()
    return lowered if lowered in ALL_COMMANDS else None


def is_write_command(command: str) -> bool:
    c = command.lower()
    return c in KEY_CREATING or c in EXPIRING or c in EXPIRE_COMMANDS or c in DELETE_COMMANDS or c in OTHER_WRITES
