"""Module resolution as TypeScript and the package managers do it: tsconfig
`extends` chains, `paths`, the governing config, workspace packages."""

from helpers import make_workspace


def resolve(ws, importer: str, spec: str):
    found = ws.index.resolve_module(f"{ws.root}/{importer}", spec)
    return ws.relpath(found) if found else None


# ------------------------------------------------------------ tsconfig


NX_BASE = {
    "tsconfig.base.json": """\
        {
          // Nx keeps every alias here; apps and libs extend it.
          "compilerOptions": {
            "baseUrl": ".",
            "paths": {
              "@shop/orders/data-access": ["libs/orders/data-access/src/index.ts"],
              "@shop/shared/*": ["libs/shared/*/src/index.ts"],
            },
          },
        }
        """,
    "apps/api/tsconfig.json": '{ "extends": "../../tsconfig.base.json", "files": [], "include": [], "references": [{ "path": "./tsconfig.app.json" }] }\n',
    "apps/api/tsconfig.app.json": '{ "extends": "./tsconfig.json", "compilerOptions": { "outDir": "../../dist/apps/api" }, "include": ["src/**/*.ts"] }\n',
    "apps/api/src/main.ts": "import { OrdersRepository } from '@shop/orders/data-access';\nimport { money } from '@shop/shared/util';\n",
    "libs/orders/data-access/src/index.ts": "export class OrdersRepository {}\n",
    "libs/shared/util/src/index.ts": "export const money = 1;\n",
}


def test_paths_reached_through_an_extends_chain_resolve_relative_to_the_base(tmp_path):
    ws = make_workspace(tmp_path, NX_BASE, schema=False)
    assert resolve(ws, "apps/api/src/main.ts", "@shop/orders/data-access") == "libs/orders/data-access/src/index.ts"
    assert resolve(ws, "apps/api/src/main.ts", "@shop/shared/util") == "libs/shared/util/src/index.ts"
    assert resolve(ws, "apps/api/src/main.ts", "@shop/shared/nothing") is None
    assert ws.modules.governing_config(f"{ws.root}/apps/api/src/main.ts") == f"{ws.root}/apps/api/tsconfig.app.json"
    assert ws.warnings() == []


def test_paths_without_base_url_are_relative_to_the_config_that_declares_them(tmp_path):
    ws = make_workspace(tmp_path, {
        "configs/tsconfig.paths.json": '{ "compilerOptions": { "paths": { "#db/*": ["../packages/db/src/*"] } } }\n',
        "services/billing/tsconfig.json": '{ "extends": "../../configs/tsconfig.paths" }\n',
        "services/billing/src/invoice.ts": "import { prisma } from '#db/client';\n",
        "packages/db/src/client.ts": "export const prisma = 1;\n",
    }, schema=False)
    assert resolve(ws, "services/billing/src/invoice.ts", "#db/client") == "packages/db/src/client.ts"


def test_config_dir_and_several_targets_per_alias(tmp_path):
    ws = make_workspace(tmp_path, {
        "tsconfig.base.json": '{ "compilerOptions": { "paths": { "@/*": ["${configDir}/src/generated/*", "${configDir}/src/*"] } } }\n',
        "apps/web/tsconfig.json": '{ "extends": "../../tsconfig.base.json" }\n',
        "apps/web/src/lib/db.ts": "export const db = 1;\n",
        "apps/web/src/generated/api.ts": "export const api = 1;\n",
        "apps/web/src/page.ts": "import { db } from '@/lib/db';\n",
        "apps/admin/tsconfig.json": '{ "extends": "../../tsconfig.base.json" }\n',
        "apps/admin/src/lib/db.ts": "export const db = 2;\n",
        "apps/admin/src/page.ts": "import { db } from '@/lib/db';\n",
    }, schema=False)
    # ${configDir} is the directory of the config that extends the base.
    assert resolve(ws, "apps/web/src/page.ts", "@/lib/db") == "apps/web/src/lib/db.ts"
    assert resolve(ws, "apps/admin/src/page.ts", "@/lib/db") == "apps/admin/src/lib/db.ts"
    # The first target that exists wins.
    assert resolve(ws, "apps/web/src/page.ts", "@/api") == "apps/web/src/generated/api.ts"


def test_the_most_specific_pattern_wins_and_extends_lists_apply_in_order(tmp_path):
    ws = make_workspace(tmp_path, {
        "tsconfig.a.json": '{ "compilerOptions": { "paths": { "@app/*": ["a/*"] } } }\n',
        "tsconfig.b.json": '{ "compilerOptions": { "paths": { "@app/*": ["src/*"], "@app/api/*": ["src/api/v2/*"] } } }\n',
        "tsconfig.json": '{ "extends": ["./tsconfig.a.json", "./tsconfig.b.json"] }\n',
        "src/api/v2/users.ts": "export const users = 1;\n",
        "src/api/users.ts": "export const old = 1;\n",
        "src/db.ts": "export const db = 1;\n",
        "src/main.ts": "",
    }, schema=False)
    assert resolve(ws, "src/main.ts", "@app/api/users") == "src/api/v2/users.ts"
    assert resolve(ws, "src/main.ts", "@app/db") == "src/db.ts"


