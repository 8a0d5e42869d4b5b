"""What a single call does by itself: a Prisma query, blocking I/O, HTTP...

The index combines these direct effects with name resolution to say what a
function *reaches*. Feature modules (Redis) register more classifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PRISMA_READS = {"findMany", "findFirst", "findFirstOrThrow", "findUnique", "findUniqueOrThrow"}
PRISMA_OPERATIONS = PRISMA_READS | {
    "create",
    "createMany",
    "createManyAndReturn",
    "update",
    "updateMany",
    "updateManyAndReturn",
    "upsert",
    "delete",
    "deleteMany",
    "count",
    "aggregate",
    "groupBy",
}
PRISMA_WRITES = PRISMA_OPERATIONS - PRISMA_READS - {"count", "aggregate", "groupBy"}
PRISMA_RAW = {"$queryRaw", "$executeRaw", "$queryRawUnsafe", "$executeRawUnsafe"}
# Without a schema, a receiver must look like a Prisma client.
_CLIENT_LIKE = re.compile(r"^(prisma\w*|db|tx|client|prismaClient|prismaService|database|orm)$", re.I)


@dataclass(frozen=True, slots=True)
class Effect:
    kind: str  # "query", "redis", "http", "blocking", "cache"
    op: str  # Prisma operation, Redis command, blocking function...
    target: str  # model name for queries, client for Redis, "" otherwise
    path: str  # where the effect happens (file)
    start: int
    end: int
    via: tuple[str, ...] = ()  # functions traversed from the caller, outermost first

    def through(self, name: str) -> "Effect":
        return Effect(self.kind, self.op, self.target, self.path, self.start, self.end, (name,) + self.via)

    @property
    def is_write(self) -> bool:
        if self.kind == "query":
            return self.op in PRISMA_WRITES or self.op in ("$executeRaw", "$executeRawUnsafe")
        if self.kind == "redis":
            from .redis_commands import is_write_command

            return is_write_command(self.op)
        return False


def prisma_query(callee: tuple[str, ...], schema) -> tuple[str, str] | None:
    """(model name, operation) when `callee` is `X.<delegate>.<operation>`,
    ("", raw op) for `$queryRaw` and friends; None otherwise."""
    if len(callee) < 2:
        return None
    op = callee[-1]
    if op in PRISMA_RAW:
        receiver = callee[-2]
        if schema is not None or _CLIENT_LIKE.match(receiver) or receiver == "this":
            return ("", op)
        return None
    if op not in PRISMA_OPERATIONS or len(callee) < 3 and callee[0] == "this":
        return None
    delegate = callee[-2]
    if schema is not None:
        model = schema.model_for_delegate(delegate)
        if model is None or model.kind != "model":
            return None
        return (model.name, op)
    # No schema: accept `prisma.user.findMany`-shaped calls on client-like receivers.
    receiver = callee[-3] if len(callee) >= 3 else ""
    if _CLIENT_LIKE.match(receiver) and delegate[:1].islower():
        return (delegate[:1].upper() + delegate[1:], op)
    return None


BLOCKING_MODULES = {"fs", "crypto", "zlib", "child_process"}
BLOCKING_BCRYPT = {"hashSync", "compareSync", "genSaltSync"}


def blocking_call(callee: tuple[str, ...], imported_from) -> str | None:
    """The name of a synchronous blocking call (`fs.readFileSync`), or None.

    `imported_from(local)` returns the module a local name was imported from.
    """
    if not callee:
        return None
    last = callee[-1]
    if len(callee) == 1:
        module = _module_name(imported_from(last))
        if last.endswith("Sync") and module in BLOCKING_MODULES:
            return f"{module}.{last}"
        if last in BLOCKING_BCRYPT and module in ("bcrypt", "bcryptjs"):
            return f"bcrypt.{last}"
        return None
    root = callee[0]
    module = _module_name(imported_from(root)) or root
    if last.endswith("Sync") and (module in BLOCKING_MODULES or root in BLOCKING_MODULES):
        return f"{module}.{last}"
    if last in BLOCKING_BCRYPT and (module in ("bcrypt", "bcryptjs") or root in ("bcrypt", "bcryptjs")):
        return f"bcrypt.{last}"
    return None


def _module_name(spec: str | None) -> str | None:
    if not spec:
        return None
    spec = spec.removeprefix("node:")
    return spec.split("/")[0]


HTTP_MODULES = {"axios", "got", "node-fetch", "undici", "superagent", "ky"}


def http_call(callee: tuple[str, ...], imported_from) -> str | None:
    if not callee:
        return None
    if callee == ("fetch",):
        return "fetch"
    module = _module_name(imported_from(callee[0]))
    if module in HTTP_MODULES:
        return ".".join(callee)
    if callee[0] in ("axios", "got") and len(callee) <= 2:
        return ".".join(callee)
    if module in ("http", "https") and callee[-1] in ("get", "request"):
        return ".".join(callee)
    return None
