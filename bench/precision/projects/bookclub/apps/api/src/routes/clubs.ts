import { Router } from 'express';
import { Role } from '@prisma/client';
import { prisma } from '../lib/prisma';

export const clubRouter = Router();

// Every review of the club's books, however many there are.
clubRouter.get('/:id/reviews', async (req, res) => { // expect E304
  const reviews = await prisma.review.findMany({ // expect P102
    where: { user: { memberships: { some: { clubId: req.params.id } } } },
    select: { id: true, rating: true, body: true },
  });
  res.json(reviews);
});

// A detail page: one club with its next meetings embedded.
clubRouter.get('/:id', async (req, res) => { // not E304
  const club = await prisma.club.findUnique({
    where: { id: req.params.id },
    select: { id: true, name: true, meetings: { select: { id: true, bookTitle: true, startsAt: true }, take: 5 } },
  });
  res.json(club);
});

// Counts per role folded into a map: a handful of keys, not a list.
clubRouter.get('/:id/role-counts', async (req, res) => { // not E304; expect R205
  const groups = await prisma.membership.groupBy({ by: ['role'], where: { clubId: req.params.id }, _count: true });
  res.json(Object.fromEntries(groups.map((g) => [g.role, g._count])));
});

// The member's settings: one row per channel at most.
clubRouter.get('/me/notifications', async (req, res) => { // not E304
  const prefs = await prisma.notificationPref.findMany({ where: { userId: String(req.headers['x-user-id']) }, select: { channel: true, enabled: true } }); // not P102
  res.json(prefs);
});

// Sent whole: the password hash goes out with every member.
clubRouter.get('/:id/owner', async (req, res) => {
  const membership = await prisma.membership.findFirst({ where: { clubId: req.params.id, role: Role.OWNER }, select: { userId: true } });
  if (!membership) return res.sendStatus(404);
  const owner = await prisma.user.findUnique({ where: { id: membership.userId } }); // expect P101
  res.json(owner);
});

// Dashboard: each query needs the one before.
clubRouter.get('/:id/dashboard', async (req, res) => { // expect E303, R205
  const club = await prisma.club.findUniqueOrThrow({ where: { slug: req.params.id }, select: { id: true } });
  const next = await prisma.meeting.findFirst({ where: { clubId: club.id }, orderBy: { startsAt: 'asc' }, select: { id: true, bookTitle: true } });
  const members = await prisma.membership.count({ where: { clubId: club.id } });
  const reviews = next ? await prisma.review.count({ where: { isbn: next.bookTitle } }) : 0;
  res.json({ next, members, reviews });
});

// Either arm runs, never both: two round trips, not three.
clubRouter.get('/:id/upcoming', async (req, res) => { // not E303
  const club = await prisma.club.findUniqueOrThrow({ where: { id: req.params.id }, select: { id: true } });
  const past = req.query.past === '1';
  const meetings = past
    ? await prisma.meeting.findMany({ where: { clubId: club.id, startsAt: { lt: new Date() } }, select: { id: true }, take: 10 })
    : await prisma.meeting.findMany({ where: { clubId: club.id, startsAt: { gte: new Date() } }, select: { id: true }, take: 10 });
  res.json(meetings);
});
