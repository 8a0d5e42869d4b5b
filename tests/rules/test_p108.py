"""P108 prisma-pool-unbounded."""


from helpers import apply_fix, lines_of, run_rules

PASSWORD = "s3cr3t-Pa55w0rd"


def printed_text(finding) -> str:
    return " ".join([finding.message, *(r.message for r in finding.related), *(f.title for f in finding.fixes)])


def test_env_urls_without_connection_limit(tmp_path):
    files = {
        ".env": (
            "# local database\n"
            "NODE_ENV=development\n"
            f'DATABASE_URL="postgresql://app:{PASSWORD}@localhost:5432/app?schema=public"\n'
        ),
        ".env.production": f"export DATABASE_URL=postgres://app:{PASSWORD}@db.internal:5432/app # primary\n",
        ".env.example": "DATABASE_URL='postgresql://app:app@localhost:5432/app?schema=public&connection_limit=5'\n",
        ".env.test": 'DATABASE_URL="file:./test.db"\n',
        "package.json": '{"dependencies": {"@prisma/client": "^6.5.0"}}',
    }
    findings = sorted(run_rules(tmp_path, files, "P108"), key=lambda f: f.path)
    assert lines_of(tmp_path, findings) == [(".env", 3, "P108"), (".env.production", 1, "P108")]
    for f in findings:
        assert PASSWORD not in printed_text(f)
        assert f.fixes[0].title == "Add connection_limit=10"
    dotenv, production = findings
    assert f'DATABASE_URL="postgresql://app:{PASSWORD}@localhost:5432/app?schema=public&connection_limit=10"\n' in apply_fix(dotenv)
    assert apply_fix(production) == f"export DATABASE_URL=postgres://app:{PASSWORD}@db.internal:5432/app?connection_limit=10 # primary\n"


def test_the_datasource_variable_is_the_one_checked(tmp_path):
    schema = """\
        datasource db {
          provider = "postgresql"
          url      = env("POSTGRES_PRISMA_URL")
        }

        model User {
          id String @id
        }
    """
    files = {
        "prisma/schema.prisma": schema,
        ".env": "DATABASE_URL=postgresql://a@h/db\nPOSTGRES_PRISMA_URL=postgresql://a@h/db\n",
    }
    findings = run_rules(tmp_path, files, "P108")
    assert lines_of(tmp_path, findings) == [(".env", 2, "P108")]


def test_driver_adapters_skip_the_url_and_check_the_pool(tmp_path):
    files = {
        ".env": f'DATABASE_URL="postgresql://app:{PASSWORD}@localhost:5432/app"\n',
        "package.json": '{"dependencies": {"@prisma/client": "^7.0.0", "@prisma/adapter-pg": "^7.0.0", "pg": "^8.13.0"}}',
        "src/lib/prisma.ts": """\
            import { PrismaClient } from '@prisma/client';
            import { PrismaPg } from '@prisma/adapter-pg';
            import { Pool } from 'pg';

            const pool = new Pool({
              connectionString: process.env.DATABASE_URL,
            });

            export const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
        """,
        "src/lib/reports-db.ts": """\
            import { PrismaClient } from '@prisma/client';
            import { PrismaPg } from '@prisma/adapter-pg';
            import pg from 'pg';

            export const inline = new PrismaPg(new pg.Pool({ connectionString: process.env.REPORTS_URL }));
            export const sized = new PrismaPg(new pg.Pool({ connectionString: process.env.REPORTS_URL, max: 5 }));
            export const config = new PrismaPg({ connectionString: process.env.DATABASE_URL });
            export const opaque = (opts: object) => new PrismaPg(new pg.Pool(opts));
        """,
    }
    findings = sorted(run_rules(tmp_path, files, "P108"), key=lambda f: (f.path, f.start))
    assert lines_of(tmp_path, findings) == [
        ("src/lib/prisma.ts", 5, "P108"),
        ("src/lib/reports-db.ts", 5, "P108"),
        ("src/lib/reports-db.ts", 7, "P108"),
    ]
    assert all(f.fixes[0].title == "Add max: 10" for f in findings)
    assert "const pool = new Pool({\n  max: 10,\n  connectionString: process.env.DATABASE_URL,\n});" in apply_fix(findings[0])
    assert "new PrismaPg(new pg.Pool({ max: 10, connectionString: process.env.REPORTS_URL }))" in apply_fix(findings[1])
    assert "new PrismaPg({ max: 10, connectionString: process.env.DATABASE_URL })" in apply_fix(findings[2])


def test_a_pool_not_from_pg_or_not_for_prisma_is_not_reported(tmp_path):
    files = {
        "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
        "src/db.ts": """\
            import { Pool } from 'generic-pool';
            import { Pool as PgPool } from 'pg';
            import { PrismaPg } from '@prisma/adapter-pg';

            export const workers = new PrismaPg(new Pool({}));
            export const raw = new PgPool({ connectionString: process.env.DATABASE_URL });
        """,
    }
    assert run_rules(tmp_path, files, "P108") == []


def test_no_prisma_no_finding(tmp_path):
    files = {".env": "DATABASE_URL=postgresql://a:b@h/db\n", "package.json": '{"dependencies": {"knex": "^3"}}'}
    assert run_rules(tmp_path, files, "P108", schema=False) == []


def test_a_pool_behind_a_singleton_guard(tmp_path):
    """`globalThis.pool ?? new Pool(...)`, the hot-reload guard of Next.js and
    tsx-watch setups, is still the Pool PrismaPg gets."""
    files = {
        "package.json": '{"dependencies": {"@prisma/client": "^7.0.0", "@prisma/adapter-pg": "^7.0.0", "pg": "^8.11.0"}}',
        "src/lib/db.ts": """\
            import { PrismaClient } from '@prisma/client';
            import { PrismaPg } from '@prisma/adapter-pg';
            import { Pool } from 'pg';

            const globalForDb = globalThis as unknown as { pool?: Pool; prisma?: PrismaClient };
            const pool = globalForDb.pool ?? new Pool({ connectionString: process.env.DATABASE_URL });
            export const prisma = globalForDb.prisma ?? new PrismaClient({ adapter: new PrismaPg(pool) });
            if (process.env.NODE_ENV !== 'production') {
              globalForDb.pool = pool;
              globalForDb.prisma = prisma;
            }
            """,
    }
    findings = run_rules(tmp_path, files, "P108")
    assert lines_of(tmp_path, findings) == [("src/lib/db.ts", 6, "P108")]
