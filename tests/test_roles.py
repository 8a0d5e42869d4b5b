"""File roles: request-path rules stay silent in tests, seeds, scripts,
migrations and fixtures; index advice counts serving code only; test clients
declare no routes."""

import json

from helpers import lines_of, make_workspace, run_rules, write_files
from perfaudit.server.analysis.roles import FileRole, glob_matches, role_of
from perfaudit.server.config import ConfigError, config_from_dict
from perfaudit.server.engine import analyze
from perfaudit.server.express.routes import routes

import pytest

# One N+1 shape, copied into files of every role.
BACKFILL = """\
    import { prisma } from '{up}lib/prisma';

    export async function backfillTitles(ids: string[]) {
      for (const id of ids) {
        const post = await prisma.post.findUnique({ where: { id }, select: { id: true, title: true } });
        if (post) console.log(post.title);
      }
    }
    """

PACKAGE = {
    "name": "@acme/api",
    "main": "dist/main.js",
    "scripts": {
        "start": "node dist/main.js",
        "dev": "tsx watch src/main.ts",
        "backfill:titles": "tsx src/jobs/backfill-titles.ts --dry-run",
        "reindex": "node dist/jobs/reindex.js",
        "test": "jest",
    },
    "prisma": {"seed": "ts-node --transpile-only prisma/demo-data.ts"},
}


def monorepo() -> dict[str, str]:
    api = "apps/api/"
    files = {
        "package.json": json.dumps({"name": "acme", "private": True, "workspaces": ["apps/*"]}),
        f"{api}package.json": json.dumps(PACKAGE),
        f"{api}prisma/schema.prisma": open_schema(),
        f"{api}src/lib/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        f"{api}src/main.ts": "import { backfillTitles } from './services/titles';\nvoid backfillTitles;\n",
        f"{api}jest.config.ts": """\
            import type { Config } from 'jest';
            const config: Config = {
              testMatch: ['<rootDir>/src/**/*.int.ts'],
              coverageThreshold: { global: { lines: 80 } },
            };
            export default config;
            """,
        f"{api}playwright.config.ts": """\
            import { defineConfig } from '@playwright/test';
            export default defineConfig({ testDir: './browser', use: { baseURL: 'http://localhost:3000' } });
            """,
    }
    serving = {"src/services/titles.ts": "../", "src/main-helpers.ts": "./"}
    others = {
        "src/services/titles.spec.ts": "../",
        "src/services/titles.int.ts": "../",  # Jest testMatch
        "browser/titles.ts": "../src/",  # Playwright testDir
        "src/__tests__/titles.ts": "../",
        "prisma/demo-data.ts": "../src/",  # prisma.seed
        "src/seeds/users.ts": "../",
        "src/jobs/backfill-titles.ts": "../",  # a package.json script
        "src/jobs/reindex.ts": "../",  # run as dist/jobs/reindex.js
        "scripts/one-off.ts": "../src/",
        "src/migrations/0003-titles.ts": "../",
        "src/fixtures/posts.ts": "../",
    }
    for rel, up in {**serving, **others}.items():
        files[api + rel] = BACKFILL.replace("{up}", up)
    return files


def open_schema() -> str:
    from helpers import APP_SCHEMA

    return APP_SCHEMA


def test_roles_from_names_and_project_files(tmp_path):
    ws = make_workspace(tmp_path, monorepo(), schema=False)
    api = str(tmp_path / "apps" / "api")

    def role(rel):
        return role_of(ws, f"{api}/{rel}")

    assert role("src/services/titles.ts") is FileRole.SERVING
    assert role("src/main.ts") is FileRole.SERVING
    assert role("src/services/titles.spec.ts") is FileRole.TEST
    assert role("src/services/titles.int.ts") is FileRole.TEST
    assert role("browser/titles.ts") is FileRole.TEST
    assert role("src/__tests__/titles.ts") is FileRole.TEST
    assert role("jest.config.ts") is FileRole.TEST
    assert role("prisma/demo-data.ts") is FileRole.SEED
    assert role("src/seeds/users.ts") is FileRole.SEED
    assert role("src/jobs/backfill-titles.ts") is FileRole.SCRIPT
    assert role("src/jobs/reindex.ts") is FileRole.SCRIPT
    assert role("scripts/one-off.ts") is FileRole.SCRIPT
    assert role("src/migrations/0003-titles.ts") is FileRole.MIGRATION
    assert role("src/fixtures/posts.ts") is FileRole.FIXTURE


def test_request_path_rules_report_only_in_serving_code(tmp_path):
    found = run_rules(tmp_path, monorepo(), "P104", schema=False)
    assert {path for path, _, _ in lines_of(tmp_path, found)} == {
        "apps/api/src/services/titles.ts",
        "apps/api/src/main-helpers.ts",
    }


