import { Router } from 'express';
import { readListController as c } from '@/controllers/readList.controller';
import { requireAuth } from '@/middleware/auth';

export const readListRouter = Router();

// Public, paginated: ?page=&limit=
readListRouter.get('/public', c.listPublic);

readListRouter.use(requireAuth);
readListRouter.get('/', c.listMine);
readListRouter.post('/', c.create);
readListRouter.get('/:id', c.show);
readListRouter.get('/:id/export', c.exportHtml);
readListRouter.get('/:id/export/json', c.exportJson);
readListRouter.post('/:id/duplicate', c.duplicate);
readListRouter.post('/:id/items/bulk', c.addItems);
readListRouter.post('/:id/items/batch', c.addItemsBatch);
readListRouter.patch('/:id/items/order', c.reorder);
readListRouter.delete('/:id', c.remove);
