"""The SQL Prisma sends for the index advisor's query sites, values as parameters.

One shape per (suggested index, query site): the model's table and columns
through `@@map`/`@map` (and `@@schema`), equality as `= $n`, `null` as
`IS NULL`, `in` as `= ANY($n)`, ranges with their operators, the seen
`orderBy`, and `LIMIT $n OFFSET $m` when the read stops early (`take`,
`cursor`, findFirst). Counts and aggregates read as `SELECT COUNT(*)`;
`updateMany`/`deleteMany` as the SELECT of the rows they touch (the part an
index serves; a write is never prepared). A suggestion on a related model
(a relation filter) reads that model's rows the filter looks up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import perfaudit.server.prisma as prisma_wing

COUNT_OPS = {"count", "aggregate", "groupBy"}
ONE_ROW_OPS = {"findFirst", "findFirstOrThrow"}
RANGE_SQL = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Table:
    schema: str
    name: str

    @property
    def sql(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


@dataclass(frozen=True)
class Shape:
    path: str
    line: int  # 1-based
    op: str
    sql: str
    params: int
    # What each parameter stands for: ("eq" | "in" | "range", column) or
    # ("limit", "") / ("offset", ""); `--analyze` fills them from a real row.
    roles: tuple[tuple[str, str], ...] = ()


@dataclass
class Suggestion:
    """One index the advisor suggests, with the SQL of every site that needs it."""

    model: str
    fields: tuple[str, ...]
    table: Table
    columns: tuple[str, ...]  # database column names, in index order
    shapes: list[Shape] = field(default_factory=list)

    @property
    def create_index(self) -> str:
        cols = ", ".join(quote_ident(c) for c in self.columns)
        return f"CREATE INDEX ON {self.table.sql} ({cols})"


def table_of(model, default_schema: str) -> Table:
    at = model.block_attribute("schema")
    schema = (at.string_arg(None) if at is not None else None) or default_schema
    return Table(schema, model.db_name or model.name)


def column_of(model, name: str) -> str:
    f = model.field(name)
    return f.db_name if f is not None else name


class _Params:
    def __init__(self):
        self.roles: list[tuple[str, str]] = []

    @property
    def n(self) -> int:
        return len(self.roles)

    def next(self, role: str, column: str = "") -> str:
        self.roles.append((role, column))
        return f"${len(self.roles)}"


def _condition(column: str, op: str, params: _Params) -> str:
    col = quote_ident(column)
    if op == "null":
        return f"{col} IS NULL"
    if op == "in":
        return f"{col} = ANY({params.next('in', column)})"
    if op.startswith("range:"):
        return " AND ".join(f"{col} {RANGE_SQL[k]} {params.next('range', column)}"
                            for k in op[6:].split(",") if k in RANGE_SQL)
    return f"{col} = {params.next('eq', column)}"


def shape_sql(schema, model, requirement, site, default_schema: str) -> tuple[str, tuple]:
    """(sql, the role of each parameter) for one site's requirement on `model`."""
    table = table_of(model, default_schema)
    params = _Params()
    ops = dict(requirement.ops)
    conds = []
    for name in requirement.columns:
        if name in requirement.eq:
            conds.append(_condition(column_of(model, name), ops.get(name, "eq"), params))
        elif requirement.slot_is_range and name == requirement.slot:
            conds.append(_condition(column_of(model, name), ops.get(name, "range:gte"), params))
    where = f" WHERE {' AND '.join(conds)}" if conds else ""
    own = requirement.model == site.model
    if own and site.op in COUNT_OPS:
        return f"SELECT COUNT(*) FROM {table.sql}{where}", tuple(params.roles)
    scalars = [f for f in model.fields if not schema.is_model(f.type)]
    if own and site.op in ("updateMany", "updateManyAndReturn", "deleteMany") or not own:
        keys = model.id_fields or tuple(f.name for f in scalars[:1])
        scalars = [model.field(k) for k in keys if model.field(k) is not None]
    select = ", ".join(quote_ident(f.db_name) for f in scalars) or "1"
    sql = f"SELECT {select} FROM {table.sql}{where}"
    if own and site.sort and site.op in ("findMany", *ONE_ROW_OPS):
        order = ", ".join(f"{quote_ident(column_of(model, n))} {d.upper()}" for n, d in site.sort)
        sql += f" ORDER BY {order}"
    if own and (site.limited or site.op in ONE_ROW_OPS):
        sql += f" LIMIT {params.next('limit')} OFFSET {params.next('offset')}"
    return sql, tuple(params.roles)


POSTGRES_PROVIDERS = {"postgresql", "postgres", "cockroachdb"}


def postgres_schemas(ws) -> list:
    """The workspace's Prisma schemas on PostgreSQL (a schema with no
    datasource, a fragment of a multi-file schema, counts)."""
    out = []
    for schema in prisma_wing.schemas(ws):
        ds = schema.datasource
        provider = (ds.provider or "").strip().strip('"') if ds is not None else ""
        if not provider or provider in POSTGRES_PROVIDERS:
            out.append(schema)
    return out


def suggestions(ws, default_schema: str = "public") -> list[Suggestion]:
    """Every index P105 would suggest in the workspace, with its query shapes."""
    options = prisma_wing.p105_options(ws) or {}
    min_sites = options.get("min-sites", 1)
    out: list[Suggestion] = []
    advisor = prisma_wing.advisor_for(ws)
    for schema in postgres_schemas(ws):
        usage = advisor.usage(schema)
        for name, model_usage in usage.models.items():
            model = model_usage.model
            # Unserved needs, and served filters whose sort no index continues.
            for need in model_usage.unindexed(min_sites) + model_usage.unsorted(min_sites):
                s = Suggestion(name, tuple(need.columns), table_of(model, default_schema),
                               tuple(column_of(model, c) for c in need.columns))
                seen = set()
                for site, _key in need.sites:
                    req = next((r for r in site.requirements
                                if r.model == name and r.columns == need.columns and set(r.eq) == set(need.eq)), None)
                    if req is None or (site.path, site.start) in seen:
                        continue
                    seen.add((site.path, site.start))
                    sql, roles = shape_sql(schema, model, req, site, default_schema)
                    line = ws.line_index(site.path).line_of(site.start) + 1
                    s.shapes.append(Shape(ws.relpath(site.path), line, site.op, sql, len(roles), roles))
                if s.shapes:
                    out.append(s)
    return out


def model_tables(ws, default_schema: str = "public") -> list[tuple[str, Table]]:
    """(model name, table) for every model of every schema in the workspace."""
    out = []
    for schema in postgres_schemas(ws):
        for name, model in schema.models.items():
            if model.kind == "model" and model.block_attribute("ignore") is None:
                out.append((name, table_of(model, default_schema)))
    return out