def test_a_file_outside_a_projects_include_is_governed_by_the_next_config_up(tmp_path):
    ws = make_workspace(tmp_path, {
        "tsconfig.json": '{ "compilerOptions": { "paths": { "~/*": ["./src/*"] } } }\n',
        "scripts/tsconfig.json": '{ "compilerOptions": { "paths": { "~/*": ["./nowhere/*"] } }, "include": ["tools/**/*"] }\n',
        "scripts/seed.ts": "import { db } from '~/db';\n",
        "src/db.ts": "export const db = 1;\n",
    }, schema=False)
    assert ws.modules.governing_config(f"{ws.root}/scripts/seed.ts") == f"{ws.root}/tsconfig.json"
    assert resolve(ws, "scripts/seed.ts", "~/db") == "src/db.ts"


# ------------------------------------------------------------ workspace packages


PNPM = {
    "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n  - 'packages/*'\n  - '!packages/legacy'\n",
    "package.json": '{ "name": "acme", "private": true }\n',
    "packages/db/package.json": """\
        {
          "name": "@acme/db",
          "exports": {
            ".": { "types": "./dist/index.d.ts", "import": "./dist/index.mjs", "require": "./dist/index.cjs" },
            "./client": { "types": "./dist/client.d.ts", "default": "./dist/client.js" },
            "./models/*": "./dist/models/*.js",
            "./internal/*": null
          }
        }
        """,
    "packages/db/tsconfig.json": '{ "compilerOptions": { "outDir": "dist", "rootDir": "src" } }\n',
    "packages/db/src/index.ts": "export * from './client';\n",
    "packages/db/src/client.ts": "export const prisma = 1;\n",
    "packages/db/src/models/user.ts": "export const user = 1;\n",
    "packages/db/src/internal/secret.ts": "export const s = 1;\n",
    "packages/mailer/package.json": '{ "name": "@acme/mailer", "main": "build/main.js", "types": "build/main.d.ts" }\n',
    "packages/mailer/src/main.ts": "export const send = 1;\n",
    "packages/legacy/package.json": '{ "name": "@acme/legacy", "main": "index.js" }\n',
    "packages/legacy/index.js": "module.exports = {};\n",
    "packages/source-first/package.json": '{ "name": "@acme/source-first", "exports": { ".": { "development": "./src/entry.ts", "default": "./lib/entry.js" } } }\n',
    "packages/source-first/src/entry.ts": "export const e = 1;\n",
    "apps/api/package.json": '{ "name": "api", "dependencies": { "@acme/db": "workspace:*" } }\n',
    "apps/api/src/main.ts": "import { prisma } from '@acme/db';\n",
}


def test_a_workspace_package_resolves_through_exports_to_its_source(tmp_path):
    ws = make_workspace(tmp_path, PNPM, schema=False)
    main = "apps/api/src/main.ts"
    assert resolve(ws, main, "@acme/db") == "packages/db/src/index.ts"
    assert resolve(ws, main, "@acme/db/client") == "packages/db/src/client.ts"
    assert resolve(ws, main, "@acme/db/models/user") == "packages/db/src/models/user.ts"
    assert resolve(ws, main, "@acme/source-first") == "packages/source-first/src/entry.ts"
    assert resolve(ws, main, "@acme/mailer") == "packages/mailer/src/main.ts"


def test_what_a_package_does_not_export_or_the_workspace_does_not_list_stays_unresolved(tmp_path):
    ws = make_workspace(tmp_path, PNPM, schema=False)
    main = "apps/api/src/main.ts"
    assert resolve(ws, main, "@acme/db/internal/secret") is None  # exported as null
    assert resolve(ws, main, "@acme/db/nothing") is None
    assert resolve(ws, main, "@acme/legacy") is None  # excluded by '!packages/legacy'
    assert resolve(ws, main, "express") is None
    assert ws.warnings() == []


