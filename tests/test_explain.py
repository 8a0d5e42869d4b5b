"""`perfaudit explain` without a database: URLs, SQL shapes, verdicts, saved results."""

from __future__ import annotations

import json
import sys

import pytest

from perfaudit.server.cli.main import main
from perfaudit.server.config import ConfigError, config_from_dict
from perfaudit.server.postgres import results as saved
from perfaudit.server.postgres.planner import MISSING_DRIVER, read_plan
from perfaudit.server.postgres.sql_shapes import suggestions
from perfaudit.server.postgres.url import UrlError, find_url, parse
from perfaudit.server.postgres.verdicts import human_rows, verdict
from helpers import make_workspace

SCHEMA = """\
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Customer {
  id        String   @id @default(cuid())
  email     String   @unique
  orders    Order[]
}

model Order {
  id          String    @id @default(cuid())
  customerId  String    @map("customer_id")
  customer    Customer  @relation(fields: [customerId], references: [id])
  status      String
  total       Int
  placedAt    DateTime  @default(now()) @map("placed_at")
  archivedAt  DateTime? @map("archived_at")

  @@map("orders")
}

model Shipment {
  id       String @id @default(cuid())
  orderRef String
  carrier  String
}
"""

REPOSITORY = """\
import { prisma } from './db';

export const orderRepository = {
  recentFor(customerId: string, since: Date) {
    return prisma.order.findMany({
      where: { customerId, placedAt: { gte: since, lt: new Date() } },
      orderBy: { placedAt: 'desc' },
      take: 20,
    });
  },
  live(statuses: string[]) {
    return prisma.order.count({ where: { status: { in: statuses }, archivedAt: null } });
  },
  firstByTotal(total: number) {
    return prisma.order.findFirst({ where: { total } });
  },
  purge(carrier: string) {
    return prisma.shipment.deleteMany({ where: { carrier } });
  },
  byEmail(email: string) {
    return prisma.customer.findUnique({ where: { email } });
  },
};
"""


def shapes(tmp_path):
    ws = make_workspace(tmp_path, {"prisma/schema.prisma": SCHEMA, "src/db.ts": "export const prisma: any = {};\n",
                                   "src/orders.ts": REPOSITORY})
    return {(s.model, s.fields): s for s in suggestions(ws)}


def test_shapes_use_the_database_names_and_prismas_parameters(tmp_path):
    found = shapes(tmp_path)
    recent = found[("Order", ("customerId", "placedAt"))]
    assert recent.create_index == 'CREATE INDEX ON "public"."orders" ("customer_id", "placed_at")'
    (shape,) = recent.shapes
    assert shape.path == "src/orders.ts" and shape.line == 5 and shape.op == "findMany"
    assert shape.sql == ('SELECT "id", "customer_id", "status", "total", "placed_at", "archived_at" FROM "public"."orders" '
                         'WHERE "customer_id" = $1 AND "placed_at" >= $2 AND "placed_at" < $3 '
                         'ORDER BY "placed_at" DESC LIMIT $4 OFFSET $5')
    assert shape.params == 5


def test_in_null_counts_and_writes(tmp_path):
    found = shapes(tmp_path)
    (live,) = found[("Order", ("status", "archivedAt"))].shapes
    assert live.sql == 'SELECT COUNT(*) FROM "public"."orders" WHERE "status" = ANY($1) AND "archived_at" IS NULL'
    assert live.params == 1
    (first,) = found[("Order", ("total",))].shapes
    assert first.sql.endswith('WHERE "total" = $1 LIMIT $2 OFFSET $3')
    (purge,) = found[("Shipment", ("carrier",))].shapes
    assert purge.sql == 'SELECT "id" FROM "public"."Shipment" WHERE "carrier" = $1'  # the rows a write touches


def test_unique_lookups_give_no_shape(tmp_path):
    assert not any(model == "Customer" for model, _ in shapes(tmp_path))


def test_the_url_schema_names_the_tables(tmp_path):
    ws = make_workspace(tmp_path, {"prisma/schema.prisma": SCHEMA, "src/db.ts": "export const prisma: any = {};\n",
                                   "src/orders.ts": REPOSITORY})
    (s,) = [s for s in suggestions(ws, "billing") if s.model == "Shipment"]
    assert s.shapes[0].sql.startswith('SELECT "id" FROM "billing"."Shipment"')


def test_url_keeps_libpq_keys_and_hides_the_password():
    url = parse("postgresql://app:s%40cret%2Fpw@db.internal:6432/shop?schema=sales&connection_limit=5&sslmode=require&pgbouncer=true")
    assert url.schema == "sales"
    assert url.password == "s@cret/pw"
    assert url.conninfo == "postgresql://app:s%40cret%2Fpw@db.internal:6432/shop?sslmode=require"
    assert url.shown == "postgresql://app:***@db.internal:6432/shop?sslmode=require"
    assert url.scrub("failed for s@cret/pw and s%40cret%2Fpw") == "failed for *** and ***"
    assert parse("postgres://localhost/x").schema == "public"
    with pytest.raises(UrlError) as exc:
        parse("mysql://root:hunter2@localhost/db")
    assert "hunter2" not in str(exc.value)


def test_the_url_comes_from_the_flag_the_environment_or_the_env_file(tmp_path):
    (tmp_path / ".env").write_text('# local\nDATABASE_URL="postgresql://a:b@h/d?schema=public" # dev db\nOTHER=1\n')
    assert find_url(str(tmp_path), "postgresql://x/y", environ={}) == ("postgresql://x/y", "--database-url")
    assert find_url(str(tmp_path), None, environ={"DATABASE_URL": "postgresql://e/f"}) == ("postgresql://e/f", "$DATABASE_URL")
    assert find_url(str(tmp_path), None, environ={}) == ("postgresql://a:b@h/d?schema=public", ".env")
    assert find_url(str(tmp_path), None, "READ_DB", environ={}) == (None, "READ_DB")


