import { Router } from 'express';
import { bookController as c } from '@/controllers/book.controller';

export const bookRouter = Router();

bookRouter.get('/', c.list);
bookRouter.get('/batch', c.batch);
bookRouter.get('/isbn/:isbn', c.byIsbn);
bookRouter.get('/:id', c.show);
bookRouter.get('/:id/comments', c.comments);
