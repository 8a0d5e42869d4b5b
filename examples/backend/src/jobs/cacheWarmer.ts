import { logger } from '@/lib/logger';
import { bookService } from '@/services/book.service';
import { statsService } from '@/services/stats.service';

/** Keeps the homepage widget warm so no visitor pays for the groupBy. */
export function startCacheWarmer(everyMs = 5 * 60_000): void {
  setInterval(async () => {
    try {
      const popular = await statsService.popularBooks();
      await bookService.primeSummaries(popular.map((p) => p.bookId));
    } catch (err) {
      logger.warn({ err }, 'cache warm-up failed');
    }
  }, everyMs);
}