def test_npm_workspaces_and_a_main_field_into_the_build_folder(tmp_path):
    ws = make_workspace(tmp_path, {
        "package.json": '{ "name": "root", "workspaces": { "packages": ["services/*", "shared/**"] } }\n',
        "shared/libs/cache/package.json": '{ "name": "@org/cache", "main": "./dist/index.js" }\n',
        "shared/libs/cache/src/index.ts": "export const cache = 1;\n",
        "services/users/package.json": '{ "name": "users" }\n',
        "services/users/src/app.ts": "import { cache } from '@org/cache';\n",
        "elsewhere/package.json": '{ "name": "@org/elsewhere" }\n',
        "elsewhere/index.ts": "export const x = 1;\n",
    }, schema=False)
    assert resolve(ws, "services/users/src/app.ts", "@org/cache") == "shared/libs/cache/src/index.ts"
    assert resolve(ws, "services/users/src/app.ts", "@org/elsewhere") is None


def test_without_declared_workspaces_every_named_package_is_one(tmp_path):
    ws = make_workspace(tmp_path, {
        "package.json": '{ "name": "nx-repo" }\n',
        "libs/auth/package.json": '{ "name": "@nx/auth", "types": "./src/index.ts" }\n',
        "libs/auth/src/index.ts": "export const guard = 1;\n",
        "apps/api/src/main.ts": "import { guard } from '@nx/auth';\n",
    }, schema=False)
    assert resolve(ws, "apps/api/src/main.ts", "@nx/auth") == "libs/auth/src/index.ts"


def test_tsconfig_paths_win_over_the_package_of_the_same_name(tmp_path):
    files = dict(PNPM)
    files["tsconfig.json"] = '{ "compilerOptions": { "paths": { "@acme/db": ["./packages/db/src/client.ts"] } } }\n'
    ws = make_workspace(tmp_path, files, schema=False)
    assert resolve(ws, "apps/api/src/main.ts", "@acme/db") == "packages/db/src/client.ts"


def test_extends_of_a_workspace_package_config(tmp_path):
    ws = make_workspace(tmp_path, {
        "package.json": '{ "name": "root", "workspaces": ["packages/*", "apps/*"] }\n',
        "packages/tsconfig/package.json": '{ "name": "@acme/tsconfig" }\n',
        "packages/tsconfig/base.json": '{ "compilerOptions": { "paths": { "@lib/*": ["${configDir}/src/lib/*"] } } }\n',
        "apps/api/package.json": '{ "name": "api" }\n',
        "apps/api/tsconfig.json": '{ "extends": "@acme/tsconfig/base.json" }\n',
        "apps/api/src/lib/log.ts": "export const log = 1;\n",
        "apps/api/src/main.ts": "",
    }, schema=False)
    assert resolve(ws, "apps/api/src/main.ts", "@lib/log") == "apps/api/src/lib/log.ts"


def test_subpath_imports_of_the_importing_package(tmp_path):
    ws = make_workspace(tmp_path, {
        "services/orders/package.json": """\
            { "name": "orders", "imports": { "#db": "./src/db/client.ts", "#lib/*": { "types": "./dist/lib/*.d.ts", "default": "./dist/lib/*.js" }, "#pg": "pg" } }
            """,
        "services/orders/src/db/client.ts": "export const prisma = 1;\n",
        "services/orders/src/lib/money.ts": "export const cents = 1;\n",
        "services/orders/src/handlers/create.ts": "",
        "services/other/package.json": '{ "name": "other" }\n',
        "services/other/src/main.ts": "",
    }, schema=False)
    create = "services/orders/src/handlers/create.ts"
    assert resolve(ws, create, "#db") == "services/orders/src/db/client.ts"
    assert resolve(ws, create, "#lib/money") == "services/orders/src/lib/money.ts"
    assert resolve(ws, create, "#pg") is None  # an external package
    assert resolve(ws, "services/other/src/main.ts", "#db") is None  # not this package's


def test_build_configs_map_exports_back_to_an_unusual_source_folder(tmp_path):
    ws = make_workspace(tmp_path, {
        "package.json": '{ "name": "root", "workspaces": ["packages/*"] }\n',
        "packages/queue/package.json": '{ "name": "@acme/queue", "exports": { ".": "./out/main/index.js", "./jobs": "./out/main/jobs.js" } }\n',
        "packages/queue/tsconfig.build.json": '{ "compilerOptions": { "outDir": "./out/main", "rootDir": "./source" } }\n',
        "packages/queue/source/index.ts": "export const q = 1;\n",
        "packages/queue/source/jobs.ts": "export const j = 1;\n",
        "packages/cache/package.json": '{ "name": "@acme/cache", "source": "./code/cache.ts", "exports": { ".": "./bundle/cache.js" } }\n',
        "packages/cache/code/cache.ts": "export const c = 1;\n",
        "app.ts": "",
    }, schema=False)
    assert resolve(ws, "app.ts", "@acme/queue") == "packages/queue/source/index.ts"
    assert resolve(ws, "app.ts", "@acme/queue/jobs") == "packages/queue/source/jobs.ts"
    assert resolve(ws, "app.ts", "@acme/cache") == "packages/cache/code/cache.ts"
