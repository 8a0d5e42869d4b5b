import express, { type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { config } from './config';
import { errorHandler } from './middleware/errorHandler';
import { slidingWindowLimiter } from './middleware/rateLimit';
import { activityRouter } from './routes/activity.routes';
import { authRouter } from './routes/auth.routes';
import { bookRouter } from './routes/book.routes';
import { readListRouter } from './routes/readList.routes';
import { reportRouter } from './routes/report.routes';
import { statsRouter } from './routes/stats.routes';
import { userRouter } from './routes/user.routes';

export const app = express();

app.disable('x-powered-by');
app.set('trust proxy', 1);
app.use(express.json({ limit: '1mb' }));

// Correlation id, echoed back so support can find a request in the logs.
app.use((req: Request, res: Response, next) => {
  const id = req.header('x-request-id') ?? randomUUID();
  res.setHeader('x-request-id', id);
  next();
});

app.use('/api', slidingWindowLimiter({ windowMs: 60_000, max: 300 }));

app.get('/healthz', (_req: Request, res: Response) => {
  res.json({ status: 'ok', name: config.name, version: config.version });
});

app.use('/api/auth', authRouter);
app.use('/api/books', bookRouter);
app.use('/api/readlists', readListRouter);
app.use('/api/users', userRouter);
app.use('/api/stats', statsRouter);
app.use('/api/reports', reportRouter);
app.use('/api/activity', activityRouter);

app.use(errorHandler);
