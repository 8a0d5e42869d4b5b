import fs from 'node:fs';
import express from 'express';
import compression from 'compression';
import morgan from 'morgan';
import { accountsRouter } from './routes/accounts';

// Read once at startup, not per request.
const banner = fs.readFileSync(new URL('../banner.txt', import.meta.url), 'utf8'); // not E305

export const app = express();
app.use(morgan('tiny'));
app.use(compression());
app.use(express.json());
app.get('/', (_req, res) => res.type('text').send(banner));
app.use('/api/accounts', accountsRouter);