@pytest.mark.parametrize("rows, hypopg, confirmed, expected", [
    (20, True, 1, "small-table"),  # small wins: even a used index is not worth its writes
    (20, False, 0, "small-table"),
    (50_000, False, 0, "no-hypopg"),
    (50_000, True, 1, "confirmed"),
    (50_000, True, 0, "not-used"),
])
def test_verdicts(rows, hypopg, confirmed, expected):
    assert verdict(rows, 1000, hypopg, confirmed) == expected


def test_human_rows():
    assert [human_rows(n) for n in (0, 40, 1000, 48_000, 2_100_000, 3_000_000_000)] == ["0", "40", "1 k", "48 k", "2.1 M", "3 G"]


def test_read_plan_finds_the_scan_and_every_index():
    explained = [{"Plan": {"Node Type": "Limit", "Total Cost": 24.89, "Plans": [
        {"Node Type": "Index Scan", "Relation Name": "orders", "Index Name": "<13>btree_orders_customer_id",
         "Total Cost": 24.0}]}}]
    plan = read_plan(explained, "orders")
    assert (plan.node, plan.cost, plan.index_names) == ("Index Scan", 24.89, frozenset({"<13>btree_orders_customer_id"}))


def test_missing_psycopg_is_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import fails as when it is not installed
    make_workspace(tmp_path, {"prisma/schema.prisma": SCHEMA, "src/db.ts": "export const prisma: any = {};\n",
                              "src/orders.ts": REPOSITORY})
    code = main(["explain", str(tmp_path), "--database-url", "postgresql://app:pw@localhost/shop"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"perfaudit: error: {MISSING_DRIVER}\n"
    assert not (tmp_path / ".perfaudit").exists()


def test_no_url_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    make_workspace(tmp_path, {"src/a.ts": "export const a = 1;\n"})
    assert main(["explain", str(tmp_path)]) == 2
    assert "no database URL: pass --database-url or set DATABASE_URL" in capsys.readouterr().err


def test_database_config(tmp_path):
    assert config_from_dict({"database": {"url-env": "READ_DB"}}, "perfaudit.toml").database_url_env == "READ_DB"
    for bad in ({"database": {"url": "postgresql://x"}}, {"database": {"url-env": "not a name"}}, {"database": "X"}):
        with pytest.raises(ConfigError):
            config_from_dict(bad, "perfaudit.toml")


def test_saved_results_are_replaced_whole_and_ignored_by_git(tmp_path):
    root = str(tmp_path)
    assert saved.load(root) is None
    doc = {"version": 1, "indexes": [{"model": "Order", "fields": ["total"], "verdict": "not-used", "table_rows": 9000,
                                      "before": {"node": "Seq Scan", "cost": 10.0}, "after": None}],
           "tables": [{"model": "ReadList", "rows": 2_100_000}]}
    saved.save(root, doc)
    assert saved.load(root) == doc
    assert (tmp_path / ".perfaudit" / ".gitignore").read_text().endswith("*\n")
    assert saved.index_advice(root, "Order", ("total",)) == (True, "the planner turned it down (not-used, 9 k rows)")
    assert saved.size_note(root, "readList") == " (`ReadList` holds 2.1 M rows)"
    (tmp_path / ".perfaudit" / "explain.json").write_text("{broken")
    assert saved.load(root) is None and saved.size_note(root, "ReadList") == ""
    (tmp_path / ".perfaudit" / "explain.json").write_text(json.dumps({"version": 2}))
    assert saved.load(root) is None


def test_a_served_filter_with_an_unserved_sort_is_asked_about_too(tmp_path):
    schema = SCHEMA.replace('  @@map("orders")', '  @@index([status])\n  @@map("orders")')
    repo = """\
import { prisma } from './db';

export async function latestByStatus(status: string) {
  return prisma.order.findMany({ where: { status }, orderBy: { placedAt: 'desc' }, take: 10 });
}
"""
    ws = make_workspace(tmp_path, {"prisma/schema.prisma": schema, "src/db.ts": "export const prisma: any = {};\n",
                                   "src/latest.ts": repo})
    found = {(s.model, s.fields): s for s in suggestions(ws)}
    (shape,) = found[("Order", ("status", "placedAt"))].shapes
    assert shape.sql.endswith('WHERE "status" = $1 ORDER BY "placed_at" DESC LIMIT $2 OFFSET $3')
    assert shape.roles == (("eq", "status"), ("limit", ""), ("offset", ""))


def test_a_workspace_with_two_databases_asks_which(tmp_path, capsys):
    import shutil
    from pathlib import Path

    root = tmp_path / "mono"
    shutil.copytree(Path(__file__).parent / "fixtures" / "schema_ties", root)
    # Refused before connecting: nothing listens on port 9 of this machine.
    code = main(["explain", str(root), "--database-url", "postgresql://app:pw-9f2@127.0.0.1:9/core"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("perfaudit: error: the workspace has 2 PostgreSQL schemas (")
    assert "packages/analytics-db" in err and "packages/core-db" in err and "pw-9f2" not in err
    assert not (root / ".perfaudit").exists()


def test_schemas_on_other_databases_are_left_out(tmp_path):
    mysql = SCHEMA.replace('provider = "postgresql"', 'provider = "mysql"')
    ws = make_workspace(tmp_path, {"prisma/schema.prisma": mysql, "src/db.ts": "export const prisma: any = {};\n",
                                   "src/orders.ts": REPOSITORY})
    assert suggestions(ws) == []
