import { PrismaClient } from '@prisma/client';

// One client per process, kept across hot reloads in development.
const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };
export const prisma = globalForPrisma.prisma ?? new PrismaClient();
if (process.env.NODE_ENV !== 'production') globalForPrisma.prisma = prisma;

// Reporting reads go to the replica: a second pool on purpose.
export const replica = new PrismaClient({ datasources: { db: { url: process.env.REPLICA_URL } } }); // not P107
