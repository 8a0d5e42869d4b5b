"""Several Prisma schemas in one workspace: each query is read against the
schema of the client it runs on, and stays unread when two schemas fit."""

import json
import shutil
from pathlib import Path

import pytest

from helpers import lines_of, write_files
from perfaudit.server.analysis.workspace import Workspace
from perfaudit.server.cli.main import main
from perfaudit.server.config import Config
from perfaudit.server.engine import analyze
from perfaudit.server.express.routes import routes
from perfaudit.server.lsp.schema_feature import schema_hover, schema_lenses
from perfaudit.server.prisma import schema_for_call, schema_label, schema_of_effect
from perfaudit.server.prisma.clients import client_origin
from perfaudit.server.prisma.ties import split_query

ROOT = Path(__file__).resolve().parents[1]
MONOREPO = ROOT / "tests" / "fixtures" / "schema_ties"
EXAMPLE = ROOT / "examples" / "backend"
CORE, ANALYTICS = "@acme/core-db", "@acme/analytics-db"
SCHEMA_RULES = ["P101", "P102", "P103", "P105", "P106"]


def ties(ws: Workspace) -> list[tuple[str, str, str | None]]:
    """(file, callee, schema label or None) of every query-shaped call."""
    out = []
    for path in sorted(ws.files):
        for fn, call in ws.files[path].facts.calls_in_scope:
            if call.is_new or split_query(call.callee) is None:
                continue
            schema = schema_for_call(ws.index, path, fn, call.callee)
            out.append((ws.relpath(path), ".".join(call.callee), schema_label(ws, schema) if schema else None))
    return out


@pytest.fixture(scope="module")
def monorepo() -> Workspace:
    ws = Workspace(str(MONOREPO))
    ws.load()
    return ws


# ---------------------------------------------------------------- the monorepo fixture


def test_every_query_runs_against_the_schema_of_its_client(monorepo):
    assert ties(monorepo) == [
        # A parameter typed `Prisma.TransactionClient`, `Prisma` from @acme/core-db.
        ("apps/admin/src/teams/invoices.repository.ts", "tx.invoice.updateMany", CORE),
        # NestJS: `PrismaService extends PrismaClient` re-exported by @acme/core-db from its generator output.
        ("apps/admin/src/teams/teams.service.ts", "this.prisma.team.findMany", CORE),
        ("apps/admin/src/teams/teams.service.ts", "this.prisma.membership.findMany", CORE),
        ("apps/admin/src/teams/teams.service.ts", "this.prisma.user.findUnique", CORE),
        # A provider typed with @acme/analytics-db's `AnalyticsClient` (`@prisma/client` of that package).
        ("apps/admin/src/teams/usage.service.ts", "this.analytics.featureUsage.findMany", ANALYTICS),
        ("apps/admin/src/teams/usage.service.ts", "this.analytics.user.findUnique", ANALYTICS),
        # Through @acme/data, a package with no schema that re-exports both clients under other names.
        ("apps/api/src/routes/dashboard.routes.ts", "db.team.findUnique", CORE),
        ("apps/api/src/routes/dashboard.routes.ts", "db.user.findMany", CORE),
        ("apps/api/src/routes/dashboard.routes.ts", "events.user.findMany", ANALYTICS),
        ("apps/api/src/services/account.service.ts", "coreDb.user.findMany", CORE),
        ("apps/api/src/services/account.service.ts", "coreDb.invoice.findMany", CORE),
        ("apps/api/src/services/activity.service.ts", "analytics.pageView.findMany", ANALYTICS),
        ("apps/api/src/services/activity.service.ts", "analytics.user.findMany", ANALYTICS),
        # `tx` of `analytics.$transaction(async (tx) => ...)`.
        ("apps/api/src/services/activity.service.ts", "tx.featureUsage.upsert", ANALYTICS),
        ("apps/api/src/services/activity.service.ts", "tx.user.findFirst", ANALYTICS),
        # A client picked at run time: `user` is in both schemas (no guess), `pageView` only in one.
        ("apps/reports/src/jobs/backfill.ts", "db.user.findMany", None),
        ("apps/reports/src/jobs/backfill.ts", "db.pageView.findMany", ANALYTICS),
        # `new AnalyticsClient()` / `new PrismaClient()` of the packages' re-exported classes.
        ("apps/reports/src/jobs/weekly-digest.ts", "warehouse.pageView.groupBy", ANALYTICS),
        ("apps/reports/src/jobs/weekly-digest.ts", "warehouse.user.findMany", ANALYTICS),
        ("apps/reports/src/jobs/weekly-digest.ts", "accounts.user.findMany", CORE),
    ]


