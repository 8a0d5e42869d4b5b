import type { Prisma, PrismaClient } from '@prisma/client';
import type { Repository } from '@/services/base.service';

export type NewReadListItem = Prisma.ReadListItemUncheckedCreateInput;

const readListItemFields = {
  id: true,
  readListId: true,
  bookId: true,
  position: true,
  status: true,
  note: true,
  addedAt: true,
};

export type ReadListItemRow = Prisma.ReadListItemGetPayload<{ select: typeof readListItemFields }>;

export class PrismaReadListItemRepository implements Repository<ReadListItemRow, NewReadListItem> {
  constructor(private readonly prisma: PrismaClient) {}

  findById(id: string): Promise<ReadListItemRow | null> {
    return this.prisma.readListItem.findUnique({ where: { id }, select: readListItemFields });
  }

  create(data: NewReadListItem): Promise<ReadListItemRow> {
    return this.prisma.readListItem.create({ data, select: readListItemFields });
  }

  async createMany(data: NewReadListItem[]): Promise<number> {
    const { count } = await this.prisma.readListItem.createMany({ data, skipDuplicates: true });
    return count;
  }

  async delete(id: string): Promise<void> {
    await this.prisma.readListItem.delete({ where: { id }, select: { id: true } });
  }
}
