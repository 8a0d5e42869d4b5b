import { randomBytes } from 'node:crypto';
import { prisma } from '@/lib/prisma';
import { redis } from '@/lib/redis';
import { config } from '@/config';
import { cache } from './cache.service';

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
}

export const sessionCacheKey = (token: string) => `session:${token}`;

export class SessionService {
  async findActive(token: string): Promise<SessionUser | null> {
    const session = await prisma.session.findUnique({
      where: { token },
      select: { expiresAt: true, user: { select: { id: true, email: true, displayName: true } } },
    });
    if (!session || session.expiresAt < new Date()) return null;
    return session.user;
  }

  async create(userId: string) {
    return prisma.session.create({
      data: {
        userId,
        token: randomBytes(32).toString('base64url'),
        expiresAt: new Date(Date.now() + config.sessionTtlSeconds * 1000),
      },
      select: { token: true, expiresAt: true },
    });
  }

  async revoke(token: string): Promise<void> {
    await prisma.session.deleteMany({ where: { token } });
    await cache.del(sessionCacheKey(token));
  }

  /** Admin: forget every cached session, e.g. after a permission change. */
  async purgeCachedSessions(): Promise<number> {
    const keys = await redis.keys('session:*');
    if (keys.length === 0) return 0;
    return redis.del(...keys);
  }

  /** Walks the same keys with SCAN, 500 at a time, without blocking Redis. */
  async countCachedSessions(): Promise<number> {
    let total = 0;
    const stream = redis.scanStream({ match: 'session:*', count: 500 });
    for await (const keys of stream) {
      total += (keys as string[]).length;
    }
    return total;
  }
}

export const sessionService = new SessionService();
