import type { Request, Response } from 'express';
import { dashboardService, userService } from '@/services';

export const userController = {
  async dashboard(req: Request, res: Response) {
    res.json(await dashboardService.build(req.user!.id));
  },

  async profile(req: Request, res: Response) {
    res.json(await userService.getProfile(req.params.id));
  },
};