def test_one_switch_brings_them_back(tmp_path):
    write_files(tmp_path, {**monorepo(), "perfaudit.toml": "[roles]\nreport-non-serving = true\n"})
    from perfaudit.server.config import load_config

    result = analyze(str(tmp_path), None, load_config(str(tmp_path)))
    paths = {result.workspace.relpath(f.path) for f in result.findings if f.code == "P104"}
    assert "apps/api/src/services/titles.spec.ts" in paths
    assert "apps/api/src/jobs/backfill-titles.ts" in paths
    assert len(paths) == 13


def test_configured_globs_give_roles(tmp_path):
    toml = '[roles]\nscript = ["apps/api/src/main-helpers.ts"]\nserving = ["apps/api/scripts/**"]\n'
    write_files(tmp_path, {**monorepo(), "perfaudit.toml": toml})
    from perfaudit.server.config import load_config

    result = analyze(str(tmp_path), None, load_config(str(tmp_path)))
    paths = {result.workspace.relpath(f.path) for f in result.findings if f.code == "P104"}
    assert paths == {"apps/api/src/services/titles.ts", "apps/api/scripts/one-off.ts"}


def test_non_request_rules_still_report_in_scripts(tmp_path):
    """R201 (a key that never expires) is about the data, not a request's cost."""
    files = {
        "package.json": json.dumps({"scripts": {"warm": "tsx scripts/warm.ts"}}),
        "scripts/warm.ts": """\
            import Redis from 'ioredis';
            const redis = new Redis(process.env.REDIS_URL!);
            export async function warm(id: string, json: string) {
              await redis.set(`book:${id}`, json);
            }
            """,
    }
    assert [c for _, _, c in lines_of(tmp_path, run_rules(tmp_path, files, "R201", schema=False))] == ["R201"]


def test_index_advice_counts_only_serving_query_sites(tmp_path):
    report = """\
        import { prisma } from '../lib/prisma';
        export async function postsTitled(title: string) {
          return prisma.post.findMany({ where: { title }, select: { id: true }, take: 20 });
        }
        """
    files = {
        "src/lib/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        "src/services/__tests__/posts.ts": report,
        "src/seeds/posts.ts": report,
    }
    assert run_rules(tmp_path / "a", files, "P105") == []
    files["src/services/posts.ts"] = report
    found = run_rules(tmp_path / "b", files, "P105")
    schema_finding = [f for f in found if f.path.endswith(".prisma")]
    assert len(schema_finding) == 1 and "by 1 query site" in schema_finding[0].message


def test_test_client_requests_are_never_routes(tmp_path):
    files = {
        "src/app.ts": """\
            import express from 'express';
            export const app = express();
            app.get('/api/books', (req, res) => res.json([]));
            """,
        "src/smoke.ts": """\
            import request from 'supertest';
            import { app } from './app';
            export async function smoke() {
              await request(app).get('/api/health').expect(200);
              await request(app).post('/api/books').send({ title: 'x' });
            }
            """,
        "e2e/books.ts": """\
            import { test, expect } from '@playwright/test';
            test('lists books', async ({ request }) => {
              const res = await request.get('/api/books', { params: { page: 1 } });
              expect(res.ok()).toBeTruthy();
            });
            """,
        "src/client.ts": """\
            import type { APIRequestContext } from '@playwright/test';
            export async function createBook(request: APIRequestContext, title: string) {
              return request.post('/api/books', { data: { title } });
            }
            """,
        "test/helpers/api.ts": """\
            export async function listBooks(api: { get(url: string, init: object): Promise<unknown> }) {
              return api.get('/api/books', { headers: { accept: 'application/json' } });
            }
            """,
    }
    ws = make_workspace(tmp_path, files, schema=False)
    assert [(r.method, r.path) for r in routes(ws)] == [("GET", "/api/books")]


def test_globs_as_test_runners_write_them():
    assert glob_matches("**/?(*.)+(spec|test).[jt]s?(x)", "src/a/user.spec.ts")
    assert glob_matches("**/?(*.)+(spec|test).[jt]s?(x)", "src/a/user.test.tsx")
    assert not glob_matches("**/?(*.)+(spec|test).[jt]s?(x)", "src/a/user.service.ts")
    assert glob_matches("src/**/*.{int,e2e}.ts", "src/x/y.int.ts")
    assert glob_matches("tools", "apps/api/tools/x.ts")  # a bare name matches at any depth
    assert not glob_matches("src/*.ts", "src/a/b.ts")


def test_role_settings_are_validated():
    config = config_from_dict({"roles": {"test": ["qa/**"], "report-non-serving": True}}, "perfaudit.toml")
    assert config.roles == {"test": ["qa/**"]} and config.report_non_serving
    with pytest.raises(ConfigError, match=r"roles.tests: unknown role setting"):
        config_from_dict({"roles": {"tests": ["qa/**"]}}, "perfaudit.toml")
    with pytest.raises(ConfigError, match=r"roles.report-non-serving: expected true or false"):
        config_from_dict({"roles": {"report-non-serving": "yes"}}, "perfaudit.toml")
