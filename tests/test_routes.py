"""The route model: full paths across files, handlers, per-route cost, the CLI."""

import json
import shutil
from pathlib import Path


from helpers import make_workspace
from perfaudit.command_line import main
from perfaudit.server.express.routes import route_lenses, route_symbols, routes
from perfaudit.server.analysis.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "routes"


def load(name: str) -> Workspace:
    ws = Workspace(str(FIXTURES / name))
    ws.load()
    return ws


def table(ws):
    return {(r.method, r.path): r for r in routes(ws)}


def test_routers_mounted_in_other_files_get_their_full_path():
    ws = load("shop")
    assert sorted(table(ws)) == [
        ("DELETE", "/api/readlists/:id/items"),
        ("GET", "/api/readlists"),
        ("GET", "/api/readlists/:id"),
        ("GET", "/api/readlists/:id/items"),
        ("GET", "/api/stats/overview"),
        ("GET", "/api/stats/popular"),
        ("GET", "/api/users"),
        ("GET", "/api/users/:id/profile"),
        ("POST", "/api/readlists"),
    ]
    assert all(r.mounted for r in routes(ws))


def test_handlers_resolve_through_wrappers_arrays_and_imports():
    t = table(load("shop"))
    create = t[("POST", "/api/readlists")]
    assert create.handler[1].name == "ReadListController.create"
    assert create.handler[0].endswith("controllers/readlist.controller.ts")
    assert create.middleware == ("requireAuth", "validate(createReadListSchema)")
    assert t[("GET", "/api/users/:id/profile")].handler[1].name == "UserController.profile"
    assert t[("GET", "/api/readlists/:id/items")].handler[1].name == "ReadListController.items"


def test_cost_per_route():
    t = table(load("shop"))
    profile = t[("GET", "/api/users/:id/profile")]
    assert (len(profile.queries), profile.sequential, profile.cached) == (4, 4, False)
    assert profile.summary == "4 queries (4 sequential) - not cached"
    # Promise.all: two queries, one round trip.
    by_id = t[("GET", "/api/readlists/:id")]
    assert (len(by_id.queries), by_id.sequential) == (2, 1)
    # Through the workspace's getOrSet helper: cached.
    assert t[("GET", "/api/stats/popular")].cached
    assert not t[("GET", "/api/stats/overview")].cached
    assert t[("GET", "/api/readlists")].pagination == "yes"
    assert t[("GET", "/api/readlists")].summary == "1 query - not cached - paginated"
    assert t[("GET", "/api/readlists/:id/items")].pagination == "no"


def test_nest_controllers_with_global_prefix():
    t = table(load("nest"))
    assert sorted(t) == [("GET", "/api/users"), ("GET", "/api/users/:id"), ("POST", "/api/users")]
    one = t[("GET", "/api/users/:id")]
    assert one.handler[1].name == "UsersController.findOne"
    assert (len(one.queries), one.sequential) == (2, 2)
    assert t[("GET", "/api/users")].pagination == "yes"


def test_blocking_calls_and_inline_handlers():
    t = table(load("bare"))
    assert [e.op for e in t[("GET", "/api/terms")].blocking] == ["fs.readFileSync"]
    assert t[("GET", "/api/posts")].handler_label == "<inline>"


def test_route_chains_factories_and_apps_returned_from_functions(tmp_path):
    ws = make_workspace(tmp_path, {
        "src/app.ts": """
            import express from 'express';
            import { buildItemsRouter } from './items';

            export function createApp() {
              const app = express();
              app.use('/v1/items', buildItemsRouter());
              return app;
            }
        """,
        "src/items.ts": """
            import express from 'express';
            import { prisma } from './prisma';

            export function buildItemsRouter() {
              const router = express.Router();
              router.route('/:id').get(async (req, res) => {
                res.json(await prisma.readListItem.findUnique({ where: { id: req.params.id } }));
              }).put(async (req, res) => {
                res.json(await prisma.readListItem.update({ where: { id: req.params.id }, data: req.body }));
              });
              return router;
            }
        """,
        "src/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
    })
    assert sorted(table(ws)) == [("GET", "/v1/items/:id"), ("PUT", "/v1/items/:id")]


