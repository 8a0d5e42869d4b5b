import { config } from '@/config';
import { fetchJson } from '@/lib/http';
import { logger } from '@/lib/logger';
import { prisma } from '@/lib/prisma';

interface OpenLibraryEdition {
  covers?: number[];
}

/** Walks the catalogue and fills in missing covers from Open Library. */
export class BookMetadataPoller {
  private timer?: NodeJS.Timeout;
  private cursor?: string;
  private running = false;

  startPolling(intervalMs = 10 * 60_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  stopPolling(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const updated = await this.refreshCovers();
      if (updated > 0) logger.info({ updated }, 'book covers refreshed');
    } catch (err) {
      logger.warn({ err }, 'metadata poll failed');
    } finally {
      this.running = false;
    }
  }

  /** One query before the loop, HTTP calls inside it, one batched write after it. */
  async refreshCovers(batchSize = 25): Promise<number> {
    const books = await prisma.book.findMany({
      select: { id: true, isbn: true, coverUrl: true },
      orderBy: { id: 'asc' },
      take: batchSize,
      ...(this.cursor ? { cursor: { id: this.cursor }, skip: 1 } : {}),
    });
    this.cursor = books.length === batchSize ? books[books.length - 1].id : undefined;

    const updates: { id: string; coverUrl: string }[] = [];
    for (const book of books) {
      if (book.coverUrl) continue;
      const edition = await fetchJson<OpenLibraryEdition>(`${config.openLibraryUrl}/isbn/${book.isbn}.json`);
      const coverId = edition?.covers?.[0];
      if (coverId) updates.push({ id: book.id, coverUrl: `https://covers.openlibrary.org/b/id/${coverId}-M.jpg` });
    }
    if (updates.length === 0) return 0;

    await prisma.$transaction(
      updates.map((u) => prisma.book.update({ where: { id: u.id }, data: { coverUrl: u.coverUrl }, select: { id: true } })),
    );
    return updates.length;
  }
}

export const metadataPoller = new BookMetadataPoller();
