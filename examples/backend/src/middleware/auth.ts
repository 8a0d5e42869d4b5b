import type { NextFunction, Request, Response } from 'express';
import { logger } from '@/lib/logger';
import { cache } from '@/services/cache.service';
import { sessionCacheKey, sessionService } from '@/services/session.service';
import { userService } from '@/services/user.service';

export function readBearerToken(req: Request): string | undefined {
  const header = req.header('authorization');
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

export async function requireAuth(req: Request, res: Response, next: NextFunction) {
  const token = readBearerToken(req);
  if (!token) {
    res.status(401).json({ error: 'Missing bearer token' });
    return;
  }

  const user = await cache.getOrSet(sessionCacheKey(token), () => sessionService.findActive(token), 300);
  if (!user) {
    res.status(401).json({ error: 'Session expired' });
    return;
  }

  req.user = user;
  // Fire and forget: a failed presence update must not fail the request.
  userService.touchLastSeen(user.id).catch((err) => logger.warn({ err }, 'last-seen update failed'));
  next();
}
