import type { Request, Response } from 'express';
import { config } from '@/config';
import { ForbiddenError, HttpError } from '@/lib/errors';
import { readBearerToken } from '@/middleware/auth';
import { authService, sessionService } from '@/services';

export const authController = {
  async register(req: Request, res: Response) {
    const { email, password, displayName } = req.body ?? {};
    if (typeof email !== 'string' || typeof password !== 'string' || password.length < 8) {
      throw new HttpError(400, 'email and a password of 8+ characters are required');
    }
    const user = await authService.register({ email, password, displayName: displayName ?? email });
    res.status(201).json(user);
  },

  async login(req: Request, res: Response) {
    const { email, password } = req.body ?? {};
    res.json(await authService.login(String(email), String(password)));
  },

  async logout(req: Request, res: Response) {
    await authService.logout(readBearerToken(req)!);
    res.status(204).end();
  },

  async purgeSessions(req: Request, res: Response) {
    if (req.user!.email !== config.adminEmail) throw new ForbiddenError();
    res.json({ purged: await sessionService.purgeCachedSessions() });
  },
};
