"""Which calls are Prisma queries: `prisma.user.findMany(...)`, raw SQL,
and delegates held in class members. Registered with the index as a call
classifier, so every summary and rule sees queries as effects."""

from __future__ import annotations

import re

from perfaudit.server.analysis.effects import Effect
from perfaudit.server.analysis.facts import CallFact, FunctionFact

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
RAW_WRITES = {"$executeRaw", "$executeRawUnsafe"}
# Without a schema, a receiver must look like a Prisma client.
_CLIENT_LIKE = re.compile(r"^(prisma\w*|db|tx|client|prismaClient|prismaService|database|orm)$", re.I)


def is_write(op: str) -> bool:
    return op in PRISMA_WRITES or op in RAW_WRITES


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


def classify_query(index, path: str, fn: FunctionFact | None, call: CallFact):
    """The index's call classifier for Prisma: a query effect, or nothing."""
    if not call.callee or call.is_new:
        return ()
    query, _ = query_and_schema(index, path, fn, call.callee)
    if query is None:
        return ()
    return (Effect("query", query[1], query[0], path, call.start, call.end, (), is_write(query[1])),)


def query_and_schema(index, path: str, fn: FunctionFact | None, callee: tuple[str, ...]):
    """((model, operation) or None, the schema it was read against) of a call."""
    from perfaudit.server.prisma.ties import schema_for_call

    schema = schema_for_call(index, path, fn, callee)
    query = prisma_query(callee, schema)
    if query is None:
        return _held_delegate_query(index, path, fn, callee)
    return query, schema


def _held_delegate_query(index, path: str, fn: FunctionFact | None, callee: tuple[str, ...]):
    """`this.model.findMany()` where the class holds a delegate:
    `private model = prisma.user`, `this.model = this.prisma.user`, or a
    member typed `Prisma.UserDelegate`. ((model, operation) or None, schema)."""
    from perfaudit.server.prisma.ties import schema_for_receiver

    if len(callee) != 3 or callee[0] != "this" or callee[2] not in PRISMA_OPERATIONS or fn is None or not fn.class_name:
        return None, None
    cls = index.klass(path, fn.class_name)
    ref = cls.member(callee[1]) if cls is not None else None
    if ref is None:
        return None, None
    if ref.kind == "name":
        parts = tuple(ref.name.split("."))
        if len(parts) < 2:
            return None, None
        schema = schema_for_receiver(index, path, fn, parts[:-1], parts[-1])
        query = prisma_query(parts + (callee[2],), schema) if schema is not None else None
        return query, schema
    if ref.kind == "type" and ref.name.endswith("Delegate"):
        model_name = ref.name[: -len("Delegate")]
        delegate = model_name[:1].lower() + model_name[1:]
        schema = schema_for_receiver(index, path, fn, ("Prisma",), delegate)  # `Prisma.UserDelegate`
        model = schema.models.get(model_name) if schema is not None else None
        return ((model.name, callee[2]) if model is not None and model.kind == "model" else None), schema
    return None, None
