import { Role } from '@prisma/client';
import { prisma } from '../lib/prisma';
import { redis } from '../lib/redis';

export class ClubService {
  /** The directory page shows names only. */
  async clubNames() {
    const clubs = await prisma.club.findMany({ orderBy: { name: 'asc' }, take: 50 }); // expect P101
    return clubs.map((c) => c.name);
  }

  /** Tag chips: three narrow columns, nothing to save. */
  async tagColors() {
    const tags = await prisma.tag.findMany({ take: 200 }); // not P101
    return tags.map((t) => t.color);
  }

  /** Handed to callers that decide what they need. */
  async byId(id: string) {
    return prisma.club.findUnique({ where: { id } }); // not P101
  }

  async slugTaken(slug: string) {
    const club = await prisma.club.findUnique({ where: { slug } }); // expect P101
    return club !== null;
  }

  /** Member badges: only each membership's role is shown. */
  async rolesInClubs(userId: string) {
    const clubs = await prisma.club.findMany({ // expect P103
      where: { memberships: { some: { userId } } },
      include: { memberships: true },
      take: 20,
    });
    return clubs.map((c) => ({ name: c.name, roles: c.memberships.map((m) => m.role) }));
  }

  /** At most one row per channel: the unique key bounds the list. */
  async notificationPrefs(userId: string) {
    return prisma.notificationPref.findMany({ // not P102
      where: { userId },
      select: { channel: true, enabled: true },
    });
  }

  async reviewsOfBook(isbn: string) {
    const reviews = await prisma.review.findMany({ where: { isbn }, select: { rating: true } }); // expect P102
    return reviews.reduce((sum, r) => sum + r.rating, 0) / Math.max(reviews.length, 1);
  }

  /** One count per role: as many queries as the enum has values. */
  async roleCounts(clubId: string) {
    return Promise.all(
      Object.values(Role).map((role) => prisma.membership.count({ where: { clubId, role } })), // not A404
    );
  }

  /** Twelve monthly counters for the yearly chart. */
  async meetingsPerMonth(clubId: string, year: number) {
    return Promise.all(
      Array.from({ length: 12 }).map((_, month) => // not A404
        prisma.meeting.count({ where: { clubId, startsAt: { gte: new Date(year, month, 1), lt: new Date(year, month + 1, 1) } } }),
      ),
    );
  }

  async profileSummary(userId: string) {
    const reviewCount = await prisma.review.count({ where: { userId } });
    const clubCount = await prisma.membership.count({ where: { userId } }); // expect A401
    return { reviewCount, clubCount };
  }

  async rememberVisit(clubId: string, userId: string) {
    await redis.set(`club:${clubId}:last-visit:${userId}`, Date.now().toString()); // expect R201
  }
}

export const clubService = new ClubService();
