import { Router, type Request, type Response } from 'express';
import { requireAuth } from '@/middleware/auth';
import { reportService } from '@/services';

export const reportRouter = Router();

reportRouter.use(requireAuth);

// GET /api/reports/activity?days=30
reportRouter.get('/activity', async (req: Request, res: Response) => {
  const days = Math.min(90, Number(req.query.days) || 7);
  const since = new Date(Date.now() - days * 86_400_000);
  res.json(await reportService.activity(req.user!.id, since));
});
