"""R205 uncached-expensive-read."""

from helpers import line_containing, lines_of, parses, run_rules

PRISMA = "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n"
REDIS = "import Redis from 'ioredis';\nexport const redis = new Redis();\n"
CACHE = """
    import { redis } from './redis';

    export class CacheService {
      async getOrSet<T>(key: string, fetcher: () => Promise<T>, ttl: number): Promise<T> {
        const hit = await redis.get(key);
        if (hit !== null) return JSON.parse(hit) as T;
        const value = await fetcher();
        await redis.set(key, JSON.stringify(value), 'EX', ttl);
        return value;
      }
    }

    export const cache = new CacheService();
"""
STATS = """
    import { prisma } from './prisma';

    export class StatsService {
      async overview() {
        const byRole = await prisma.user.groupBy({ by: ['role'], _count: { _all: true } });
        return { byRole };
      }
    }

    export const statsService = new StatsService();
"""
ROUTES = """
    import { Router } from 'express';
    import { statsService } from './stats.service';

    export const router = Router();

    router.get('/stats', async (_req, res) => res.json(await statsService.overview()));
    router.post('/stats/refresh', async (_req, res) => res.json(await statsService.overview()));
"""


def test_uncached_aggregate_fires_and_the_fix_uses_the_workspace_helper(tmp_path):
    files = {"src/prisma.ts": PRISMA, "src/redis.ts": REDIS, "src/cache.ts": CACHE, "src/stats.service.ts": STATS, "src/routes.ts": ROUTES}
    findings = run_rules(tmp_path, files, "R205")
    assert lines_of(tmp_path, findings) == [("src/routes.ts", line_containing(ROUTES, "router.get("), "R205")]
    fix = findings[0].fixes[0]
    stats_path = next(e.path for e in fix.edits)
    data = (tmp_path / "src/stats.service.ts").read_bytes()
    for e in sorted(fix.edits, key=lambda e: e.start, reverse=True):
        data = data[: e.start] + e.new_text.encode() + data[e.end :]
    fixed = data.decode()
    assert stats_path.endswith("stats.service.ts")
    assert "import { cache } from './cache';" in fixed
    assert "await cache.getOrSet('stats:overview', () => prisma.user.groupBy(" in fixed and ", 300);" in fixed
    assert parses(fixed)


def test_route_through_get_or_set_is_cached(tmp_path):
    stats = STATS.replace("import { prisma } from './prisma';", "import { prisma } from './prisma';\nimport { cache } from './cache';").replace(
        "await prisma.user.groupBy({ by: ['role'], _count: { _all: true } })",
        "await cache.getOrSet('stats:by-role', () => prisma.user.groupBy({ by: ['role'], _count: { _all: true } }), 300)")
    files = {"src/prisma.ts": PRISMA, "src/redis.ts": REDIS, "src/cache.ts": CACHE, "src/stats.service.ts": stats, "src/routes.ts": ROUTES}
    assert run_rules(tmp_path, files, "R205") == []


def test_without_a_helper_the_fix_adds_get_cached_data_once(tmp_path):
    files = {"src/prisma.ts": PRISMA, "src/redis.ts": REDIS, "src/stats.service.ts": STATS, "src/routes.ts": ROUTES}
    findings = run_rules(tmp_path, files, "R205")
    assert len(findings) == 1
    data = (tmp_path / "src/stats.service.ts").read_bytes()
    for e in sorted(findings[0].fixes[0].edits, key=lambda e: e.start, reverse=True):
        data = data[: e.start] + e.new_text.encode() + data[e.end :]
    fixed = data.decode()
    assert fixed.count("async function getCachedData<T>") == 1
    assert "import { redis } from './redis';" in fixed
    assert "await getCachedData('stats:overview', () => prisma.user.groupBy(" in fixed
    assert parses(fixed)


def test_bounded_find_many_is_not_expensive(tmp_path):
    stats = STATS.replace("prisma.user.groupBy({ by: ['role'], _count: { _all: true } })", "prisma.user.findMany({ take: 10, orderBy: { createdAt: 'desc' } })")
    files = {"src/prisma.ts": PRISMA, "src/stats.service.ts": stats, "src/routes.ts": ROUTES}
    assert run_rules(tmp_path, files, "R205") == []


def test_cache_read_through_a_client_getter_counts(tmp_path):
    # node-redis connected lazily at startup; helpers fetch it through a typed getter.
    files = {
        "src/prisma.ts": PRISMA,
        "src/redis.ts": """
            import { createClient, RedisClientType } from 'redis';

            let shared: RedisClientType | null = null;

            export async function openRedis(url: string) {
              const c = createClient({ url });
              await c.connect();
              shared = c as RedisClientType;
            }

            export const redisClient = (): RedisClientType => {
              if (!shared) throw new Error('redis not opened');
              return shared;
            };

            export async function readCache(key: string): Promise<string | null> {
              const client = redisClient();
              return client.get(key);
            }
        """,
        "src/report.service.ts": """
            import { prisma } from './prisma';
            import { readCache } from './redis';

            export async function salesReport() {
              const hit = await readCache('report:sales');
              if (hit) return JSON.parse(hit);
              return prisma.user.groupBy({ by: ['role'], _count: { _all: true } });
            }
        """,
        "src/routes.ts": """
            import { Router } from 'express';
            import { salesReport } from './report.service';

            export const router = Router();
            router.get('/reports/sales', async (_req, res) => {
              res.json(await salesReport());
            });
        """,
    }
    assert run_rules(tmp_path, files, "R205") == []


