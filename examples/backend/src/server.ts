import 'dotenv/config';
import { app } from './app';
import { config } from './config';
import { startCacheWarmer } from './jobs/cacheWarmer';
import { metadataPoller } from './jobs/metadataPoller';
import { logger } from './lib/logger';
import { prisma } from './lib/prisma';
import { redis, subscriber } from './lib/redis';

const server = app.listen(config.port, () => {
  logger.info({ port: config.port, version: config.version }, 'readlists API listening 🚀');
});

metadataPoller.startPolling();
startCacheWarmer();

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  logger.info({ signal }, 'shutting down');
  metadataPoller.stopPolling();
  server.close();
  await Promise.all([prisma.$disconnect(), redis.quit(), subscriber.quit()]);
  process.exit(0);
}

process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));
