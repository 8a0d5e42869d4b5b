import type { Request, Response } from 'express';
import { NotFoundError } from '@/lib/errors';
import { bookService } from '@/services';
import { BaseController } from './base.controller';

class BookController extends BaseController {
  list = async (req: Request, res: Response) => {
    const { skip, take, page, limit } = this.buildQueryParams(req.query);
    res.json({ page, limit, data: await bookService.list({ skip, take }) });
  };

  /** GET /batch?ids=a,b,c */
  batch = async (req: Request, res: Response) => {
    const ids = String(req.query.ids ?? '').split(',').filter(Boolean);
    res.json(await bookService.getMany(ids));
  };

  byIsbn = async (req: Request, res: Response) => {
    const book = await bookService.findByIsbn(req.params.isbn);
    if (!book) throw new NotFoundError('Book');
    res.json(book);
  };

  show = async (req: Request, res: Response) => {
    res.json(await bookService.findById(req.params.id));
  };

  comments = async (req: Request, res: Response) => {
    res.json(await bookService.discussion(req.params.id));
  };
}

export const bookController = new BookController();
