import { redis } from '../lib/redis';

/** Refreshes exchange rates; stopped on shutdown. */
export function startRateRefresh(fetchRates: () => Promise<Record<string, number>>) {
  const handle = setInterval(async () => { // not A403
    const rates = await fetchRates();
    await redis.set('rates', JSON.stringify(rates), 'EX', 3600);
  }, 60_000);
  process.once('SIGTERM', () => clearInterval(handle));
  return handle;
}

/** Pings a partner every minute; the handle is dropped. */
export function startPartnerPing(ping: () => Promise<void>) {
  setInterval(() => void ping(), 60_000); // expect A403
}
