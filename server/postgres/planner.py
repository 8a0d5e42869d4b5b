"""A safe planner session: read-only, time-limited, nothing but EXPLAIN.

Everything runs in one `BEGIN READ ONLY` transaction with a
`statement_timeout` and a `lock_timeout`, rolled back at the end. Plans are
generic (`plan_cache_mode = force_generic_plan`): a statement is PREPAREd
with parameters and explained with `EXPLAIN (FORMAT JSON) EXECUTE`, so no
value is needed and nothing runs. Hypothetical indexes live in this backend's
memory only (HypoPG); a statement is prepared again after one is created,
since a plan cached before the index existed never sees it. The one write,
`CREATE EXTENSION hypopg`, happens only when asked (`--create-extension`),
in its own transaction before the read-only one.

`--analyze` runs SELECT shapes for real (`EXPLAIN (ANALYZE)`), with values
taken from one row of the table, still inside the read-only transaction
that is rolled back; HypoPG indexes cannot be executed, so only the plan
before is measured.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from .url import DatabaseUrl

STATEMENT_TIMEOUT_MS = 5000
CONNECT_TIMEOUT_S = 5
MISSING_DRIVER = ("perfaudit explain needs psycopg 3: install it with "
                  "`pip install 'psycopg[binary]'` (the `postgres` extra of perfaudit)")


class DatabaseError(Exception):
    """A database problem, said in one line without the password."""


@dataclass(frozen=True)
class Plan:
    node: str  # the node that reads the table ("Seq Scan", "Index Scan", ...)
    cost: float  # the plan's total cost
    index_names: frozenset = field(default_factory=frozenset)  # every index the plan reads
    actual_ms: float | None = None  # measured with --analyze

    def to_json(self) -> dict:
        out = {"node": self.node, "cost": round(self.cost, 2)}
        if self.actual_ms is not None:
            out["actual_ms"] = round(self.actual_ms, 3)
        return out


def _walk(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _walk(child)


def read_plan(explained, table: str | None = None) -> Plan:
    """A Plan from EXPLAIN (FORMAT JSON) output; `node` is the scan of `table`
    when the plan has one, else the top node."""
    top = explained[0]["Plan"] if isinstance(explained, list) else explained["Plan"]
    nodes = list(_walk(top))
    scan = next((n for n in nodes if table is not None and n.get("Relation Name") == table), None)
    if scan is None:
        scan = next((n for n in nodes if "Relation Name" in n or "Index Name" in n), top)
    return Plan(scan["Node Type"], float(top["Total Cost"]),
                frozenset(n["Index Name"] for n in nodes if "Index Name" in n))


def _import_psycopg():
    try:
        import psycopg
    except ImportError:
        raise DatabaseError(MISSING_DRIVER) from None
    return psycopg


def _connect_error(url: DatabaseUrl, exc: Exception) -> DatabaseError:
    text = url.scrub(str(exc)).strip()
    low = text.lower()
    where = url.shown
    if "password authentication failed" in low or "no password supplied" in low:
        return DatabaseError(f"the database at {where} refused the password")
    if "does not exist" in low and "database" in low:
        return DatabaseError(f"cannot connect to {where}: the database does not exist")
    if any(s in low for s in ("connection refused", "could not connect", "timeout expired",
                              "no such file or directory", "could not translate host name", "is the server running")):
        return DatabaseError(f"cannot connect to {where}: the server is down or unreachable")
    first = text.splitlines()[0] if text else type(exc).__name__
    return DatabaseError(f"cannot connect to {where}: {first}")


class Session:
    """One connection, one read-only transaction."""

    def __init__(self, conn, url: DatabaseUrl):
        self.conn = conn
        self.url = url
        self._n = 0

    def _execute(self, sql: str):
        psycopg = _import_psycopg()
        try:
            return self.conn.execute(sql)
        except psycopg.Error as exc:
            raise DatabaseError(self.url.scrub(str(exc)).strip().splitlines()[0]) from None

    def server_version(self) -> str:
        return self._execute("SHOW server_version").fetchone()[0]

    def hypopg_version(self) -> str | None:
        row = self._execute("SELECT extversion FROM pg_extension WHERE extname = 'hypopg'").fetchone()
        return row[0] if row else None

    def table_sizes(self, tables) -> dict:
        """{Table: (rows, bytes)} for the tables that exist; rows from the
        planner's own estimate (reltuples; -1, never analyzed, reads as 0)."""
        out = {}
        for t in tables:
            row = self.conn.execute(
                "SELECT c.reltuples, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'm')",
                (t.schema, t.name)).fetchone()
            if row is not None:
                out[t] = (max(int(row[0]), 0), int(row[1]))
        return out

    def plan(self, sql: str, params: int, table: str | None = None) -> Plan:
        """The generic plan of `sql` (with `params` parameters), prepared afresh."""
        self._n += 1
        name = f"perfaudit_{self._n}"
        self._execute(f"PREPARE {name} AS {sql}")
        try:
            args = f"({', '.join(['NULL'] * params)})" if params else ""
            explained = self._execute(f"EXPLAIN (FORMAT JSON) EXECUTE {name}{args}").fetchone()[0]
        finally:
            self._execute(f"DEALLOCATE {name}")
        return read_plan(explained, table)

    def sample_row(self, table, columns) -> dict | None:
        """One row's values for `columns` (none of them null), or None."""
        from psycopg import sql

        columns = list(dict.fromkeys(columns))
        if not columns:
            return {}
        query = sql.SQL("SELECT {} FROM {}.{} WHERE {} LIMIT 1").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            sql.Identifier(table.schema), sql.Identifier(table.name),
            sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(sql.Identifier(c)) for c in columns))
        row = self.conn.execute(query).fetchone()
        return dict(zip(columns, row)) if row is not None else None

    def measure(self, sql_text: str, values: list) -> float:
        """Milliseconds one run of a SELECT shape takes (EXPLAIN ANALYZE)."""
        from psycopg import sql

        if not sql_text.lstrip().upper().startswith("SELECT"):
            raise DatabaseError("only SELECT shapes are run (--analyze)")
        self._n += 1
        name = f"perfaudit_{self._n}"
        self._execute(f"PREPARE {name} AS {sql_text}")
        try:
            args = sql.SQL("({})").format(sql.SQL(", ").join(sql.Literal(v) for v in values)) if values else sql.SQL("")
            explained = self.conn.execute(
                sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE {}{}").format(sql.Identifier(name), args)).fetchone()[0]
        finally:
            self._execute(f"DEALLOCATE {name}")
        doc = explained[0] if isinstance(explained, list) else explained
        return float(doc.get("Execution Time", doc["Plan"].get("Actual Total Time", 0.0)))

    @contextmanager
    def hypothetical(self, create_index: str):
        """A HypoPG index for the duration of the block; yields its name."""
        row = self.conn.execute("SELECT indexrelid, indexname FROM hypopg_create_index(%s)", (create_index,)).fetchone()
        try:
            yield row[1]
        finally:
            self.conn.execute("SELECT hypopg_drop_index(%s)", (row[0],))


@contextmanager
def open_session(url: DatabaseUrl, create_extension: bool = False, timeout_ms: int = STATEMENT_TIMEOUT_MS):
    psycopg = _import_psycopg()
    try:
        conn = psycopg.connect(url.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name="perfaudit explain", prepare_threshold=None)
    except psycopg.Error as exc:
        raise _connect_error(url, exc) from None
    try:
        if create_extension:
            try:
                conn.execute(f"SET statement_timeout = {int(timeout_ms)}")
                conn.execute("CREATE EXTENSION IF NOT EXISTS hypopg")
            except psycopg.Error as exc:
                first = url.scrub(str(exc)).strip().splitlines()[0]
                raise DatabaseError(f"cannot create the hypopg extension: {first}") from None
        conn.execute("BEGIN READ ONLY")
        conn.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        conn.execute(f"SET LOCAL lock_timeout = {int(timeout_ms)}")
        conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        yield Session(conn, url)
    except psycopg.Error as exc:
        raise DatabaseError(url.scrub(str(exc)).strip().splitlines()[0]) from None
    finally:
        try:
            conn.execute("ROLLBACK")
        except Exception:
            pass
        conn.close()
