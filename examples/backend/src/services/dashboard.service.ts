import { prisma } from '@/lib/prisma';
import { bookCardSelect } from './book.service';

export class DashboardService {
  /** Home screen: greeting, five latest lists, covers of their first books. */
  async build(userId: string) {
    const user = await prisma.user.findUniqueOrThrow({
      where: { id: userId },
      select: { id: true, displayName: true },
    });
    const lists = await prisma.readList.findMany({
      where: { ownerId: user.id },
      select: { id: true, title: true, items: { select: { bookId: true }, take: 3 } },
      orderBy: { updatedAt: 'desc' },
      take: 5,
    });
    const books = await prisma.book.findMany({
      where: { id: { in: lists.flatMap((list) => list.items.map((item) => item.bookId)) } },
      select: bookCardSelect,
      take: 15,
    });
    return { greeting: `Bonjour ${user.displayName} 👋`, lists, books };
  }
}

export const dashboardService = new DashboardService();
