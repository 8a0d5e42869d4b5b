import Redis from 'ioredis';
import { logger } from './logger';

const url = process.env.REDIS_URL ?? 'redis://localhost:6379/0';

export const redis = new Redis(url, { maxRetriesPerRequest: 3 });

// A connection in subscriber mode cannot run other commands, so pub/sub gets its own.
export const subscriber = redis.duplicate();

redis.on('error', (err) => logger.error({ err }, 'redis error'));
subscriber.on('error', (err) => logger.error({ err }, 'redis subscriber error'));
