import { Router, type Request, type Response } from 'express';
import { activityBus, type ActivityEvent } from '@/lib/events';
import { requireAuth } from '@/middleware/auth';
import { notificationService } from '@/services';

export const activityRouter = Router();

activityRouter.use(requireAuth);

function openEventStream(res: Response): void {
  res.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.flushHeaders();
}

// Live feed of what other readers do; everything is undone when the client goes away.
activityRouter.get('/stream', (req: Request, res: Response) => {
  openEventStream(res);
  const userId = req.user!.id;
  const send = (event: ActivityEvent) => {
    if (event.actorId !== userId) res.write(`data: ${JSON.stringify(event)}\n\n`);
  };
  const heartbeat = setInterval(() => res.write(': ping\n\n'), 25_000);
  activityBus.on('activity', send);
  req.on('close', () => {
    clearInterval(heartbeat);
    activityBus.off('activity', send);
  });
});

activityRouter.get('/notifications', async (req: Request, res: Response) => {
  openEventStream(res);
  await notificationService.subscribe(req.user!.id, (notification) => {
    res.write(`event: notification\ndata: ${JSON.stringify(notification)}\n\n`);
  });
});
