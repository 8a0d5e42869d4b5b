"""Shared pieces of the per-item query rules (P104, A404): what a call in a
loop reaches, how to say it, and the batched API to use instead."""

from __future__ import annotations

from perfaudit.server.analysis.syntax import call_function
from perfaudit.server.analysis.effects import Effect
from perfaudit.server.findings import Related
from perfaudit.server.analysis.parsing import node_text

BATCHED = {
    "create": "`createMany({ data: [...] })`",
    "createManyAndReturn": "one `createManyAndReturn` with every row",
    "delete": "`deleteMany({ where: { id: { in: ids } } })`",
    "deleteMany": "one `deleteMany` with `in`",
    "update": "`updateMany` when every row gets the same change, else one `$transaction([...])`",
    "updateMany": "one `updateMany` with `in`",
    "upsert": "`createMany({ skipDuplicates: true })` plus one `updateMany`, or one `$transaction([...])`",
    "findUnique": "one `findMany({ where: { id: { in: ids } } })` before the loop and a `Map` lookup",
    "findUniqueOrThrow": "one `findMany` with `in` before the loop and a `Map` lookup",
    "findFirst": "one `findMany` with `in` before the loop and a lookup",
    "findFirstOrThrow": "one `findMany` with `in` before the loop and a lookup",
    "findMany": "one `findMany` with `in` over all items, grouped in memory",
    "count": "one `groupBy({ by: [...], _count: true })`",
    "aggregate": "one `groupBy` with the aggregate",
    "groupBy": "one `groupBy` over all items",
}


def queries(effects) -> list[Effect]:
    return [e for e in effects if e.kind == "query"]


def describe(effect: Effect) -> str:
    target = f"{effect.target}.{effect.op}" if effect.target else effect.op
    if effect.via:
        return f"{target} via {' -> '.join(effect.via)}"
    return target


def callee_text(call) -> str:
    fn = call_function(call)
    text = node_text(fn) if fn is not None else node_text(call)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def batched_api(effects: list[Effect]) -> str:
    ops = list(dict.fromkeys(e.op for e in effects))
    return "; ".join(BATCHED.get(op, "one batched query") for op in ops[:2])


def related_sites(effects: list[Effect], current_path: str, call) -> list[Related]:
    out = []
    for e in effects[:5]:
        if e.path == current_path and call.start_byte <= e.start < call.end_byte:
            continue  # the query is the reported call itself
        out.append(Related(e.path, e.start, e.end, f"the query: {describe(e)}"))
    return out
