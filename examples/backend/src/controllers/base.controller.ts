import type { Request } from 'express';

export interface PageParams {
  page: number;
  limit: number;
  skip: number;
  take: number;
}

export abstract class BaseController {
  protected readonly defaultLimit = 20;
  protected readonly maxLimit = 100;

  /** `?page=2&limit=50` -> Prisma's skip/take, clamped. */
  protected buildQueryParams(query: Request['query']): PageParams {
    const page = Math.max(1, Number(query.page) || 1);
    const limit = Math.min(this.maxLimit, Math.max(1, Number(query.limit) || this.defaultLimit));
    return { page, limit, skip: (page - 1) * limit, take: limit };
  }
}