def test_clients_are_followed_into_the_packages_that_create_them(monorepo):
    """Package names resolve through each package's package.json to its
    source (no tsconfig paths): the walk ends where the client is made."""
    def origin(rel, callee):
        path = str(MONOREPO / rel)
        for fn, call in monorepo.files[path].facts.calls_in_scope:
            if ".".join(call.callee) == callee:
                found, _ = client_origin(monorepo.index, path, fn, split_query(call.callee)[0])
                return (monorepo.relpath(found.path), found.spec) if found else None

    assert "paths" not in json.loads((MONOREPO / "tsconfig.json").read_text())["compilerOptions"]
    assert origin("apps/api/src/routes/dashboard.routes.ts", "db.user.findMany") == (
        "packages/core-db/src/client.ts", "./generated/client")  # @acme/data -> @acme/core-db -> its generator output
    assert origin("apps/admin/src/teams/teams.service.ts", "this.prisma.user.findUnique") == (
        "packages/core-db/src/index.ts", "./generated/client")  # PrismaService extends the re-exported class
    assert origin("apps/api/src/services/activity.service.ts", "tx.user.findFirst") == (
        "packages/analytics-db/src/index.ts", "@prisma/client")
    assert origin("apps/reports/src/jobs/backfill.ts", "db.user.findMany") is None


@pytest.fixture(scope="module")
def findings():
    result = analyze(str(MONOREPO), None, Config(select=SCHEMA_RULES))
    assert result.errors == []
    return result.findings


def test_schema_rules_read_each_query_against_its_schema(findings):
    # P101 stays silent here: every read returns its rows to callers the
    # analyzer does not follow (issue 14); P105 is one finding per schema
    # field, its query sites as related information.
    assert lines_of(MONOREPO, findings) == [
        ("apps/admin/src/teams/teams.service.ts", 9, "P102"),
        ("apps/api/src/routes/dashboard.routes.ts", 9, "P102"),
        ("apps/api/src/services/account.service.ts", 4, "P102"),
        ("apps/api/src/services/activity.service.ts", 12, "P102"),
        ("apps/reports/src/jobs/backfill.ts", 12, "P102"),
        ("apps/reports/src/jobs/weekly-digest.ts", 13, "P102"),
        ("apps/reports/src/jobs/weekly-digest.ts", 14, "P102"),
        ("packages/analytics-db/prisma/schema.prisma", 14, "P105"),  # analytics User.country
        ("packages/analytics-db/prisma/schema.prisma", 15, "P105"),  # analytics User.firstSeenAt
        ("packages/analytics-db/prisma/schema.prisma", 26, "P105"),  # PageView.viewedAt
        ("packages/core-db/prisma/schema.prisma", 18, "P105"),  # core User.createdAt
        # No P106 on Membership.userId: the one query through it (`memberships:
        # { some: { teamId } }`) is served by @@unique([teamId, userId]), and
        # no request deletes users.
    ]