HEALTH = """
    import { Router } from 'express';
    import { prisma } from './prisma';

    export const health = Router();

    health.get('/readyz', async (_req, res) => {
      try {
        await prisma.$queryRaw`SELECT 1`;
        res.json({ ok: true });
      } catch {
        res.status(503).json({ ok: false });
      }
    });

    health.get('/clock', async (_req, res) => {
      const rows = await prisma.$queryRawUnsafe('SELECT now() AS at');
      res.json(rows);
    });

    health.get('/busiest', async (_req, res) => {
      const rows = await prisma.$queryRaw`SELECT author_id, count(*) FROM posts GROUP BY author_id`;
      res.json(rows);
    });
"""


def test_a_raw_query_that_reads_no_table_is_a_probe_not_an_expensive_read(tmp_path):
    findings = run_rules(tmp_path, {"src/prisma.ts": PRISMA, "src/health.ts": HEALTH}, "R205")
    assert lines_of(tmp_path, findings) == [("src/health.ts", line_containing(HEALTH, "health.get('/busiest'"), "R205")]


def test_cache_manager_wrap_from_its_factory_is_a_cache_in_front(tmp_path):
    """cache-manager without Nest: a memory store from `caching(...)`, and
    a typed parameter; a `wrap` on something else (a Map-like helper of
    the same name the index cannot see) is no cache."""
    stats = """
        import { caching, type Cache } from 'cache-manager';
        import { prisma } from './prisma';

        const memory = await caching('memory', { max: 100, ttl: 60_000 });

        export async function overview() {
          return memory.wrap('stats:overview', () => prisma.user.groupBy({ by: ['role'], _count: { _all: true } }));
        }

        export async function overviewVia(cache: Cache) {
          return cache.wrap('stats:overview', () => prisma.user.groupBy({ by: ['role'], _count: { _all: true } }));
        }

        export async function overviewUnknown(store: any) {
          return store.wrap('stats:overview', () => prisma.user.groupBy({ by: ['role'], _count: { _all: true } }));
        }
    """
    routes = """
        import { Router } from 'express';
        import { caching } from 'cache-manager';
        import { overview, overviewVia, overviewUnknown } from './stats.service';

        export const router = Router();
        const shared = await caching('memory');

        router.get('/stats', async (_req, res) => res.json(await overview()));
        router.get('/stats/via', async (_req, res) => res.json(await overviewVia(shared)));
        router.get('/stats/unknown', async (_req, res) => res.json(await overviewUnknown(shared)));
    """
    findings = run_rules(tmp_path, {"src/prisma.ts": PRISMA, "src/stats.service.ts": stats, "src/routes.ts": routes}, "R205")
    assert [f.message.split(" recomputes")[0] for f in findings] == ["GET /stats/unknown"]


def test_a_count_that_totals_a_page_is_not_an_expensive_read(tmp_path):
    """`Promise.all([findMany({ where, skip, take }), count({ where })])`: the
    count is the page's total. A count alone, or beside a findMany of another
    model, is still reported."""
    service = """
        import { prisma } from './prisma';

        export async function postsPage(page: number, pageSize = 20) {
          const where = { published: true };
          const [data, total] = await Promise.all([
            prisma.post.findMany({ where, skip: (page - 1) * pageSize, take: pageSize, select: { id: true, title: true } }),
            prisma.post.count({ where }),
          ]);
          return { data, total, page, pageSize };
        }

        export async function postsWithUserCount(page: number) {
          const [data, users] = await Promise.all([
            prisma.post.findMany({ skip: page * 20, take: 20, select: { id: true } }),
            prisma.user.count(),
          ]);
          return { data, users };
        }
    """
    routes = """
        import { Router } from 'express';
        import { postsPage, postsWithUserCount } from './posts.service';

        export const router = Router();

        router.get('/posts', async (req, res) => res.json(await postsPage(Number(req.query.page) || 1)));
        router.get('/posts/with-users', async (req, res) => res.json(await postsWithUserCount(Number(req.query.page) || 0)));
    """
    findings = run_rules(tmp_path, {"src/prisma.ts": PRISMA, "src/posts.service.ts": service, "src/routes.ts": routes}, "R205")
    assert [f.message.split(" recomputes")[0] for f in findings] == ["GET /posts/with-users"]
