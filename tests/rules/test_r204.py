"""R204 redis-commands-in-loop."""

from helpers import line_containing, lines_of, run_rules
from fixtures.redis.shapes import AUTO_PIPELINE_LIB, CACHE_WRAPPER, IOREDIS_LIB

BOOKS = """
    import { redis } from '../lib/redis';
    import { cache } from './cache.service';

    export class BookService {
      async getSummaries(ids: string[]) {
        const result: Record<string, string | null> = {};
        for (const id of ids) {
          const raw = await redis.get(`summary:${id}`);
          result[id] = raw;
        }
        return result;
      }

      async warm(ids: string[]) {
        await Promise.all(ids.map(async (id) => {
          const book = await cache.get(`book:${id}`);
          return book;
        }));
      }

      async getSummariesBatch(ids: string[]) {
        return redis.mget(ids.map((id) => `summary:${id}`));
      }

      async prime(books: { id: string }[]) {
        const pipeline = redis.pipeline();
        for (const book of books) {
          pipeline.set(`summary:${book.id}`, JSON.stringify(book), 'EX', 3600);
        }
        await pipeline.exec();
      }

      async clearAll() {
        for await (const keys of redis.scanStream({ match: 'summary:*', count: 500 })) {
          if (keys.length) await redis.unlink(...keys);
        }
      }

      async fixedKeys() {
        for (const k of ['a', 'b']) await redis.del(k);
      }
    }
    """


def test_loop_and_fan_out_through_wrapper(tmp_path):
    files = {**IOREDIS_LIB, **CACHE_WRAPPER, "src/services/book.service.ts": BOOKS}
    found = run_rules(tmp_path, files, "R204")
    assert lines_of(tmp_path, found) == [
        ("src/services/book.service.ts", line_containing(BOOKS, "redis.get(`summary"), "R204"),
        ("src/services/book.service.ts", line_containing(BOOKS, "cache.get(`book"), "R204"),
    ]
    assert "mget" in found[0].message
    assert "RedisService.get" in found[1].message and found[1].related


def test_auto_pipelining_client_skips_only_the_fan_out(tmp_path):
    text = """
        import { redis } from '../lib/redis';

        export async function loadAll(ids: string[]) {
          return Promise.all(ids.map((id) => redis.get(`user:${id}`)));
        }

        export async function loadOneByOne(ids: string[]) {
          const out = [];
          for (const id of ids) out.push(await redis.get(`user:${id}`));
          return out;
        }
        """
    found = run_rules(tmp_path, {**AUTO_PIPELINE_LIB, "src/services/users.ts": text}, "R204")
    assert lines_of(tmp_path, found) == [("src/services/users.ts", line_containing(text, "out.push"), "R204")]
    # The same code on a plain client: both are per-item commands.
    found = run_rules(tmp_path, {**IOREDIS_LIB}, "R204")
    assert [line for _, line, _ in lines_of(tmp_path, found)] == [line_containing(text, "Promise.all"), line_containing(text, "out.push")]


def test_points_at_the_command_not_the_calls_around_its_result(tmp_path):
    text = """
        import { redis } from '../lib/redis';

        export async function parseAll(ids: string[]) {
          const out = [];
          for (const id of ids) {
            out.push(JSON.parse((await redis.get(`doc:${id}`)) ?? 'null'));
          }
          return out;
        }
        """
    found = run_rules(tmp_path, {**IOREDIS_LIB, "src/services/docs.ts": text}, "R204")
    assert len(found) == 1
    assert open(found[0].path).read()[found[0].start:].startswith("redis.get(`doc:")


def test_map_and_router_in_loops_are_not_redis(tmp_path):
    text = """
        import express from 'express';

        const router = express.Router();
        const cache = new Map<string, string>();

        export function lookup(ids: string[]) {
          return ids.map((id) => cache.get(id));
        }

        for (const path of ['/a', '/b']) router.get(path, (_req, res) => res.end());
        """
    assert run_rules(tmp_path, {"src/app.ts": text}, "R204") == []


def test_a_client_behind_a_singleton_guard(tmp_path):
    files = {
        "src/lib/redis.ts": """\
            import Redis from 'ioredis';
            const globalForRedis = globalThis as unknown as { redis?: Redis };
            export const redis = globalForRedis.redis ?? new Redis(process.env.REDIS_URL!);
            """,
        "src/cache/warm.ts": """\
            import { redis } from '../lib/redis';
            export async function warm(keys: string[]) {
              for (const key of keys) {
                await redis.get(key);
              }
            }
            """,
    }
    findings = run_rules(tmp_path, files, "R204")
    assert lines_of(tmp_path, findings) == [("src/cache/warm.ts", 4, "R204")]
