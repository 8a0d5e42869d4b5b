import type { NextFunction, Request, Response } from 'express';
import { redis } from '@/lib/redis';

interface LimitOptions {
  windowMs: number;
  max: number;
  prefix?: string;
}

function tooMany(res: Response, windowMs: number) {
  res.setHeader('Retry-After', Math.ceil(windowMs / 1000));
  res.status(429).json({ error: 'Trop de requêtes, réessayez plus tard.' });
}

/** Strict per-IP limiter for the auth endpoints (sliding log in a sorted set). */
export function rateLimit({ windowMs, max, prefix = 'rl:auth' }: LimitOptions) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = `${prefix}:${req.ip}`;
    const now = Date.now();
    await redis.zadd(key, now, `${now}:${Math.random()}`);
    await redis.zremrangebyscore(key, 0, now - windowMs);
    const hits = await redis.zcard(key);
    await redis.expire(key, Math.ceil(windowMs / 1000));
    if (hits > max) return tooMany(res, windowMs);
    next();
  };
}

/** The same sliding window for the whole API, in one round trip. */
export function slidingWindowLimiter({ windowMs, max, prefix = 'rl:api' }: LimitOptions) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = `${prefix}:${req.ip}`;
    const now = Date.now();
    const results = await redis
      .multi()
      .zadd(key, now, `${now}:${Math.random()}`)
      .zremrangebyscore(key, 0, now - windowMs)
      .zcard(key)
      .expire(key, Math.ceil(windowMs / 1000))
      .exec();
    const hits = Number(results?.[2]?.[1] ?? 0);
    if (hits > max) return tooMany(res, windowMs);
    next();
  };
}
