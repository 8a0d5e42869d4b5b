"""Prisma query sites of a file, with their resolved argument objects."""

from __future__ import annotations

from dataclasses import dataclass

from perfaudit.server.analysis.parsing import node_at_span
from perfaudit.server.analysis.syntax import call_function
from perfaudit.server.prisma.queries import prisma_query
from perfaudit.server.analysis.objects import ResolvedObject, first_argument_object
from perfaudit.server.prisma.ties import schema_for_call


@dataclass
class QuerySite:
    node: object  # the call_expression
    callee: tuple[str, ...]
    model_name: str  # "" for raw queries
    op: str
    model: object  # schema Model, or None without a schema
    schema: object
    args: ResolvedObject | None  # None: the argument object cannot be seen

    @property
    def start(self) -> int:
        return self.node.start_byte


def find_node(tree, start: int, end: int, kind: str = "call_expression"):
    return node_at_span(tree, start, end, kind)


def query_sites(ctx, ops: set[str] | None = None) -> list[QuerySite]:
    """Every `X.<delegate>.<operation>(...)` call in the context's file,
    each read against the schema of the client it runs on."""
    index = ctx.workspace.index
    path = ctx.file.path
    candidates = []
    for fn, call in ctx.file.facts.calls_in_scope:
        if call.is_new or not call.callee or ops is not None and call.callee[-1] not in ops:
            continue
        schema = schema_for_call(index, path, fn, call.callee)
        query = prisma_query(call.callee, schema)
        if query is None:
            continue
        candidates.append((call, query, schema))
    if not candidates:
        return []
    tree = ctx.file.ensure_tree()
    out = []
    for call, (model_name, op), schema in sorted(candidates, key=lambda c: c[0].start):
        node = find_node(tree, call.start, call.end)
        if node is None:
            continue
        model = schema.models.get(model_name) if schema is not None and model_name else None
        out.append(QuerySite(node, call.callee, model_name, op, model, schema, first_argument_object(node)))
    return out


def callee_end(site: QuerySite) -> int:
    """End of `prisma.user.findMany` (the range a finding underlines)."""
    fn = call_function(site.node)
    return fn.end_byte if fn is not None else site.node.end_byte


def query_site_at(ws, path: str, start: int, end: int) -> QuerySite | None:
    """The query call at (start, end) of `path` (a route's query effect), read
    against the schema of the client it runs on."""
    source = ws.files.get(path)
    if source is None:
        return None
    for fn, call in source.facts.calls_in_scope:
        if call.start != start or call.end != end or call.is_new or not call.callee:
            continue
        schema = schema_for_call(ws.index, path, fn, call.callee)
        query = prisma_query(call.callee, schema)
        node = find_node(source.ensure_tree(), call.start, call.end) if query is not None else None
        if node is None:
            return None
        model_name, op = query
        model = schema.models.get(model_name) if schema is not None and model_name else None
        return QuerySite(node, call.callee, model_name, op, model, schema, first_argument_object(node))
    return None
