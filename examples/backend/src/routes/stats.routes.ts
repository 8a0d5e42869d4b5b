import { Router } from 'express';
import { statsController } from '@/controllers/stats.controller';
import { requireAuth } from '@/middleware/auth';

export const statsRouter = Router();

statsRouter.get('/overview', statsController.overview);
statsRouter.get('/popular', statsController.popular);
statsRouter.get('/sessions', requireAuth, statsController.sessions);
