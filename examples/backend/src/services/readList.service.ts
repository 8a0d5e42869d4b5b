import { prisma } from '@/lib/prisma';
import { activityBus } from '@/lib/events';
import { ForbiddenError, NotFoundError } from '@/lib/errors';

const listCardSelect = {
  id: true,
  title: true,
  visibility: true,
  updatedAt: true,
  _count: { select: { items: true } },
};

export interface NewReadList {
  title: string;
  description?: string;
  visibility?: 'PRIVATE' | 'PUBLIC';
}

export interface ItemPosition {
  id: string;
  position: number;
}

export class ReadListService {
  /** The signed-in user's lists, most recently edited first. */
  async listMine(ownerId: string) {
    return prisma.readList.findMany({
      where: { ownerId },
      select: listCardSelect,
      orderBy: { updatedAt: 'desc' },
    });
  }

  async listPublic({ skip, take }: { skip: number; take: number }) {
    return prisma.readList.findMany({
      where: { visibility: 'PUBLIC' },
      select: { ...listCardSelect, owner: { select: { displayName: true } } },
      orderBy: { id: 'desc' },
      skip,
      take,
    });
  }

  async findById(id: string, viewerId: string) {
    const list = await prisma.readList.findUnique({
      where: { id },
      select: {
        id: true,
        ownerId: true,
        title: true,
        description: true,
        visibility: true,
        updatedAt: true,
        items: {
          select: {
            id: true,
            position: true,
            status: true,
            book: { select: { id: true, title: true, author: true, coverUrl: true } },
          },
          take: 500,
        },
      },
    });
    if (!list || (list.visibility === 'PRIVATE' && list.ownerId !== viewerId)) {
      throw new NotFoundError('Read list');
    }
    list.items.sort((a, b) => a.position - b.position);
    return list;
  }

  async assertOwner(id: string, userId: string): Promise<void> {
    const list = await prisma.readList.findFirst({ where: { id, ownerId: userId }, select: { id: true } });
    if (!list) throw new ForbiddenError();
  }

  async create(ownerId: string, input: NewReadList) {
    const list = await prisma.readList.create({
      data: {
        ownerId,
        title: input.title,
        description: input.description,
        visibility: input.visibility ?? 'PRIVATE',
      },
      select: listCardSelect,
    });
    await prisma.auditLog.create({
      data: { actorId: ownerId, action: 'readlist.create', entity: 'ReadList', entityId: list.id },
    });
    activityBus.publish({ type: 'readlist.created', readListId: list.id, actorId: ownerId, at: new Date().toISOString() });
    return list;
  }

  /** Copies a list and its items: « Ma liste » -> « Ma liste (copie) ». */
  async duplicate(id: string, ownerId: string) {
    const source = await prisma.readList.findUniqueOrThrow({
      where: { id },
      select: {
        title: true,
        description: true,
        items: { select: { bookId: true, position: true, note: true } },
      },
    });
    return prisma.$transaction(async (tx) => {
      const copy = await tx.readList.create({
        data: { ownerId, title: `${source.title} (copie)`, description: source.description },
        select: { id: true, title: true },
      });
      for (const item of source.items) {
        await tx.readListItem.create({
          data: { readListId: copy.id, bookId: item.bookId, position: item.position, note: item.note },
        });
      }
      return copy;
    });
  }

  /** Drag-and-drop reorder: the client sends the new position of every item. */
  async reorder(readListId: string, items: ItemPosition[]): Promise<void> {
    await Promise.all(
      items.map(async (item) =>
        prisma.readListItem.update({
          where: { id: item.id, readListId },
          data: { position: item.position },
          select: { id: true },
        }),
      ),
    );
  }

  async remove(id: string): Promise<void> {
    await prisma.readList.delete({ where: { id }, select: { id: true } });
  }
}

export const readListService = new ReadListService();
