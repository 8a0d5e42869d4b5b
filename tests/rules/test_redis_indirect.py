"""Redis clients that code obtains indirectly: statics, singletons, getters,
clients chosen by a condition or a cast, and receivers known only by name
and by the Redis-only commands they are sent."""

from helpers import line_containing, lines_of, run_rules

STATIC = """
    import Redis from 'ioredis';

    export class HitCounter {
      static client = new Redis(process.env.REDIS_URL!);

      static async hit(page: string) {
        await HitCounter.client.incr(`hits:${page}`);
        await HitCounter.client.expire(`hits:${page}`, 3600);
      }
    }
"""


def test_a_static_member_holding_a_client(tmp_path):
    found = run_rules(tmp_path, {"src/hits.ts": STATIC}, ["R201", "R203"])
    assert lines_of(tmp_path, found) == [("src/hits.ts", line_containing(STATIC, "client.incr"), "R203")]


CHOSEN = """
    import Redis from 'ioredis';

    const stub = { get: async (_key: string) => null };

    // Tests run without Redis: the stub stands in, typed as the client.
    export const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : (stub as unknown as Redis);

    // Not a client: a Map in the other branch.
    export const store = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : new Map<string, string>();
"""
READER = """
    import { redis, store } from './redis';

    export async function summaries(ids: string[]) {
      const out = [];
      for (const id of ids) {
        out.push(await redis.get(`summary:${id}`));
      }
      return out;
    }

    export async function fromStore(ids: string[]) {
      const out = [];
      for (const id of ids) {
        out.push(await store.get(`summary:${id}`));
      }
      return out;
    }
"""


def test_a_client_chosen_by_a_condition_or_a_cast(tmp_path):
    found = run_rules(tmp_path, {"src/redis.ts": CHOSEN, "src/summaries.ts": READER}, "R204")
    assert lines_of(tmp_path, found) == [("src/summaries.ts", line_containing(READER, "await redis.get"), "R204")]


SERVICE = """
    import Redis from 'ioredis';

    export class CacheService {
      private readonly _client = new Redis(process.env.REDIS_URL!);

      get client(): Redis {
        return this._client;
      }
    }

    export const cacheService = new CacheService();
"""
USERS = """
    import { cacheService } from './cache.service';

    export class PresenceService {
      private cache = cacheService;

      async markOnline(userId: string) {
        await this.cache.client.hset(`presence:${userId}`, 'online', '1');
      }

      async lastSeen(userId: string, at: string) {
        await (cacheService as any).client.set(`seen:${userId}`, at);
      }
    }
"""


def test_a_getter_and_an_any_cast_lead_to_the_client(tmp_path):
    found = run_rules(tmp_path, {"src/cache.service.ts": SERVICE, "src/presence.service.ts": USERS}, "R201")
    assert lines_of(tmp_path, found) == [
        ("src/presence.service.ts", line_containing(USERS, "client.hset"), "R201"),
        ("src/presence.service.ts", line_containing(USERS, "client.set"), "R201"),
    ]


BY_NAME = """
    // The client comes from a plugin the analyzer cannot see.
    export async function trackView(redisClient: any, postId: string) {
      await redisClient.hincrby(`post:${postId}`, 'views', 1);
      await redisClient.expire(`post:${postId}`, 86400);
    }

    // Only generic names: could be any key-value store.
    export async function remember(redis: any, key: string, value: string) {
      const old = await redis.get(key);
      await redis.set(key, value);
      return old;
    }

    // Redis-only commands, but not named like a Redis client.
    export async function rank(board: any, user: string) {
      await board.zadd('leaders', 10, user);
      await board.zincrby('leaders', 1, user);
    }
"""


def test_an_unresolved_receiver_named_like_redis_and_sent_redis_only_commands(tmp_path):
    found = run_rules(tmp_path, {"src/tracking.ts": BY_NAME}, ["R201", "R203"])
    assert lines_of(tmp_path, found) == [("src/tracking.ts", line_containing(BY_NAME, "redisClient.hincrby"), "R203")]
    assert found[0].fixes == ()  # the library is unseen: no pipeline rewrite


WRAPPER_NAMED_REDIS = """
    export class RedisLeaderboard {
      async zadd(key: string, score: number, member: string) {
        return [key, score, member];
      }
    }

    const redisBoard = new RedisLeaderboard();

    export async function score(user: string) {
      await redisBoard.zadd('leaders', 1, user);
      await redisBoard.zadd('leaders', 2, user);
    }
"""


def test_a_workspace_class_named_like_redis_is_followed_not_guessed(tmp_path):
    assert run_rules(tmp_path, {"src/board.ts": WRAPPER_NAMED_REDIS}, ["R201", "R203"]) == []
