import { prisma } from '@/lib/prisma';
import {
  PrismaReadListItemRepository,
  type NewReadListItem,
  type ReadListItemRow,
} from '@/repositories/readListItem.repository';
import { BaseService } from './base.service';

export class ReadListItemService extends BaseService<ReadListItemRow, NewReadListItem> {
  protected readonly repository = new PrismaReadListItemRepository(prisma);
  protected readonly entityName = 'Read list item';
}

export const readListItemService = new ReadListItemService();
