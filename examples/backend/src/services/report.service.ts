import { PrismaClient } from '@prisma/client';

export class ReportService {
  private readonly prisma: PrismaClient;

  constructor() {
    // Reports run long queries: a client of their own keeps them off the API's pool.
    this.prisma = new PrismaClient({ log: ['warn', 'error'] });
  }

  /** What a user did since `since`, newest first. */
  async activity(actorId: string, since: Date) {
    return this.prisma.auditLog.findMany({
      where: { actorId, createdAt: { gte: since } },
      orderBy: { createdAt: 'desc' },
      select: { id: true, action: true, entity: true, entityId: true, createdAt: true },
      take: 100,
    });
  }
}

export const reportService = new ReportService();
