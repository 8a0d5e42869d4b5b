"""P107 prisma-client-not-singleton."""

from helpers import lines_of, run_rules

LIB_PRISMA = """\
    import { PrismaClient } from '@prisma/client';

    const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

    export const prisma = globalForPrisma.prisma ?? new PrismaClient();

    if (process.env.NODE_ENV !== 'production') globalForPrisma.prisma = prisma;
"""


def test_a_second_client_points_at_the_first(tmp_path):
    files = {
        "src/services/report.service.ts": """\
            import { PrismaClient } from '@prisma/client';

            export class ReportService {
              private readonly prisma = new PrismaClient();
            }

            export const reportService = new ReportService();
        """,
        "src/lib/prisma.ts": LIB_PRISMA,
    }
    findings = run_rules(tmp_path, files, "P107")
    assert lines_of(tmp_path, findings) == [("src/services/report.service.ts", 4, "P107")]
    [finding] = findings
    assert "src/lib/prisma.ts:5" in finding.message
    assert finding.related[0].path.endswith("src/lib/prisma.ts")
    assert finding.fixes == ()


def test_one_guarded_client_and_tests_seeds_scripts_are_fine(tmp_path):
    files = {
        "src/lib/prisma.ts": LIB_PRISMA,
        "prisma/seed.ts": "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n",
        "scripts/backfill.ts": "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n",
        "src/__tests__/users.test.ts": "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n",
        "test/setup.ts": "import { PrismaClient } from '@prisma/client';\nexport const db = new PrismaClient();\n",
        "src/users/users.spec.ts": "import { PrismaClient } from '@prisma/client';\nconst db = new PrismaClient();\n",
    }
    assert run_rules(tmp_path, files, "P107") == []


def test_client_per_call_fires_even_when_alone(tmp_path):
    files = {
        "src/routes/users.ts": """\
            import { Router } from 'express';
            import { PrismaClient } from '@prisma/client';

            export const router = Router();

            router.get('/users/:id', async (req, res) => {
              const prisma = new PrismaClient();
              res.json(await prisma.user.findUnique({ where: { id: req.params.id }, select: { id: true } }));
            });
        """,
    }
    [finding] = run_rules(tmp_path, files, "P107")
    assert lines_of(tmp_path, [finding]) == [("src/routes/users.ts", 7, "P107")]
    assert "runs each time it is called" in finding.message


def test_lazy_guard_and_main_called_once_are_fine(tmp_path):
    files = {
        "src/db.js": """\
            const { PrismaClient } = require('@prisma/client');

            let client;
            function getClient() {
              if (!client) {
                client = new PrismaClient();
              }
              return client;
            }
            module.exports = { getClient };
        """,
    }
    assert run_rules(tmp_path / "lazy", files, "P107") == []
    files = {
        "src/server.ts": """\
            import { PrismaClient } from '@prisma/client';

            async function main() {
              const prisma = new PrismaClient();
              await prisma.$connect();
            }

            main().catch(() => process.exit(1));
        """,
    }
    assert run_rules(tmp_path / "main", files, "P107") == []


def test_nest_prisma_service_is_the_singleton_pattern(tmp_path):
    files = {
        "src/prisma/prisma.service.ts": """\
            import { Injectable, OnModuleInit } from '@nestjs/common';
            import { PrismaClient } from '@prisma/client';

            @Injectable()
            export class PrismaService extends PrismaClient implements OnModuleInit {
              async onModuleInit() {
                await this.$connect();
              }
            }
        """,
        "src/users/users.service.ts": """\
            import { Injectable } from '@nestjs/common';
            import { PrismaService } from '../prisma/prisma.service';

            @Injectable()
            export class UsersService {
              constructor(private prisma: PrismaService) {}
            }
        """,
    }
    assert run_rules(tmp_path, files, "P107") == []


def test_constructor_of_a_class_made_per_request(tmp_path):
    files = {
        "src/repo.ts": """\
            import { PrismaClient } from '@prisma/client';

            export class UserRepo {
              private db: PrismaClient;
              constructor() {
                this.db = new PrismaClient();
              }
            }

            export function handler() {
              const repo = new UserRepo();
              return repo;
            }
        """,
    }
    findings = run_rules(tmp_path, files, "P107")
    assert lines_of(tmp_path, findings) == [("src/repo.ts", 6, "P107")]


def test_separate_packages_each_have_their_own_client(tmp_path):
    files = {
        "apps/api/package.json": '{"name": "api"}',
        "apps/api/src/lib/prisma.ts": LIB_PRISMA,
        "apps/worker/package.json": '{"name": "worker"}',
        "apps/worker/src/db.ts": "import { PrismaClient } from '@prisma/client';\nexport const db = new PrismaClient();\n",
        "apps/worker/src/jobs/sync.ts": "import { PrismaClient } from '@prisma/client';\nexport const again = new PrismaClient();\n",
    }
    findings = run_rules(tmp_path, files, "P107")
    assert lines_of(tmp_path, findings) == [("apps/worker/src/jobs/sync.ts", 2, "P107")]
    assert "src/db.ts:2" in findings[0].message


