import { PrismaClient } from '@prisma/client';

// The one client of the process: each PrismaClient opens its own connection pool.
export const prisma = new PrismaClient({
  log: process.env.NODE_ENV === 'development' ? ['query', 'warn', 'error'] : ['warn', 'error'],
});

export type Db = typeof prisma;
