import express from 'express';
import compression from 'compression';
import pinoHttp from 'pino-http';
import { clubRouter } from './routes/clubs';
import { walletRouter } from './routes/wallet';

export const app = express();
app.use(pinoHttp());
app.use(compression());
app.use(express.json());
app.use('/api/clubs', clubRouter);
app.use('/api/wallet', walletRouter);
