import type Redis from 'ioredis';
import { redis } from '@/lib/redis';

/** JSON cache on top of Redis. */
export class RedisService {
  constructor(private readonly client: Redis = redis) {}

  async get<T>(key: string): Promise<T | null> {
    const raw = await this.client.get(key);
    return raw === null ? null : (JSON.parse(raw) as T);
  }

  async getMany<T>(keys: string[]): Promise<(T | null)[]> {
    if (keys.length === 0) return [];
    const values = await this.client.mget(...keys);
    return values.map((raw) => (raw === null ? null : (JSON.parse(raw) as T)));
  }

  /** `ttl` in seconds; without it the key never expires. */
  async set(key: string, value: unknown, ttl?: number): Promise<void> {
    const payload = JSON.stringify(value);
    if (ttl) {
      await this.client.set(key, payload, 'EX', ttl);
    } else {
      await this.client.set(key, payload);
    }
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.client.del(...keys);
  }

  /** Cache-aside: return the cached value, or compute it and keep it `ttl` seconds. */
  async getOrSet<T>(key: string, fetcher: () => Promise<T>, ttl: number): Promise<T> {
    const cached = await this.get<T>(key);
    if (cached !== null) return cached;
    const fresh = await fetcher();
    await this.set(key, fresh, ttl);
    return fresh;
  }
}

export const cache = new RedisService();
