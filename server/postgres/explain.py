"""`perfaudit explain` without the command line: suggestions in, a results document out.

The document (version 1) is what `--format json` prints and what
`.perfaudit/explain.json` holds; it never contains the database URL.
"""

from __future__ import annotations

import dataclasses

from .planner import DatabaseError, open_session
from .sql_shapes import model_tables, postgres_schemas, suggestions
from .verdicts import INSTALL_HYPOPG, SMALL_TABLE_ROWS, site_confirms, verdict

RESULTS_VERSION = 1


ANALYZE_TAKE = 20  # the page a `take` of unknown size is measured with


def explain(ws, url, create_extension: bool = False, small_rows: int = SMALL_TABLE_ROWS,
            analyze: bool = False) -> dict:
    """Plan every suggested index's query sites (and with `analyze`, run
    them once before the index); raises DatabaseError."""
    found = postgres_schemas(ws)
    if len(found) > 1:
        # One URL is one database: which schema it holds is not ours to guess.
        names = ", ".join(ws.relpath(sc.root) or "." for sc in found)
        raise DatabaseError(f"the workspace has {len(found)} PostgreSQL schemas ({names}): "
                            "run perfaudit explain on the folder of the one this database holds")
    suggested = suggestions(ws, url.schema)
    tables = model_tables(ws, url.schema)
    with open_session(url, create_extension=create_extension) as session:
        server_version = session.server_version()
        hypopg = session.hypopg_version()
        sizes = session.table_sizes(dict.fromkeys(t for _, t in tables))
        for model, table in tables:
            if table not in sizes:
                raise DatabaseError(f"the database has no table {table.sql} (model {model}): "
                                    f"apply the migrations to it first")
        indexes = [_plan_suggestion(session, s, sizes[s.table][0], hypopg is not None, small_rows, analyze)
                   for s in suggested]
    return {
        "version": RESULTS_VERSION,
        "database": {"server_version": server_version, "hypopg": hypopg, "schema": url.schema},
        "indexes": indexes,
        "tables": [{"model": m, "table": t.name, "schema": t.schema, "rows": sizes[t][0], "bytes": sizes[t][1]}
                   for m, t in tables],
        "notes": [] if hypopg else [INSTALL_HYPOPG],
    }


def _values(session, table, shape) -> list | None:
    """Parameter values for one measured run: a real row's, a page of 20."""
    row = session.sample_row(table, [c for role, c in shape.roles if c])
    if row is None:
        return None  # an empty table (or no row without nulls): nothing to measure
    out = []
    for role, column in shape.roles:
        if role == "limit":
            out.append(ANALYZE_TAKE)
        elif role == "offset":
            out.append(0)
        elif role == "in":
            out.append([row[column]])
        else:
            out.append(row[column])
    return out


def _plan_suggestion(session, s, rows: int, has_hypopg: bool, small_rows: int, analyze: bool = False) -> dict:
    sites = []
    for shape in s.shapes:
        try:
            before = session.plan(shape.sql, shape.params, s.table.name)
            if analyze:
                values = _values(session, s.table, shape)
                if values is not None:
                    before = dataclasses.replace(before, actual_ms=session.measure(shape.sql, values))
        except DatabaseError as exc:
            raise DatabaseError(f"planning {s.model}.{shape.op} in {shape.path}:{shape.line} failed: {exc}") from None
        after = uses = None
        if has_hypopg:
            with session.hypothetical(s.create_index) as name:
                after = session.plan(shape.sql, shape.params, s.table.name)
            uses = name in after.index_names
        sites.append((shape, before, after, uses, bool(uses) and site_confirms(before, after, name)))
    confirmed = sum(1 for *_, ok in sites if ok)
    # The costliest site speaks for the index: the one it matters most to.
    shape, before, after, uses, _ = max(sites, key=lambda x: x[1].cost)
    return {
        "model": s.model,
        "fields": list(s.fields),
        "table": s.table.name,
        "columns": list(s.columns),
        "table_rows": rows,
        "query_sites": [_site_json(*x) for x in sites],
        "before": before.to_json(),
        "after": dict(after.to_json(), uses_index=uses) if after is not None else None,
        "verdict": verdict(rows, small_rows, has_hypopg, confirmed),
    }


def _site_json(shape, before, after, uses, confirmed) -> dict:
    return {
        "path": shape.path, "line": shape.line, "op": shape.op, "sql": shape.sql,
        "before": before.to_json(),
        "after": dict(after.to_json(), uses_index=uses) if after is not None else None,
    }
