"""R203 redis-sequential-commands."""

from pathlib import Path

from perfaudit.server.analysis.parsing import parse
from helpers import line_containing, lines_of, run_rules
from fixtures.redis.shapes import CACHE_WRAPPER, IOREDIS_LIB, NODE_REDIS_LIB

RATE_LIMITER = """
    import type { NextFunction, Request, Response } from 'express';
    import { redis } from '../lib/redis';

    export function rateLimit(windowMs: number, max: number) {
      return async (req: Request, res: Response, next: NextFunction) => {
        const key = `rl:${req.ip}`;
        const now = Date.now();
        await redis.zadd(key, now, `${now}:${Math.random()}`);
        await redis.zremrangebyscore(key, 0, now - windowMs);
        const hits = await redis.zcard(key);
        await redis.expire(key, Math.ceil(windowMs / 1000));
        if (hits > max) return res.status(429).end();
        next();
      };
    }
    """


def _apply(finding) -> bytes:
    data = Path(finding.path).read_bytes()
    for edit in sorted(finding.fixes[0].edits, key=lambda e: e.start, reverse=True):
        data = data[: edit.start] + edit.new_text.encode() + data[edit.end :]
    return data


def test_four_command_run_and_pipeline_fix(tmp_path):
    found = run_rules(tmp_path, {**IOREDIS_LIB, "src/middleware/rateLimit.ts": RATE_LIMITER}, "R203")
    assert lines_of(tmp_path, found) == [("src/middleware/rateLimit.ts", line_containing(RATE_LIMITER, "zadd"), "R203")]
    fixed = _apply(found[0])
    tree = parse(fixed, "typescript")
    assert not tree.root_node.has_error
    text = fixed.decode()
    assert ".pipeline()" in text and ".exec();" in text
    order = [text.index(f".{c}(") for c in ("zadd", "zremrangebyscore", "zcard", "expire")]
    assert order == sorted(order)
    # `hits` is the value of the third reply ([err, value] pairs), errors rethrown.
    assert "const [, , [, hits]] = results as [Error | null, any][];" in text
    assert "for (const [err] of results) if (err) throw err;" in text
    assert "await redis.zadd" not in text
    # The fixed file has no R203 left.
    (tmp_path / "src/middleware/rateLimit.ts").write_bytes(fixed)
    assert run_rules(tmp_path, {}, "R203") == []


def test_data_dependence_breaks_the_run(tmp_path):
    text = """
        import { redis } from '../lib/redis';

        export async function resolveShortLink(code: string) {
          const target = await redis.get(`link:${code}`);
          const hits = await redis.hincrby(`stats:${target}`, 'hits', 1);
          return { target, hits };
        }

        export async function withWorkBetween(id: string) {
          const a = await redis.get(`a:${id}`);
          if (!a) return null;
          const b = await redis.get(`b:${id}`);
          return [a, b];
        }
        """
    assert run_rules(tmp_path, {**IOREDIS_LIB, "src/services/links.ts": text}, "R203") == []


def test_through_wrapper_reports_without_fix(tmp_path):
    text = """
        import { cache } from './cache.service';

        export class DashboardService {
          async load(userId: string) {
            const prefs = await cache.get(`prefs:${userId}`);
            const stats = await cache.get(`stats:${userId}`);
            return { prefs, stats };
          }
        }
        """
    files = {**IOREDIS_LIB, **CACHE_WRAPPER, "src/services/dashboard.service.ts": text}
    found = run_rules(tmp_path, files, "R203")
    assert lines_of(tmp_path, found) == [("src/services/dashboard.service.ts", line_containing(text, "prefs:"), "R203")]
    assert found[0].fixes == ()


def test_node_redis_uses_exec_as_pipeline(tmp_path):
    text = """
        import { redisClient } from '../lib/redis';

        export async function profile(id: string) {
          const name = await redisClient.hGet(`user:${id}`, 'name');
          const visits = await redisClient.get(`visits:${id}`);
          return { name, visits };
        }
        """
    found = run_rules(tmp_path, {**NODE_REDIS_LIB, "src/services/profile.ts": text}, "R203")
    assert len(found) == 1
    fixed = _apply(found[0]).decode()
    assert ".multi()" in fixed and ".execAsPipeline();" in fixed
    assert "const [name, visits] = results;" in fixed
    assert not parse(fixed.encode(), "typescript").root_node.has_error


def test_transaction_words_give_multi_and_different_clients_are_separate(tmp_path):
    text = """
        import { redis, subscriber } from '../lib/redis';

        export async function transferPointsAtomically(from: string, to: string, n: number) {
          await redis.decrby(`points:${from}`, n);
          await redis.incrby(`points:${to}`, n);
        }

        export async function twoConnections(channel: string) {
          await redis.publish(channel, 'a');
          await subscriber.get('x');
        }
        """
    found = run_rules(tmp_path, {**IOREDIS_LIB, "src/services/points.ts": text}, "R203")
    assert lines_of(tmp_path, found) == [("src/services/points.ts", 4, "R203")]
    assert ".multi()" in _apply(found[0]).decode()
