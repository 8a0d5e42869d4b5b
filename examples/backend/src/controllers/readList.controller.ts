import type { Request, Response } from 'express';
import { HttpError } from '@/lib/errors';
import { exportService, readListItemService, readListService } from '@/services';
import type { ItemPosition } from '@/services/readList.service';
import { BaseController } from './base.controller';

function parseBookIds(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new HttpError(400, 'bookIds must be an array of strings');
  }
  return value as string[];
}

class ReadListController extends BaseController {
  listMine = async (req: Request, res: Response) => {
    const lists = await readListService.listMine(req.user!.id);
    res.json(lists);
  };

  listPublic = async (req: Request, res: Response) => {
    const { skip, take, page, limit } = this.buildQueryParams(req.query);
    const lists = await readListService.listPublic({ skip, take });
    res.json({ page, limit, data: lists });
  };

  show = async (req: Request, res: Response) => {
    res.json(await readListService.findById(req.params.id, req.user!.id));
  };

  create = async (req: Request, res: Response) => {
    const { title, description, visibility } = req.body ?? {};
    if (typeof title !== 'string' || title.trim() === '') throw new HttpError(400, 'title is required');
    const list = await readListService.create(req.user!.id, { title: title.trim(), description, visibility });
    res.status(201).json(list);
  };

  duplicate = async (req: Request, res: Response) => {
    const copy = await readListService.duplicate(req.params.id, req.user!.id);
    res.status(201).json(copy);
  };

  /** POST /:id/items/bulk { bookIds } from the "add all to my list" button. */
  addItems = async (req: Request, res: Response) => {
    const readListId = req.params.id;
    const bookIds = parseBookIds(req.body?.bookIds);
    await readListService.assertOwner(readListId, req.user!.id);
    const created: unknown[] = [];
    for (const [position, bookId] of bookIds.entries()) {
      created.push(await readListItemService.create({ readListId, bookId, position }));
    }
    res.status(201).json(created);
  };

  /** POST /:id/items/batch { bookIds }: one INSERT for the whole batch. */
  addItemsBatch = async (req: Request, res: Response) => {
    const readListId = req.params.id;
    const bookIds = parseBookIds(req.body?.bookIds);
    await readListService.assertOwner(readListId, req.user!.id);
    const count = await readListItemService.createMany(
      bookIds.map((bookId, position) => ({ readListId, bookId, position })),
    );
    res.status(201).json({ count });
  };

  reorder = async (req: Request, res: Response) => {
    const items = req.body?.items as ItemPosition[] | undefined;
    if (!Array.isArray(items)) throw new HttpError(400, 'items must be an array');
    await readListService.assertOwner(req.params.id, req.user!.id);
    await readListService.reorder(req.params.id, items);
    res.status(204).end();
  };

  exportHtml = async (req: Request, res: Response) => {
    const html = await exportService.renderHtml(req.params.id);
    res.type('html').send(html);
  };

  exportJson = async (req: Request, res: Response) => {
    res.attachment('readlist.json').json(await exportService.buildJson(req.params.id));
  };

  remove = async (req: Request, res: Response) => {
    await readListService.assertOwner(req.params.id, req.user!.id);
    await readListService.remove(req.params.id);
    res.status(204).end();
  };
}

export const readListController = new ReadListController();
