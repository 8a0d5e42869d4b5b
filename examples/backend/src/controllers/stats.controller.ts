import type { Request, Response } from 'express';
import { bookService, sessionService, statsService } from '@/services';

export const statsController = {
  async overview(_req: Request, res: Response) {
    res.json(await statsService.overview());
  },

  async popular(_req: Request, res: Response) {
    const popular = await statsService.popularBooks();
    const books = await bookService.getSummariesBatch(popular.map((p) => p.bookId));
    res.json(popular.map((p) => ({ ...p, book: books[p.bookId] })));
  },

  async sessions(_req: Request, res: Response) {
    res.json({ cachedSessions: await sessionService.countCachedSessions() });
  },
};