def test_the_two_user_models_are_told_apart(findings):
    by_field = {(Path(f.path).parent.parent.name, f.message.split("`")[1]): f for f in findings if f.code == "P105"}
    # Each User's index advice lists the queries run against that schema and fixes that schema.
    country = by_field[("analytics-db", "User.country")]
    assert {Path(r.path).name for r in country.related} == {"activity.service.ts"}
    assert {e.path for fx in country.fixes for e in fx.edits} == {str(MONOREPO / "packages/analytics-db/prisma/schema.prisma")}
    created = by_field[("core-db", "User.createdAt")]
    assert {Path(r.path).name for r in created.related} == {"weekly-digest.ts"}
    assert {e.path for fx in created.fixes for e in fx.edits} == {str(MONOREPO / "packages/core-db/prisma/schema.prisma")}


def test_schema_lenses_count_the_sites_of_their_own_schema(monorepo):
    core = {l.model: l.title for l in schema_lenses(monorepo, str(MONOREPO / "packages/core-db/prisma/schema.prisma"))}
    analytics = {l.model: l.title for l in schema_lenses(monorepo, str(MONOREPO / "packages/analytics-db/prisma/schema.prisma"))}
    assert core["User"].startswith("4 query sites")  # not backfill's `db.user`, not the analytics users
    assert analytics["User"].startswith("5 query sites")
    assert analytics["PageView"].startswith("3 query sites")


def test_schema_hover_counts_the_sites_of_its_own_schema(monorepo):
    path = MONOREPO / "packages/analytics-db/prisma/schema.prisma"
    text = path.read_bytes()
    hover = schema_hover(monorepo, str(path), text.index(b"  country") + 3)
    assert "no index" in hover and "@@index([country])" in hover
    core = MONOREPO / "packages/core-db/prisma/schema.prisma"
    core_hover = schema_hover(monorepo, str(core), core.read_bytes().index(b"model User") + len("model "))
    assert core_hover.startswith("**User**: 4 query sites")


def test_an_edit_elsewhere_moves_a_query_to_the_other_schema(tmp_path):
    root = tmp_path / "acme"
    shutil.copytree(MONOREPO, root)
    ws = Workspace(str(root))
    ws.load()
    dashboard = "apps/api/src/routes/dashboard.routes.ts"
    assert _tie(ws, dashboard, "db.user.findMany") == CORE
    data = str(root / "packages/data/src/index.ts")
    ws.set_source(data, "export { analytics as db } from '@acme/analytics-db';\nexport { coreDb as events } from '@acme/core-db';\n")
    assert _tie(ws, dashboard, "db.user.findMany") == ANALYTICS
    assert _tie(ws, dashboard, "db.team.findUnique") == ANALYTICS  # the analytics client has no Team: not a query
    assert _tie(ws, dashboard, "events.user.findMany") == CORE


def test_routes_name_the_schema_of_each_query(monorepo, capsys):
    (route,) = routes(monorepo)
    j = route.to_json()
    assert j["query_list"] == [f"team.findUnique ({CORE})", f"user.findMany ({CORE})", f"user.findMany ({ANALYTICS})"]
    assert j["schemas"] == [ANALYTICS, CORE]
    assert main(["routes", str(MONOREPO)]) == 0
    head, row = capsys.readouterr().out.splitlines()[:2]
    assert head.split()[:4] == ["METHOD", "PATH", "QUERIES", "SCHEMAS"]
    assert f"{ANALYTICS},{CORE}" in row.split()


