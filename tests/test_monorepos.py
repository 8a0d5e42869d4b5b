"""Monorepo fixtures: an Nx-style NestJS workspace (tsconfig.base.json paths,
controller -> service -> repository in separate libraries) and a pnpm
workspace whose app imports `@acme/db` through package.json `exports`.
Findings that need the code followed across libraries must appear; the
batched twins must stay silent."""

import json
from pathlib import Path

from helpers import lines_of, make_workspace
from perfaudit.command_line import main
from perfaudit.server.config import Config
from perfaudit.server.engine import analyze

FIXTURES = Path(__file__).parent / "fixtures" / "monorepos"
NX = FIXTURES / "nx-shop"
PNPM = FIXTURES / "pnpm-acme"


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def check(root: Path, codes: list[str]):
    result = analyze(str(root), None, Config(select=codes))
    return result, [f for f in result.findings if f.code in codes]


def routes_json(root: Path, capsys) -> dict:
    assert main(["routes", str(root), "--format", "json"]) == 0
    return {r["handler"]["name"]: r for r in json.loads(capsys.readouterr().out)["routes"]}


# ------------------------------------------------------------ Nx + NestJS


def test_nx_n_plus_one_through_service_and_repository_in_other_libraries():
    result, findings = check(NX, ["P104"])
    service = NX / "libs/orders/domain/src/lib/orders.service.ts"
    assert lines_of(NX, findings) == [
        ("libs/orders/domain/src/lib/orders.service.ts", line_of(service, "await this.orders.findCustomer(order.customerId)"), "P104"),
    ]
    # The query it reaches lives two libraries away, behind an alias.
    assert "Customer.findUnique via OrdersRepository.findCustomer" in findings[0].message
    assert result.workspace.warnings() == []


def test_nx_queries_in_the_data_access_library_are_tied_to_the_schema():
    # The repository returns its rows to the domain library, so no rule
    # reports on them (issue 14: reads unknown); what matters here is that
    # each query is read against the workspace's schema.
    from perfaudit.server.prisma import schema_for_call, schema_label

    result, _ = check(NX, ["P103"])
    ws = result.workspace
    path = f"{ws.root}/libs/orders/data-access/src/lib/orders.repository.ts"
    ties = [(".".join(call.callee), schema_label(ws, schema_for_call(ws.index, path, fn, call.callee)))
            for fn, call in ws.files[path].facts.calls_in_scope if call.callee and call.callee[0] == "this"]
    assert [callee for callee, _ in ties] == [
        "this.prisma.order.findMany", "this.prisma.customer.findUnique",
        "this.prisma.customer.findMany", "this.prisma.order.findUnique"]
    assert len({label for _, label in ties}) == 1 and None not in {label for _, label in ties}


def test_nx_routes_reach_the_queries_of_the_libraries(capsys):
    by_handler = routes_json(NX, capsys)
    # main.ts sets the prefix through a constant, as Nx generates it.
    assert sorted(r["path"] for r in by_handler.values()) == ["/api/orders/:id", "/api/orders/recent", "/api/orders/recent/batched"]
    assert set(by_handler) == {"OrdersController.recent", "OrdersController.recentBatched", "OrdersController.detail"}
    assert by_handler["OrdersController.recent"]["query_list"] == ["order.findMany", "customer.findUnique"]
    assert by_handler["OrdersController.recentBatched"]["query_list"] == ["order.findMany", "customer.findMany"]
    assert by_handler["OrdersController.detail"]["query_list"] == ["order.findUnique", "product.findMany"]
    assert all(r["sequential"] == 2 for r in by_handler.values())


def test_nx_spec_files_resolve_through_the_spec_project():
    result, _ = check(NX, ["P104"])
    ws = result.workspace
    spec = f"{ws.root}/libs/orders/domain/src/lib/orders.service.spec.ts"
    service = f"{ws.root}/libs/orders/domain/src/lib/orders.service.ts"
    assert ws.modules.governing_config(spec) == f"{ws.root}/libs/orders/domain/tsconfig.spec.json"
    assert ws.modules.governing_config(service) == f"{ws.root}/libs/orders/domain/tsconfig.lib.json"
    assert ws.index.resolve_module(spec, "@shop/orders/data-access") == f"{ws.root}/libs/orders/data-access/src/index.ts"


# ------------------------------------------------------------ pnpm workspace


def test_pnpm_app_reaches_the_db_package_through_its_exports():
    result, findings = check(PNPM, ["P104"])
    route = PNPM / "apps/api/src/routes/invites.ts"
    assert lines_of(PNPM, findings) == [
        ("apps/api/src/routes/invites.ts", line_of(route, "await findUserByEmail(email)"), "P104"),
    ]
    assert "User.findUnique via findUserByEmail" in findings[0].message
    ws = result.workspace
    assert ws.relpath(ws.index.resolve_module(str(route), "@acme/db")) == "packages/db/src/index.ts"
    assert ws.relpath(ws.index.resolve_module(str(route), "@acme/db/users")) == "packages/db/src/users.ts"
    assert ws.warnings() == []


def test_pnpm_routes_count_the_package_queries(capsys):
    assert main(["routes", str(PNPM), "--format", "json"]) == 0
    by_path = {(r["method"], r["path"]): r for r in json.loads(capsys.readouterr().out)["routes"]}
    assert by_path[("POST", "/api/invites")]["query_list"] == ["user.findUnique", "invite.createMany"]
    assert by_path[("POST", "/api/invites/preview")]["query_list"] == ["user.findMany"]


def test_checking_one_app_file_reads_the_workspace_packages_it_depends_on():
    route = PNPM / "apps/api/src/routes/invites.ts"
    result = analyze(str(PNPM), [str(route)], Config(select=["P104"]))
    assert lines_of(PNPM, result.findings) == [
        ("apps/api/src/routes/invites.ts", line_of(route, "await findUserByEmail(email)"), "P104"),
    ]
    loaded = {result.workspace.relpath(p) for p in result.workspace.files}
    assert "packages/db/src/users.ts" in loaded


def test_a_global_prefix_held_in_a_let_is_not_guessed(tmp_path):
    from perfaudit.server.express.routes import routes

    ws = make_workspace(tmp_path, {
        "src/main.ts": """\
            import { NestFactory } from '@nestjs/core';
            import { AppModule } from './app.module';
            async function bootstrap() {
              let prefix = 'v1';
              if (process.env.V2) prefix = 'v2';
              const app = await NestFactory.create(AppModule);
              app.setGlobalPrefix(prefix);
              await app.listen(3000);
            }
            bootstrap();
            """,
        "src/health.controller.ts": """\
            import { Controller, Get } from '@nestjs/common';
            @Controller('health')
            export class HealthController {
              @Get()
              check() { return { ok: true }; }
            }
            """,
    })
    assert [r.path for r in routes(ws)] == ["/health"]