def test_half_typed_file_keeps_the_other_routes(tmp_path):
    ws = make_workspace(tmp_path, {
        "src/app.ts": """
            import express from 'express';
            const app = express();
            app.get('/ok', (_req, res) => res.send('ok'));
            app.post('/broken', (req, res => {
            app.get('/after', (_req, res) => res.send('after'));
        """,
    })
    paths = {r.path for r in routes(ws)}
    assert "/ok" in paths


def test_lenses_and_symbols():
    ws = load("shop")
    path = str(FIXTURES / "shop/src/routes/user.routes.ts")
    lenses = route_lenses(ws, path)
    titles = [title for _, _, title, _ in lenses]
    assert titles == ["1 query - not cached", "4 queries (4 sequential) - not cached"]
    target_file, offset = lenses[1][3]
    assert target_file.endswith("controllers/user.controller.ts")
    assert ws.files[target_file].data[offset:].startswith(b"async (req: Request")
    assert [s.name for s in route_symbols(ws, path)] == ["GET /api/users", "GET /api/users/:id/profile"]


def test_cli_routes_json_and_table(capsys):
    assert main(["routes", str(FIXTURES / "shop"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    profile = next(r for r in data["routes"] if r["path"] == "/api/users/:id/profile")
    assert profile["queries"] == 4 and profile["sequential"] == 4 and profile["cached"] is False
    assert profile["handler"]["name"] == "UserController.profile"
    assert main(["routes", str(FIXTURES / "shop")]) == 0
    out = capsys.readouterr().out
    assert "GET     /api/users/:id/profile" in out and out.rstrip().endswith("9 routes")


# ------------------------------------------------------------------ through the language server

import sys  # noqa: E402

import pytest_lsp  # noqa: E402
from lsprotocol import types  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

# The real server, as editors start it.
@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "perfaudit", "serve"]))
async def lsp(lsp_client: LanguageClient):
    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams):
        return None

    yield lsp_client
    await lsp_client.shutdown_session()


async def test_route_lens_and_symbols_through_the_server(lsp, tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "shop", root)
    await lsp.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=from_fs_path(str(root)),
        workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(root)), name="shop")]))
    path = root / "src/routes/user.routes.ts"
    uri = from_fs_path(str(path))
    lsp.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="typescript", version=1, text=path.read_text())))

    import asyncio

    expected = [(8, "1 query - not cached"), (9, "4 queries (4 sequential) - not cached")]
    got = []
    for _ in range(100):  # the workspace scan runs in the background: wait for the controllers
        lenses = await lsp.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri))) or []
        got = [(lens.range.start.line, lens.command.title) for lens in lenses]
        if got == expected:
            break
        await asyncio.sleep(0.1)
    assert got == expected
    assert lenses[1].command.command == "perfaudit.goToHandler"
    assert lenses[1].command.arguments[0].endswith("controllers/user.controller.ts")

    names = []
    for _ in range(100):  # the mount prefixes come from app.ts: the scan may still be reading it
        symbols = await lsp.text_document_document_symbol_async(types.DocumentSymbolParams(types.TextDocumentIdentifier(uri)))
        names = [s.name for s in symbols or []]
        if names == ["GET /api/users", "GET /api/users/:id/profile"]:
            break
        await asyncio.sleep(0.1)
    assert names == ["GET /api/users", "GET /api/users/:id/profile"]
    found = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query="readlists :id"))
    assert {s.name for s in found} == {"GET /api/readlists/:id", "DELETE /api/readlists/:id/items", "GET /api/readlists/:id/items"}


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "backend"