def test_report_names_the_schemas_only_when_there_are_several(capsys):
    assert main(["report", str(MONOREPO), "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["routes"]
    assert row["schemas"] == [ANALYTICS, CORE]
    assert main(["report", str(MONOREPO)]) == 0
    assert "| Method | Path | Queries | Schemas |" in capsys.readouterr().out
    assert main(["report", str(EXAMPLE)]) == 0
    assert "| Schemas |" not in capsys.readouterr().out


# ---------------------------------------------------------------- each step, must and must not


def _two_schemas(tmp_path: Path, files: dict[str, str]) -> Workspace:
    """A main and an analytics package, both with a `User` model."""
    write_files(tmp_path, {
        "package.json": '{"private": true, "workspaces": ["packages/*", "apps/*"]}',
        "packages/main/package.json": '{"name": "@shop/main"}',
        "packages/main/prisma/schema.prisma": """\
            generator client {
              provider = "prisma-client-js"
              output   = "../src/generated"
            }
            model User {
              id    Int    @id
              email String @unique
              name  String
            }
            model Order {
              id     Int @id
              userId Int
              total  Int
            }
            """,
        "packages/stats/package.json": '{"name": "@shop/stats"}',
        "packages/stats/prisma/schema.prisma": """\
            generator client {
              provider = "prisma-client-js"
            }
            model User {
              id      Int    @id
              country String
            }
            model Visit {
              id     Int    @id
              path   String
              userId Int
            }
            """,
        **files,
    })
    ws = Workspace(str(tmp_path))
    ws.load()
    return ws


def _tie(ws, rel: str, callee: str):
    path = str(Path(ws.root) / rel)
    for fn, call in ws.files[path].facts.calls_in_scope:
        if ".".join(call.callee) == callee:
            schema = schema_for_call(ws.index, path, fn, call.callee)
            return schema_label(ws, schema) if schema else None
    raise AssertionError(f"no call {callee} in {rel}")


def test_a_file_of_a_schema_package_uses_that_schema_when_the_client_cannot_be_followed(tmp_path):
    ws = _two_schemas(tmp_path, {
        "packages/main/src/users.ts": """\
            import { getClient } from './factory';
            export const list = () => getClient().user.findMany();
            export async function byEmail(email: string) {
              const db = getClient();
              return db.user.findUnique({ where: { email } });
            }
            """,
        "apps/web/package.json": '{"name": "web"}',
        "apps/web/src/users.ts": """\
            import { getClient } from '../../../packages/main/src/factory';
            export async function byEmail(email: string) {
              const db = getClient();
              return db.user.findUnique({ where: { email } });
            }
            """,
    })
    assert _tie(ws, "packages/main/src/users.ts", "db.user.findUnique") == "@shop/main"
    assert _tie(ws, "apps/web/src/users.ts", "db.user.findUnique") is None  # its package has no schema; both have User


def test_the_only_schema_with_the_model_when_nothing_else_decides(tmp_path):
    ws = _two_schemas(tmp_path, {
        "apps/web/package.json": '{"name": "web"}',
        "apps/web/src/visits.ts": """\
            export async function visits(db: any, orders: any) {
              await orders.order.findMany({ where: { total: { gt: 0 } } });
              return db.visit.findMany({ where: { path: '/' } });
            }
            """,
    })
    assert _tie(ws, "apps/web/src/visits.ts", "db.visit.findMany") == "@shop/stats"
    assert _tie(ws, "apps/web/src/visits.ts", "orders.order.findMany") == "@shop/main"


def test_a_client_whose_schema_lacks_the_model_makes_no_query(tmp_path):
    files = {
        "packages/main/src/db.ts": """\
            import { PrismaClient } from './generated';
            export const db = new PrismaClient();
            export async function visits() {
              return db.visit.findMany({ where: { path: '/' } });
            }
            """,
    }
    ws = _two_schemas(tmp_path, files)
    assert _tie(ws, "packages/main/src/db.ts", "db.visit.findMany") == "@shop/main"
    result = analyze(str(tmp_path), None, Config(select=SCHEMA_RULES))
    assert [f for f in result.findings if f.path.endswith("db.ts")] == []  # the main client has no Visit


def test_an_output_under_node_modules_is_imported_by_its_package_name(tmp_path):
    ws = _two_schemas(tmp_path, {
        "packages/stats/prisma/schema.prisma": """\
            generator client {
              provider = "prisma-client-js"
              output   = "../../../node_modules/@shop/stats-client"
            }
            model User {
              id      Int    @id
              country String
            }
            """,
        "apps/web/package.json": '{"name": "web"}',
        "apps/web/src/db.ts": """\
            import { PrismaClient as Stats } from '@shop/stats-client';
            import { PrismaClient } from '@prisma/client';
            const stats = new Stats();
            const other = new PrismaClient();
            export const countries = () => stats.user.findMany({ select: { country: true } });
            export const names = () => other.user.findMany({ select: { id: true } });
            """,
    })
    assert _tie(ws, "apps/web/src/db.ts", "stats.user.findMany") == "@shop/stats"
    # `@prisma/client` from a package without a schema, none above it with the default output: no guess.
    assert _tie(ws, "apps/web/src/db.ts", "other.user.findMany") is None


def test_prisma_client_resolves_from_the_importing_package_up(tmp_path):
    ws = _two_schemas(tmp_path, {
        "packages/stats/src/db.ts": """\
            import { PrismaClient } from '@prisma/client';
            export const stats = new PrismaClient().$extends({});
            export const plain = new PrismaClient();
            export const extended = plain.$extends({ name: 'timing' });
            """,
        "apps/web/package.json": '{"name": "web"}',
        "apps/web/src/users.ts": """\
            import { extended } from '../../../packages/stats/src/db';
            export const countries = () => extended.user.findMany({ select: { country: true } });
            """,
    })
    assert _tie(ws, "apps/web/src/users.ts", "extended.user.findMany") == "@shop/stats"


def test_a_package_name_that_cannot_be_opened_still_names_its_schema(tmp_path):
    # The package is built to dist/ (never read): its name is enough.
    ws = _two_schemas(tmp_path, {
        "packages/main/package.json": '{"name": "@shop/main", "main": "dist/index.js"}',
        "apps/web/package.json": '{"name": "web"}',
        "apps/web/src/users.ts": """\
            import { db } from '@shop/main';
            export const names = () => db.user.findMany({ select: { name: true } });
            """,
        "apps/web/src/not-a-db.ts": """\
            import { db } from '@shop/cache';
            export const names = () => db.user.findMany({ select: { name: true } });
            """,
    })
    assert _tie(ws, "apps/web/src/users.ts", "db.user.findMany") == "@shop/main"
    assert _tie(ws, "apps/web/src/not-a-db.ts", "db.user.findMany") is None
    # The editor renames the package: the old name names nothing any more.
    ws.set_project_text(str(tmp_path / "packages/main/package.json"), '{"name": "@shop/core", "main": "dist/index.js"}')
    assert _tie(ws, "apps/web/src/users.ts", "db.user.findMany") is None


def test_a_delegate_held_in_a_member_follows_its_client(tmp_path):
    ws = _two_schemas(tmp_path, {
        "packages/stats/src/db.ts": """\
            import { PrismaClient } from '@prisma/client';
            export const stats = new PrismaClient();
            """,
        "apps/web/package.json": '{"name": "web"}',
        "apps/web/src/visitors.ts": """\
            import { stats } from '../../../packages/stats/src/db';
            import { getMain } from './main';
            export class Visitors {
              private users = stats.user;
              private unknown = getMain().user;
              all() {
                return this.users.findMany();
              }
              others() {
                return this.unknown.findMany();
              }
            }
            """,
    })
    path = str(tmp_path / "apps/web/src/visitors.ts")
    facts = ws.files[path].facts
    (all_,) = [c for fn, c in facts.calls_in_scope if c.callee == ("this", "users", "findMany")]
    (effect,) = ws.index.effects_at(path, all_.start, all_.end)
    assert (effect.kind, effect.target, schema_label(ws, schema_of_effect(ws, effect))) == ("query", "User", "@shop/stats")
    (others,) = [c for fn, c in facts.calls_in_scope if c.callee == ("this", "unknown", "findMany")]
    assert ws.index.effects_at(path, others.start, others.end) == ()  # cannot tell: not read as a query



def test_clients_made_by_factories_follow_what_the_factory_returns(tmp_path):
    """`getStats()`, a lazy `let client: PrismaClient | null`, a static
    `getInstance()` and a private getter: each query runs against the schema
    of the client its factory returns; a factory that picks one of two
    clients at run time ties nothing (both schemas have `User`)."""
    ws = _two_schemas(tmp_path, {
        "packages/stats/src/db.ts": """\
            import { PrismaClient } from '@prisma/client';
            const globalForStats = globalThis as unknown as { stats?: PrismaClient };
            export const stats = globalForStats.stats ?? new PrismaClient();
            export const getStats = () => stats;

            let replica: PrismaClient | null | undefined = null;
            export function getReplica(): PrismaClient {
              if (!replica) {
                replica = new PrismaClient({ datasources: { db: { url: process.env.REPLICA_URL } } });
              }
              return replica;
            }

            export class StatsDatabase {
              private static instance: PrismaClient;
              static getInstance(): PrismaClient {
                if (!StatsDatabase.instance) StatsDatabase.instance = new PrismaClient();
                return StatsDatabase.instance;
              }
            }
            """,
        "apps/web/package.json": '{"name": "web"}',
        "apps/web/src/users.service.ts": """\
            import { PrismaClient as MainClient } from '../../../packages/main/src/generated';
            import { getStats, getReplica, StatsDatabase, stats } from '../../../packages/stats/src/db';

            const main = new MainClient();
            const pick = (region: string) => (region === 'eu' ? main : stats);

            export class UsersService {
              private readonly client = new MainClient();

              private db() {
                return this.client;
              }

              async profile(id: number) {
                return this.db().user.findUnique({ where: { id }, select: { email: true } });
              }

              async countries() {
                const rows = await getStats().user.findMany({ select: { country: true } });
                return rows.map((row) => row.country);
              }

              async fromReplica() {
                const replica = getReplica();
                return replica.user.findMany({ select: { country: true }, take: 50 });
              }

              async fromSingleton() {
                return StatsDatabase.getInstance().user.count();
              }

              async inRegion(region: string) {
                return pick(region).user.findMany({ take: 10 });
              }
            }
            """,
    })
    rel = "apps/web/src/users.service.ts"
    assert _tie(ws, rel, "this.db().user.findUnique") == "@shop/main"
    assert _tie(ws, rel, "getStats().user.findMany") == "@shop/stats"
    assert _tie(ws, rel, "replica.user.findMany") == "@shop/stats"
    assert _tie(ws, rel, "StatsDatabase.getInstance().user.count") == "@shop/stats"
    assert _tie(ws, rel, "pick().user.findMany") is None


# ---------------------------------------------------------------- two copies under one root


@pytest.fixture(scope="module")
def example_alone():
    result = analyze(str(EXAMPLE))
    ws = result.workspace
    return {(ws.relpath(f.path), ws.line_index(f.path).line_of(f.start) + 1, f.code) for f in result.findings}


def test_two_copies_of_the_example_give_each_the_example_findings(tmp_path, example_alone):
    (tmp_path / "package.json").write_text('{"private": true, "workspaces": ["services/*"]}')
    for copy in ("readlists", "readlists-eu"):
        shutil.copytree(EXAMPLE, tmp_path / "services" / copy)
    result = analyze(str(tmp_path))
    assert result.errors == []
    ws = result.workspace
    found = {(ws.relpath(f.path), ws.line_index(f.path).line_of(f.start) + 1, f.code) for f in result.findings}
    for copy in ("readlists", "readlists-eu"):
        prefix = f"services/{copy}/"
        mine = {(p[len(prefix):], line, code) for p, line, code in found if p.startswith(prefix)}
        assert mine == example_alone, copy
    assert {p.split("/")[1] for p, _, _ in found} == {"readlists", "readlists-eu"}
