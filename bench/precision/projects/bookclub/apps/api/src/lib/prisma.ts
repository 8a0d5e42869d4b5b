import { PrismaClient } from '@prisma/client';
import { remember } from './remember';

// One client per process, kept across hot reloads in development.
export const prisma = remember('prisma', () => new PrismaClient()); // not P107

// Reporting reads go to the replica: a second pool on purpose.
export const replica = new PrismaClient({ datasources: { db: { url: process.env.REPLICA_URL } } }); // not P107
