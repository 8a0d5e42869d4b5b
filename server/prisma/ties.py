"""Which schema a Prisma query runs against, in a workspace with several.

With one schema every query is tied to it; with none, to nothing. With
several, in this order:

1. the client the query runs on (`clients.client_origin`), then the schema
   that generates that client: a generator `output` folder the import
   points into, a workspace package (by package.json name) that owns a
   schema, or, for `@prisma/client`, the schema with the default output
   of the nearest package at or above the file that creates the client;
2. the schema of the query's own package, when it has the model;
3. the only schema that has the model (`prisma.user` where one schema has
   `model User`).

When two schemas fit, the query is tied to none: rules that read the schema
stay silent rather than guess (the call is still a query).
"""

from __future__ import annotations

import os
import posixpath

from perfaudit.server.analysis.workspace import Workspace, norm
from perfaudit.server.prisma.clients import Origin, client_class_origin, client_origin
from perfaudit.server.prisma.queries import PRISMA_OPERATIONS, PRISMA_RAW, query_and_schema
from perfaudit.server.prisma.schema import Schema
from perfaudit.server.prisma.schemas import schemas

_CLIENT_PROVIDERS = ("prisma-client-js", "prisma-client")
_DEFAULT_OUTPUTS = ("node_modules/.prisma/client", "node_modules/@prisma/client")


def split_query(callee: tuple[str, ...]) -> tuple[tuple[str, ...], str | None] | None:
    """(receiver, delegate) of `recv.delegate.op` / (receiver, None) of
    `recv.$queryRaw`; None when the callee is not shaped like a query."""
    if len(callee) < 2:
        return None
    if callee[-1] in PRISMA_RAW:
        return callee[:-1], None
    if callee[-1] in PRISMA_OPERATIONS and len(callee) >= 3:
        return callee[:-2], callee[-2]
    return None


def schema_for_call(index, path: str, fn, callee: tuple[str, ...]) -> Schema | None:
    """The schema the query `callee` (at `fn` in `path`) runs against."""
    found = schemas(index.ws)
    if len(found) <= 1:
        return found[0] if found else None
    shape = split_query(callee)
    if shape is None:
        return None
    return schema_for_receiver(index, path, fn, *shape)


def schema_for_receiver(index, path: str, fn, receiver: tuple[str, ...], delegate: str | None) -> Schema | None:
    ws = index.ws
    found = schemas(ws)
    if len(found) <= 1:
        return found[0] if found else None
    memo = _file_memo(ws, path)
    key = (fn.id if fn is not None else None, receiver, delegate)
    if key in memo.ties:
        for p in memo.read:
            index.facts(p)  # the caller's check depends on these files, as it did the first time
        return memo.ties[key]
    schema = None
    origin, read = client_origin(index, path, fn, receiver) if receiver else (None, set())
    memo.read |= read
    if origin is not None:
        schema = schema_of_origin(ws, origin)
    if schema is None:
        own = package_schema(ws, path)
        if own is not None and (delegate is None or _has_model(own, delegate)):
            schema = own
    if schema is None and delegate is not None:
        having = [s for s in found if _has_model(s, delegate)]
        schema = having[0] if len(having) == 1 else None
    memo.ties[key] = schema
    return schema


def schema_of_effect(ws: Workspace, effect) -> Schema | None:
    """The schema a query effect (from the index) runs against."""
    source = ws.files.get(effect.path)
    if source is None or effect.kind != "query":
        return None
    fn, call = source.facts.call_at(effect.start, effect.end)
    if call is None or not call.callee:
        return None
    query, schema = query_and_schema(ws.index, effect.path, fn, call.callee)
    return schema if query is not None else None


def schema_of_new_client(index, path: str, fn, callee: tuple[str, ...]) -> Schema | None:
    """The schema whose client `new <callee>()` creates (the only schema
    when there is one; None when it cannot be told)."""
    found = schemas(index.ws)
    if len(found) <= 1:
        return found[0] if found else None
    origin = client_class_origin(index, path, fn, callee)
    return schema_of_origin(index.ws, origin) if origin is not None else None


def effect_schema_label(ws: Workspace, effect) -> str:
    """The schema of a query effect by name, when the workspace has several."""
    if len(schemas(ws)) <= 1:
        return ""
    schema = schema_of_effect(ws, effect)
    return schema_label(ws, schema) if schema is not None else ""


def _has_model(schema: Schema, delegate: str) -> bool:
    model = schema.model_for_delegate(delegate)
    return model is not None and model.kind == "model"


def tied_calls(ws: Workspace, path: str, schema: Schema) -> frozenset | None:
    """(start, end) of the query-shaped calls of a file that run against
    `schema`; None (every call) when the workspace has one schema."""
    if len(schemas(ws)) <= 1:
        return None
    memo = _file_memo(ws, path)
    held = memo.tied.get(id(schema))
    if held is not None and held[0] is schema:
        for p in memo.read:
            ws.index.facts(p)
        return held[1]
    index = ws.index
    tied = frozenset(
        (call.start, call.end)
        for fn, call in memo.facts.calls_in_scope
        if not call.is_new and split_query(call.callee) is not None
        and schema_for_call(index, path, fn, call.callee) is schema
    ) if memo.facts is not None else frozenset()
    memo.tied[id(schema)] = (schema, tied)
    return tied


