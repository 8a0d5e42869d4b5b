import { Router } from 'express';
import { userController } from '@/controllers/user.controller';
import { requireAuth } from '@/middleware/auth';

export const userRouter = Router();

userRouter.use(requireAuth);
userRouter.get('/me/dashboard', userController.dashboard);
userRouter.get('/:id', userController.profile);
