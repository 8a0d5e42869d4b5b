import fs from 'node:fs';
import path from 'node:path';
import { prisma } from '@/lib/prisma';
import { NotFoundError } from '@/lib/errors';

const TEMPLATE_PATH = path.join(__dirname, '..', 'templates', 'export.html');

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class ExportService {
  /** Printable HTML page ("Imprimer ma liste"). */
  async renderHtml(readListId: string): Promise<string> {
    const list = await prisma.readList.findUnique({
      where: { id: readListId },
      include: { items: true },
    });
    if (!list) throw new NotFoundError('Read list');

    const rows: string[] = [];
    for (const item of list.items) {
      const book = await prisma.book.findUnique({ where: { id: item.bookId }, select: { title: true, author: true } });
      rows.push(
        `<tr><td>${item.position + 1}</td><td>${escapeHtml(book?.title ?? '—')}</td><td>${escapeHtml(book?.author ?? '')}</td></tr>`,
      );
    }

    const template = fs.readFileSync(TEMPLATE_PATH, 'utf8');
    return template.replaceAll('{{title}}', escapeHtml(list.title)).replace('{{rows}}', rows.join('\n'));
  }

  /** JSON download: one query for the list, one for all of its books. */
  async buildJson(readListId: string) {
    const list = await prisma.readList.findUnique({
      where: { id: readListId },
      select: {
        title: true,
        items: { select: { bookId: true, position: true, status: true, note: true } },
      },
    });
    if (!list) throw new NotFoundError('Read list');

    const bookIds = list.items.map((item) => item.bookId);
    const books = await prisma.book.findMany({
      where: { id: { in: bookIds } },
      select: { id: true, isbn: true, title: true, author: true },
      take: bookIds.length,
    });
    const byId = new Map(books.map((book) => [book.id, book]));
    return {
      title: list.title,
      exportedAt: new Date().toISOString(),
      items: list.items.map((item) => ({ ...item, book: byId.get(item.bookId) ?? null })),
    };
  }
}

export const exportService = new ExportService();
