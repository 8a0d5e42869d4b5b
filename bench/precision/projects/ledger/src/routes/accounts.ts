import fs from 'node:fs';
import { Router } from 'express';
import { prisma } from '../lib/prisma';
import { redis } from '../lib/redis';

export const accountsRouter = Router();

// A statement template read from disk on every request.
accountsRouter.get('/:id/statement', async (req, res) => {
  const template = fs.readFileSync('templates/statement.html', 'utf8'); // expect E305
  const account = await prisma.account.findUnique({ where: { id: req.params.id }, select: { name: true } });
  res.type('html').send(template.replace('{{name}}', account?.name ?? ''));
});

// Rate limiting by hand: four round trips to Redis, one after another.
accountsRouter.post('/:id/entries', async (req, res) => {
  const key = `rate:${req.params.id}`;
  await redis.incr(key); // expect R203
  await redis.expire(key, 60);
  const count = Number(await redis.get(key));
  if (count > 100) return res.sendStatus(429);
  const entry = await prisma.entry.create({ data: { accountId: req.params.id, amount: req.body.amount }, select: { id: true } });
  res.status(201).json(entry);
});

// Balances of the accounts a client asks for, one Redis read each.
accountsRouter.post('/balances', async (req, res) => {
  const ids: string[] = req.body.ids;
  const out: Record<string, string | null> = {};
  for (const id of ids) {
    out[id] = await redis.get(`balance:${id}`); // expect R204
  }
  res.json(out);
});

// Two fixed keys: a loop of two is not per item of the data.
accountsRouter.get('/health/cache', async (_req, res) => {
  const out: Record<string, string | null> = {};
  for (const key of ['rates:EUR', 'rates:USD']) {
    out[key] = await redis.get(key); // not R204
  }
  res.json(out);
});
