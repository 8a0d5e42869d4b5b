import { prisma } from '@/lib/prisma';
import { cache } from './cache.service';

export interface PopularBook {
  bookId: string;
  lists: number;
}

export class StatsService {
  /** Site-wide numbers for the admin dashboard. */
  async overview() {
    const [itemsByStatus, books, users] = await Promise.all([
      prisma.readListItem.groupBy({ by: ['status'], _count: { _all: true } }),
      prisma.book.count(),
      prisma.user.count(),
    ]);
    return {
      books,
      users,
      itemsByStatus: Object.fromEntries(itemsByStatus.map((g) => [g.status, g._count._all])),
    };
  }

  /** Top 10 books by number of lists (📈 homepage widget), cached 10 minutes. */
  async popularBooks(): Promise<PopularBook[]> {
    return cache.getOrSet(
      'stats:popular-books',
      async () => {
        const rows = await prisma.readListItem.groupBy({
          by: ['bookId'],
          _count: { bookId: true },
          orderBy: { _count: { bookId: 'desc' } },
          take: 10,
        });
        return rows.map((row) => ({ bookId: row.bookId, lists: row._count.bookId }));
      },
      600,
    );
  }

  /** A handful of today's live comments for the moderators' spot check. */
  async spotCheck(since: Date) {
    return prisma.comment.findMany({
      where: { deletedAt: null, createdAt: { gte: since } },
      select: { id: true, body: true, userId: true },
      take: 25,
    });
  }
}

export const statsService = new StatsService();
