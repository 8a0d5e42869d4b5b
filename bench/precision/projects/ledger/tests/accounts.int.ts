import request from 'supertest';
import { app } from '../src/app';
import { prisma } from '../src/lib/prisma';

test('statement renders for every account', async () => {
  const accounts = await prisma.account.findMany();
  for (const a of accounts) {
    const res = await request(app).get(`/api/accounts/${a.id}/statement`);
    expect(res.status).toBe(200);
  }
});
