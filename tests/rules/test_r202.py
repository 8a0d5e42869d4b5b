"""R202 redis-keys-command."""

from helpers import line_containing, lines_of, run_rules
from fixtures.redis.shapes import CACHE_WRAPPER, IOREDIS_LIB, NODE_REDIS_LIB

SESSIONS = """
    import { redis } from '../lib/redis';
    import { cache } from './cache.service';

    export class SessionService {
      async purgeCachedSessions(): Promise<number> {
        const keys = await redis.keys('session:*');
        if (keys.length === 0) return 0;
        return redis.del(...keys);
      }

      async countCachedSessions(): Promise<number> {
        let total = 0;
        for await (const keys of redis.scanStream({ match: 'session:*', count: 500 })) {
          total += (keys as string[]).length;
        }
        return total;
      }

      async invalidateUser(userId: string) {
        await cache.deletePattern(`user:${userId}:*`);
      }
    }
    """


def test_keys_direct_and_through_wrapper(tmp_path):
    files = {**IOREDIS_LIB, **CACHE_WRAPPER, "src/services/session.service.ts": SESSIONS}
    found = run_rules(tmp_path, files, "R202")
    wrapper_text = CACHE_WRAPPER["src/services/cache.service.ts"]
    assert lines_of(tmp_path, found) == [
        ("src/services/cache.service.ts", line_containing(wrapper_text, "this.client.keys"), "R202"),
        ("src/services/session.service.ts", line_containing(SESSIONS, "redis.keys"), "R202"),
        ("src/services/session.service.ts", line_containing(SESSIONS, "deletePattern"), "R202"),
    ]
    direct = next(f for f in found if "redis.keys" in open(f.path).read()[f.start:f.end])
    assert "scanStream({ match: 'session:*', count: 500 })" in direct.message
    assert "MATCH session:* COUNT 500" in direct.message


def test_callers_of_a_method_with_its_own_pattern_are_not_reported(tmp_path):
    files = {
        **IOREDIS_LIB,
        "src/services/session.service.ts": SESSIONS.replace("import { cache } from './cache.service';", ""),
        "src/controllers/admin.controller.ts": """
            import type { Request, Response } from 'express';
            import { SessionService } from '../services/session.service';

            const sessions = new SessionService();

            export async function purge(_req: Request, res: Response) {
              res.json({ purged: await sessions.purgeCachedSessions() });
            }
            """,
    }
    found = run_rules(tmp_path, files, "R202")
    assert [p for p, _, _ in lines_of(tmp_path, found)] == ["src/services/session.service.ts"]


def test_node_redis_message_uses_scan_iterator(tmp_path):
    text = """
        import { redisClient } from './lib/redis';

        export async function listLocks() {
          return redisClient.keys('lock:*');
        }
        """
    found = run_rules(tmp_path, {**NODE_REDIS_LIB, "src/locks.ts": text}, "R202")
    assert lines_of(tmp_path, found) == [("src/locks.ts", 4, "R202")]
    assert "scanIterator({ MATCH: 'lock:*', COUNT: 500 })" in found[0].message


def test_keys_of_other_objects_are_silent(tmp_path):
    text = """
        const registry = new Map<string, string>();

        export function names(headers: Record<string, string>) {
          return [...registry.keys(), ...Object.keys(headers)];
        }
        """
    assert run_rules(tmp_path, {"src/registry.ts": text}, "R202") == []


def test_keys_on_a_client_from_a_getter_fires(tmp_path):
    # The client comes back from a getter that returns a lazily created module variable.
    files = {
        "src/cache/client.ts": """
            import Redis from 'ioredis';

            let conn: Redis | undefined;

            export function redisConn() {
              if (!conn) conn = new Redis(process.env.REDIS_URL!);
              return conn;
            }
        """,
        "src/cache/purge.ts": """
            import { redisConn } from './client';

            export async function purgePrefix(prefix: string) {
              const r = redisConn();
              const found = await r.keys(`${prefix}*`);
              if (found.length) await r.del(...found);
            }
        """,
    }
    findings = run_rules(tmp_path, files, "R202")
    assert lines_of(tmp_path, findings) == [("src/cache/purge.ts", 5, "R202")]


def test_getter_returning_something_else_is_not_a_client(tmp_path):
    files = {
        "src/settings.ts": """
            import Redis from 'ioredis';

            export const redis = new Redis();
            const table = new Map<string, string>();

            export function settingsStore() {
              return table;
            }
        """,
        "src/purge.ts": """
            import { settingsStore } from './settings';

            export function names() {
              const store = settingsStore();
              return store.keys();
            }
        """,
    }
    assert run_rules(tmp_path, files, "R202") == []