class _Memo:
    __slots__ = ("generation", "facts", "ties", "read", "tied")

    def __init__(self, generation, facts):
        self.generation, self.facts = generation, facts
        self.ties: dict = {}
        self.read: set[str] = set()
        self.tied: dict = {}  # id(schema) -> (schema, calls tied to it)


def _file_memo(ws: Workspace, path: str) -> _Memo:
    """Ties of one file, kept while no file's structure and not this file's
    facts change (locals are facts, not structure)."""
    table = ws.derive("prisma.ties", lambda _ws: {})
    source = ws.files.get(path)
    facts = source.facts if source is not None else None
    memo = table.get(path)
    if memo is None or memo.generation != ws.structure_generation or not (memo.facts is facts or memo.facts == facts):
        memo = table[path] = _Memo(ws.structure_generation, facts)
    return memo


# ---------------------------------------------------------------- client -> schema


def schema_of_origin(ws: Workspace, origin: Origin) -> Schema | None:
    """The schema whose generator writes the client `origin` names, or None."""
    outputs = client_outputs(ws)
    if not origin.spec:
        return _in_output(outputs, origin.path)
    spec = origin.spec
    if spec.startswith("."):
        return _in_output(outputs, posixpath.normpath(posixpath.join(posixpath.dirname(origin.path), spec)))
    for out, schema in outputs:  # `output = "../node_modules/@acme/analytics-client"`
        at = out.rfind("/node_modules/")
        name = out[at + len("/node_modules/"):] if at >= 0 else None
        if name and not name.startswith((".prisma/client", "@prisma/client")) and (spec == name or spec.startswith(name + "/")):
            return schema
    if spec in ("@prisma/client", ".prisma/client") or spec.startswith(("@prisma/client/", ".prisma/client/")):
        return _default_client_schema(ws, origin.path)
    return _workspace_package_schema(ws, _package_name(spec))


def client_outputs(ws: Workspace) -> list[tuple[str, Schema]]:
    """(folder a client generator writes to, its schema), for generators
    with an `output`."""
    def build(_ws):
        out = []
        for schema in schemas(ws):
            for gen in schema.generators:
                if gen.output and (gen.provider is None or gen.provider in _CLIENT_PROVIDERS):
                    folder = norm(os.path.join(os.path.dirname(gen.path), gen.output))
                    out.append((folder.rstrip("/"), schema))
        return out

    return ws.derive("prisma.client_outputs", build)


def _in_output(outputs, target: str) -> Schema | None:
    fits = {id(s): s for out, s in outputs if target == out or target.startswith(out + "/")}
    return next(iter(fits.values())) if len(fits) == 1 else None


def _has_default_client(schema: Schema) -> bool:
    gens = [g for g in schema.generators if g.provider is None or g.provider in _CLIENT_PROVIDERS]
    if not gens:
        return True  # a schema without a generator block (fragments, tests): the default client
    return any(not g.output or norm(os.path.join(os.path.dirname(g.path), g.output)).endswith(_DEFAULT_OUTPUTS) for g in gens)


def _default_client_schema(ws: Workspace, path: str) -> Schema | None:
    """`@prisma/client` resolves like node does: from the importing file's
    package up; the first package on the way that owns a schema with the
    default output generates it."""
    by_root = _schemas_by_root(ws)
    d = package_dir(ws, path)
    while True:
        fits = [s for s in by_root.get(d, ()) if _has_default_client(s)]
        if fits:
            return fits[0] if len(fits) == 1 else None
        if d == ws.root or not d.startswith(ws.root):
            return None
        d = package_dir(ws, d)  # the package above


def _package_name(spec: str) -> str:
    parts = spec.split("/")
    return "/".join(parts[:2]) if spec.startswith("@") else parts[0]


def _workspace_package_schema(ws: Workspace, name: str) -> Schema | None:
    """The schema of the workspace package called `name` (`@acme/database`)."""
    by_root = _schemas_by_root(ws)
    fits = []
    for pj, data in ws.package_jsons.items():
        if isinstance(data, dict) and data.get("name") == name:
            fits.extend(by_root.get(posixpath.dirname(pj), ()))
    return fits[0] if len(fits) == 1 else None


# ---------------------------------------------------------------- packages


def _schemas_by_root(ws: Workspace) -> dict[str, list[Schema]]:
    def build(_ws):
        out: dict[str, list[Schema]] = {}
        for s in schemas(ws):
            out.setdefault(norm(s.root), []).append(s)
        return out

    return ws.derive("prisma.schemas_by_root", build)


def package_dir(ws: Workspace, path: str) -> str:
    """The nearest folder at or above `path` with a package.json the
    workspace read; the root when there is none."""
    d = posixpath.dirname(norm(path))
    while d.startswith(ws.root) and d != ws.root:
        if f"{d}/package.json" in ws.package_jsons:
            return d
        d = posixpath.dirname(d)
    return ws.root


def package_schema(ws: Workspace, path: str) -> Schema | None:
    """The schema of the package `path` is in, when the package has one."""
    fits = _schemas_by_root(ws).get(package_dir(ws, path), ())
    return fits[0] if len(fits) == 1 else None


def schema_label(ws: Workspace, schema: Schema) -> str:
    """How reports name a schema: its package's name, else its folder."""
    root = norm(schema.root)
    data = ws.package_jsons.get(f"{root}/package.json")
    name = data.get("name") if isinstance(data, dict) else None
    if isinstance(name, str) and name:
        return name
    return ws.relpath(schema.paths[0]) if schema.paths else ws.relpath(root)
