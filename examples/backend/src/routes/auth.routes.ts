import { Router } from 'express';
import { authController } from '@/controllers/auth.controller';
import { requireAuth } from '@/middleware/auth';
import { rateLimit } from '@/middleware/rateLimit';

export const authRouter = Router();

const strict = rateLimit({ windowMs: 15 * 60_000, max: 10 });

authRouter.post('/register', strict, authController.register);
authRouter.post('/login', strict, authController.login);
authRouter.post('/logout', requireAuth, authController.logout);
authRouter.post('/sessions/purge', requireAuth, authController.purgeSessions);
