import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { app } from '../src/app';
import { prisma } from '../src/lib/prisma';

describe('clubs', () => {
  it('lists reviews', async () => {
    const clubs = await prisma.club.findMany();
    for (const club of clubs) {
      const res = await request(app).get(`/api/clubs/${club.id}/reviews`);
      expect(res.status).toBe(200);
      const count = await prisma.review.count({ where: { isbn: club.slug } });
      expect(count).toBeGreaterThanOrEqual(0);
    }
  });

  it('creates members one by one', async () => {
    const users = await prisma.user.findMany({ take: 10 });
    await Promise.all(users.map((u) => prisma.membership.create({ data: { clubId: 'c1', userId: u.id } })));
  });
});
