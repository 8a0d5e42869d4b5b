"""R201 redis-set-without-ttl."""

from pathlib import Path

from perfaudit.server.analysis.parsing import parse
from helpers import line_containing, lines_of, run_rules
from fixtures.redis.shapes import CACHE_WRAPPER, IOREDIS_LIB, NEST_PROVIDER, NODE_REDIS_LIB

USER_SERVICE = """
    import { redis } from '../lib/redis';

    export class UserService {
      async touch(userId: string) {
        await redis.set(`user:${userId}:last-seen`, Date.now().toString());
      }

      async remember(userId: string, profile: object) {
        await redis.set(`profile:${userId}`, JSON.stringify(profile), 'EX', 600);
      }

      async setFlag(name: string, on: boolean) {
        // Feature flags persist: KEEPTTL keeps whatever expiry the key has.
        await redis.set(`flag:${name}`, on ? '1' : '0', 'KEEPTTL');
      }

      async trackVisit(userId: string) {
        await redis.sadd('visitors:today', userId);
      }
    }
    """


def test_direct_writes_module_singleton(tmp_path):
    found = run_rules(tmp_path, {**IOREDIS_LIB, "src/services/user.service.ts": USER_SERVICE}, "R201")
    assert lines_of(tmp_path, found) == [
        ("src/services/user.service.ts", line_containing(USER_SERVICE, "last-seen"), "R201"),
        ("src/services/user.service.ts", line_containing(USER_SERVICE, "visitors:today"), "R201"),
    ]


RATE_LIMITER = """
    import type { NextFunction, Request, Response } from 'express';
    import { redis } from '../lib/redis';

    export function rateLimit(windowMs: number, max: number) {
      return async (req: Request, res: Response, next: NextFunction) => {
        const key = `rl:${req.ip}`;
        const now = Date.now();
        await redis.zadd(key, now, `${now}`);
        await redis.zremrangebyscore(key, 0, now - windowMs);
        const hits = await redis.zcard(key);
        await redis.expire(key, Math.ceil(windowMs / 1000));
        if (hits > max) return res.status(429).end();
        next();
      };
    }

    export async function countLogin(userId: string) {
      const key = `logins:${userId}`;
      await redis.multi().incr(key).expire(key, 3600).exec();
    }

    export async function consumeToken(token: string) {
      await redis.set(`used:${token}`, '1');
      await redis.del(`used:${token}`);
    }
    """


def test_expired_or_deleted_in_same_function_is_clean(tmp_path):
    assert run_rules(tmp_path, {**IOREDIS_LIB, "src/middleware/rateLimit.ts": RATE_LIMITER}, "R201") == []


BOOKS = """
    import { cache } from './cache.service';

    export async function cacheBook(id: string, book: object) {
      await cache.set(`book:${id}`, book);
    }

    export async function cacheBookBriefly(id: string, book: object) {
      await cache.set(`book:${id}`, book, 60);
    }
    """


def test_wrapper_call_site_without_ttl(tmp_path):
    files = {**IOREDIS_LIB, **CACHE_WRAPPER, "src/services/book.service.ts": BOOKS}
    found = run_rules(tmp_path, files, "R201")
    # Not at the wrapper's own no-TTL branch: at the call that omits the TTL.
    assert lines_of(tmp_path, found) == [("src/services/book.service.ts", line_containing(BOOKS, "book);"), "R201")]
    (finding,) = found
    assert finding.related and finding.related[0].path.endswith("cache.service.ts")
    fix = finding.fixes[0]
    assert fix.applicability.value == "unsafe"
    assert fix.edits[0].new_text == ", 300"


def test_cache_helper_that_always_passes_ttl_is_clean(tmp_path):
    files = {
        **IOREDIS_LIB,
        **CACHE_WRAPPER,
        "src/services/book.service.ts": """
            import { cache } from './cache.service';

            export async function cacheBook(id: string, book: object) {
              await cache.set(`book:${id}`, book, 3600);
            }
            """,
    }
    assert run_rules(tmp_path, files, "R201") == []


NODE_SESSIONS = """
    import { redisClient } from '../lib/redis';

    export async function saveSession(id: string, data: object) {
      await redisClient.set(`sess:${id}`, JSON.stringify(data));
    }

    export async function saveSessionWithTtl(id: string, data: object) {
      await redisClient.set(`sess:${id}`, JSON.stringify(data), { EX: 3600 });
    }

    export async function saveCart(id: string, cart: Record<string, string>) {
      await redisClient.hSet(`cart:${id}`, cart);
      await redisClient.expire(`cart:${id}`, 86400);
    }
    """


def test_node_redis_v4(tmp_path):
    found = run_rules(tmp_path, {**NODE_REDIS_LIB, "src/services/session.ts": NODE_SESSIONS}, "R201")
    assert lines_of(tmp_path, found) == [("src/services/session.ts", line_containing(NODE_SESSIONS, "JSON.stringify(data));"), "R201")]
    assert found[0].fixes[0].edits[0].new_text == ", { EX: 300 }"


NEST_SERVICE = """
    import { Inject, Injectable } from '@nestjs/common';
    import Redis from 'ioredis';
    import { REDIS_CLIENT } from '../redis/redis.module';

    @Injectable()
    export class LeaderboardService {
      constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

      async addScore(board: string, userId: string, score: number) {
        await this.redis.zadd(`board:${board}`, score, userId);
      }
    }
    """


def test_nest_provider_this_member_and_fix_parses(tmp_path):
    found = run_rules(tmp_path, {**NEST_PROVIDER, "src/leaderboard/leaderboard.service.ts": NEST_SERVICE}, "R201", options={"R201": {"default-ttl": 120}})
    assert lines_of(tmp_path, found) == [("src/leaderboard/leaderboard.service.ts", line_containing(NEST_SERVICE, "zadd"), "R201")]
    edit = found[0].fixes[0].edits[0]
    data = Path(found[0].path).read_bytes()
    fixed = data[: edit.start] + edit.new_text.encode() + data[edit.end :]
    assert b"await this.redis.expire(`board:${board}`, 120);" in fixed
    assert not parse(fixed, "typescript").root_node.has_error


def test_not_redis_receivers_are_silent(tmp_path):
    files = {
        "src/app.ts": """
            import express from 'express';
            import axios from 'axios';

            const router = express.Router();
            const seen = new Map<string, number>();
            const http = axios.create({ baseURL: 'https://api.example.com' });

            export async function remember(id: string) {
              seen.set(id, Date.now());
              router.set('etag', false);
              await http.get(`/users/${id}`);
            }
            """,
    }
    assert run_rules(tmp_path, files, "R201") == []


def test_half_typed_code_still_checks_the_rest(tmp_path):
    files = {
        **IOREDIS_LIB,
        "src/services/draft.ts": """
            import { redis } from '../lib/redis';

            export async function broken(id: string) {
              await redis.set(`a:${id}`,
            }

            export async function kept(id: string) {
              await redis.hset(`h:${id}`, 'field', 'v');
            }
            """,
    }
    found = run_rules(tmp_path, files, "R201")
    assert [line for _, line, _ in lines_of(tmp_path, found)] == [8]


def test_a_key_held_in_a_variable_named_key_reads_well(tmp_path):
    files = {
        "src/cache.ts": """\
            import Redis from 'ioredis';
            const redis = new Redis(process.env.REDIS_URL!);
            export async function remember(key: string, value: string) {
              await redis.set(key, value);
            }
        """,
    }
    [finding] = run_rules(tmp_path, files, "R201", schema=False)
    assert finding.message.startswith("`set` creates the key in `key` with no expiry")
    assert "key key" not in finding.message
