import { prisma } from '@/lib/prisma';
import { redis } from '@/lib/redis';
import { NotFoundError } from '@/lib/errors';
import { cache } from './cache.service';

export const bookCardSelect = { id: true, title: true, author: true, coverUrl: true };

export interface BookCard {
  id: string;
  title: string;
  author: string;
  coverUrl: string | null;
}

const summaryKey = (id: string) => `book:summary:${id}`;

export class BookService {
  private readonly includeConfig = {
    tags: { select: { id: true, name: true } },
  };

  /** Catalogue page. */
  async list(params: { skip: number; take: number }) {
    const baseQuery = { select: bookCardSelect, orderBy: { id: 'asc' as const } };
    const { skip, take } = params;
    return prisma.book.findMany({ ...baseQuery, skip, take });
  }

  async findById(id: string) {
    const book = await prisma.book.findUnique({ where: { id }, include: this.includeConfig });
    if (!book) throw new NotFoundError('Book');
    return book;
  }

  // Prisma batches findUnique calls made in the same tick into one `WHERE id IN (...)`.
  async getMany(ids: string[]): Promise<BookCard[]> {
    const books = await Promise.all(
      ids.map((id) => prisma.book.findUnique({ where: { id }, select: bookCardSelect })),
    );
    return books.filter((book): book is BookCard => book !== null);
  }

  /** Barcode scanner lookup. */
  async findByIsbn(isbn: string): Promise<BookCard | null> {
    const key = `book:isbn:${isbn}`;
    const cached = await cache.get<BookCard>(key);
    if (cached) return cached;
    const book = await prisma.book.findFirst({
      where: { isbn },
      select: bookCardSelect,
    });
    if (book) await cache.set(key, book);
    return book;
  }

  /** @deprecated one round trip per book: use getSummariesBatch. */
  async getSummaries(ids: string[]): Promise<Record<string, BookCard | null>> {
    const result: Record<string, BookCard | null> = {};
    for (const id of ids) {
      const raw = await redis.get(summaryKey(id));
      result[id] = raw ? (JSON.parse(raw) as BookCard) : null;
    }
    return result;
  }

  async getSummariesBatch(ids: string[]): Promise<Record<string, BookCard | null>> {
    const values = await cache.getMany<BookCard>(ids.map(summaryKey));
    return Object.fromEntries(ids.map((id, i) => [id, values[i] ?? null]));
  }

  /** Writes the summary of each book in one pipeline (one round trip). */
  async primeSummaries(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const books = await prisma.book.findMany({
      where: { id: { in: ids } },
      select: bookCardSelect,
      take: ids.length,
    });
    const pipeline = redis.pipeline();
    for (const book of books) {
      pipeline.set(summaryKey(book.id), JSON.stringify(book), 'EX', 3600);
    }
    await pipeline.exec();
  }

  /** The book page's discussion: its latest visible comments. */
  async discussion(id: string) {
    const book = await prisma.book.findUnique({
      where: { id },
      select: {
        comments: {
          where: { deletedAt: null },
          select: { id: true, body: true, createdAt: true },
          orderBy: { createdAt: 'desc' },
          take: 20,
        },
      },
    });
    if (!book) throw new NotFoundError('Book');
    return book.comments;
  }
}

export const bookService = new BookService();