def test_seeder_files_and_folders_are_not_the_app(tmp_path):
    # A seeder's own client must not make the app's guarded client "another one".
    files = {
        "src/config/db.ts": """\
            import { PrismaClient } from '@prisma/client';

            const makeClient = () => new PrismaClient({ log: ['warn', 'error'] });

            declare global {
              var dbClient: undefined | ReturnType<typeof makeClient>;
            }

            export const db = globalThis.dbClient ?? makeClient();

            if (process.env.NODE_ENV !== 'production') globalThis.dbClient = db;
        """,
        "prisma/seeders/product.seeder.ts": "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n",
        "src/db/orders.seed.ts": "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n",
    }
    assert run_rules(tmp_path, files, "P107") == []


def test_clients_of_two_schemas_in_one_package_are_two_databases(tmp_path):
    main_schema = "generator client {\n  provider = \"prisma-client-js\"\n  output   = \"../src/generated/main\"\n}\nmodel User {\n  id Int @id\n}\n"
    events_schema = "generator client {\n  provider = \"prisma-client-js\"\n  output   = \"../src/generated/events\"\n}\nmodel Event {\n  id Int @id\n}\n"
    files = {
        "package.json": '{"name": "api"}',
        "prisma/main.prisma": main_schema,
        "db/events.prisma": events_schema,
        "prisma.config.ts": "export default { schema: 'prisma/main.prisma' };\n",
        "packages/events/package.json": '{"name": "events", "prisma": {"schema": "../../db/events.prisma"}}',
        "src/db.ts": "import { PrismaClient } from './generated/main';\nexport const db = new PrismaClient();\n",
        "src/events.ts": "import { PrismaClient } from './generated/events';\nexport const events = new PrismaClient();\n",
        "src/jobs/sync.ts": "import { PrismaClient } from '../generated/main';\nexport const again = new PrismaClient();\n",
    }
    findings = run_rules(tmp_path, files, "P107", schema=False)
    # The second main client is reported; the events client is another database.
    assert lines_of(tmp_path, findings) == [("src/jobs/sync.ts", 2, "P107")]
    assert "src/db.ts:2" in findings[0].message


REMEMBER = """\
    // A process-wide cache: the factory runs once per key, across hot reloads.
    const store = globalThis as unknown as { __singletons?: Map<string, unknown> };

    export function remember<T>(key: string, make: () => T): T {
      store.__singletons ??= new Map();
      if (!store.__singletons.has(key)) store.__singletons.set(key, make());
      return store.__singletons.get(key) as T;
    }
"""


def test_cache_helper_clients_and_read_replicas_are_not_duplicates(tmp_path):
    files = {
        "package.json": '{"name": "api", "dependencies": {"@prisma/client": "^5.22.0"}}',
        "src/lib/remember.ts": REMEMBER,
        "src/lib/prisma.ts": """\
            import { PrismaClient } from '@prisma/client';
            import { remember } from './remember';

            export const prisma = remember('prisma', () => new PrismaClient());
            export const replica = new PrismaClient({ datasources: { db: { url: process.env.REPLICA_URL } } });
            export const analytics = new PrismaClient({ datasourceUrl: process.env.ANALYTICS_URL });
        """,
    }
    assert run_rules(tmp_path, files, "P107") == []


def test_a_second_client_on_the_same_url_still_fires(tmp_path):
    files = {
        "package.json": '{"name": "api", "dependencies": {"@prisma/client": "^5.22.0"}}',
        "src/lib/remember.ts": REMEMBER,
        "src/lib/prisma.ts": """\
            import { PrismaClient } from '@prisma/client';
            import { remember } from './remember';

            export const prisma = remember('prisma', () => new PrismaClient());
            export const replica = new PrismaClient({ datasources: { db: { url: process.env.REPLICA_URL } } });
        """,
        "src/services/report.service.ts": """\
            import { PrismaClient } from '@prisma/client';

            const reporting = new PrismaClient({ datasources: { db: { url: process.env.REPLICA_URL } } });
            const other = new PrismaClient();

            export const totals = () => Promise.all([reporting.user.count(), other.post.count()]);
        """,
    }
    found = run_rules(tmp_path, files, "P107")
    assert [(p, line) for p, line, _ in lines_of(tmp_path, found)] == [
        ("src/services/report.service.ts", 3), ("src/services/report.service.ts", 4)]