def test_the_example_backend_inventory(capsys):
    """Every route of the bundled example, with its full path and its costs."""
    assert main(["routes", str(EXAMPLE), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    got = {(r["method"], r["path"]): r for r in data["routes"]}
    assert sorted(got) == sorted([
        ("DELETE", "/api/readlists/:id"), ("GET", "/api/activity/notifications"), ("GET", "/api/activity/stream"),
        ("GET", "/api/books"), ("GET", "/api/books/:id"), ("GET", "/api/books/:id/comments"), ("GET", "/api/books/batch"),
        ("GET", "/api/books/isbn/:isbn"),
        ("GET", "/api/readlists"), ("GET", "/api/readlists/:id"), ("GET", "/api/readlists/:id/export"),
        ("GET", "/api/readlists/:id/export/json"), ("GET", "/api/readlists/public"), ("GET", "/api/reports/activity"),
        ("GET", "/api/stats/overview"), ("GET", "/api/stats/popular"), ("GET", "/api/stats/sessions"),
        ("GET", "/api/users/:id"), ("GET", "/api/users/me/dashboard"), ("GET", "/healthz"),
        ("PATCH", "/api/readlists/:id/items/order"), ("POST", "/api/auth/login"), ("POST", "/api/auth/logout"),
        ("POST", "/api/auth/register"), ("POST", "/api/auth/sessions/purge"), ("POST", "/api/readlists"),
        ("POST", "/api/readlists/:id/duplicate"), ("POST", "/api/readlists/:id/items/batch"),
        ("POST", "/api/readlists/:id/items/bulk"),
    ])
    cost = {key: (r["queries"], r["sequential"], r["cached"]) for key, r in got.items()}
    # dashboardService.build: three reads awaited one after another (E303's instance).
    assert cost[("GET", "/api/users/me/dashboard")] == (3, 3, False)
    # Three aggregates in one Promise.all: one round trip, not cached (R205's instance).
    assert cost[("GET", "/api/stats/overview")] == (3, 1, False)
    # Read through the cache helper.
    assert cost[("GET", "/api/stats/popular")][2] is True
    # Ownership check, then the loop that creates through the generic base service.
    assert cost[("POST", "/api/readlists/:id/items/bulk")] == (2, 2, False)
    assert got[("GET", "/api/books")]["handler"]["name"] == "BookController.list"


def test_a_handler_inherited_from_a_base_controller_reaches_the_subclass_service(tmp_path):
    """`router.get('/', bookController.list)` where `list` is defined in a
    generic CrudController and uses `this.service`, set by the subclass."""
    files = {
        "src/db.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        "src/services/book.service.ts": """\
            import { prisma } from '../db';
            export class BookService {
              findAll() {
                return prisma.post.findMany({ select: { id: true, title: true }, take: 50 });
              }
            }
            export const bookService = new BookService();
            """,
        "src/controllers/crud.controller.ts": """\
            import type { Request, Response } from 'express';
            export interface CrudService { findAll(): Promise<unknown[]> }
            export abstract class CrudController {
              protected abstract readonly service: CrudService;
              list = async (req: Request, res: Response) => {
                res.json(await this.service.findAll());
              };
            }
            """,
        "src/controllers/book.controller.ts": """\
            import { CrudController } from './crud.controller';
            import { bookService } from '../services/book.service';
            export class BookController extends CrudController {
              protected readonly service = bookService;
            }
            export const bookController = new BookController();
            """,
        "src/app.ts": """\
            import express from 'express';
            import { bookController } from './controllers/book.controller';
            const app = express();
            app.get('/books', bookController.list);
            app.listen(3000);
            """,
    }
    ws = make_workspace(tmp_path, files)
    (route,) = routes(ws)
    assert route.title == "GET /books"
    assert [(e.target, e.op) for e in route.queries] == [("Post", "findMany")]
    assert len(route.steps) == 1


def test_mounts_through_loops_chains_and_require(tmp_path):
    ws = make_workspace(tmp_path, {
        "src/app.ts": """\
            import express from 'express';
            import { Router } from 'express';
            import users from './users';
            import teams from './teams';

            const app = express();
            const v1 = Router();
            const table = [
              { path: '/users', router: users },
              { path: '/teams', router: teams },
            ];
            for (const { path, router } of table) {
              v1.use(path, router);
            }
            // Not a literal table: nothing is guessed.
            for (const entry of loadPlugins()) {
              v1.use(entry.path, entry.router);
            }
            app.use(express.json()).use('/v1', v1).use('/legacy', require('./legacy'));
            app.listen(3000);
            """,
        "src/users.ts": """\
            import { Router } from 'express';
            const r = Router();
            r.get('/:id', (_req, res) => res.json({}));
            export default r;
            """,
        "src/teams.ts": """\
            import { Router } from 'express';
            export default Router().get('/', (_req, res) => res.json([])).post('/', (_req, res) => res.status(201).end());
            """,
        "src/legacy.js": """\
            const { Router } = require('express');
            const router = Router();
            router.get('/ping', (_req, res) => res.send('pong'));
            module.exports = router;
            """,
    })
    assert sorted(table(ws)) == [
        ("GET", "/legacy/ping"),
        ("GET", "/v1/teams"),
        ("GET", "/v1/users/:id"),
        ("POST", "/v1/teams"),
    ]


def test_mount_paths_written_with_a_string_constant(tmp_path):
    # A version prefix kept in one constant, used alone and inside template
    # literals; a prefix imported from another module stays unknown ('*').
    ws = make_workspace(tmp_path, {
        "src/server.ts": """
            import express from 'express';
            import { shipmentsRouter } from './shipments';
            import { carriersRouter } from './carriers';
            import { healthRouter } from './health';
            import { LEGACY_PREFIX } from './config';

            const API_VERSION = '/api/v3';
            const app = express();
            app.use(API_VERSION, healthRouter);
            app.use(`${API_VERSION}/shipments`, shipmentsRouter);
            app.use(`${LEGACY_PREFIX}/carriers`, carriersRouter);
            app.get(`${API_VERSION}/status`, (_req, res) => res.json({ ok: true }));
            let region = '/eu';
            region = process.env.REGION ?? region;
            app.get(`${region}/quota`, (_req, res) => res.json({}));
            app.listen(8080);
        """,
        "src/health.ts": """
            import { Router } from 'express';
            export const healthRouter = Router();
            healthRouter.get('/ping', (_req, res) => res.send('pong'));
        """,
        "src/shipments.ts": """
            import { Router } from 'express';
            import { prisma } from './prisma';
            export const shipmentsRouter = Router();
            shipmentsRouter.get('/:id', async (req, res) => {
              res.json(await prisma.readListItem.findUnique({ where: { id: req.params.id } }));
            });
        """,
        "src/carriers.ts": """
            import { Router } from 'express';
            export const carriersRouter = Router();
            carriersRouter.get('/', (_req, res) => res.json([]));
        """,
        "src/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
    })
    assert sorted(table(ws)) == [
        ("GET", "/*/carriers"),
        ("GET", "/*/quota"),  # `let`: not a constant
        ("GET", "/api/v3/ping"),
        ("GET", "/api/v3/shipments/:id"),
        ("GET", "/api/v3/status"),
    ]
    assert len(table(ws)[("GET", "/api/v3/shipments/:id")].queries) == 1


def test_the_route_model_outlives_edits_of_files_it_was_not_built_from():
    """Typing in a service goes through many structures (an unclosed `{`
    ends its class early): the model of every route is rebuilt only when a
    file it read changed, or a file now declares routes."""
    from perfaudit.server.express.routes import route_model

    ws = load("shop")
    model = route_model(ws)
    logger = str(FIXTURES / "shop/src/lib/logger.ts")
    assert logger not in model.read
    text = (FIXTURES / "shop/src/lib/logger.ts").read_text()
    ws.set_source(logger, text + "\nexport function audit(event: string) {\n  if (event) {\n")  # half-typed
    ws.set_source(logger, text + "\nexport function audit(event: string) {\n  return event;\n}\n")
    assert route_model(ws) is model

    stats = str(FIXTURES / "shop/src/routes/stats.routes.ts")
    assert stats in model.read
    routes_text = (FIXTURES / "shop/src/routes/stats.routes.ts").read_text()
    ws.set_source(stats, routes_text + "\nstatsRouter.get('/daily', async (_req, res) => {\n  res.json(await statsService.overview());\n});\n")
    rebuilt = route_model(ws)
    assert rebuilt is not model and ("GET", "/api/stats/daily") in table(ws)

    # A file that starts declaring routes is read even though it never was.
    ws.set_source(logger, text + "\nimport { Router } from 'express';\nexport const auditRouter = Router();\n"
                  "auditRouter.get('/audit', (_req, res) => res.json([]));\n")
    assert route_model(ws) is not rebuilt
