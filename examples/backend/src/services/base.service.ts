import { NotFoundError } from '@/lib/errors';

export interface Repository<T, CreateInput> {
  findById(id: string): Promise<T | null>;
  create(data: CreateInput): Promise<T>;
  createMany(data: CreateInput[]): Promise<number>;
  delete(id: string): Promise<void>;
}

/** CRUD plumbing shared by the entity services; subclasses provide the repository. */
export abstract class BaseService<T, CreateInput> {
  protected abstract readonly repository: Repository<T, CreateInput>;
  protected abstract readonly entityName: string;

  async getById(id: string): Promise<T> {
    const entity = await this.repository.findById(id);
    if (!entity) throw new NotFoundError(this.entityName);
    return entity;
  }

  async create(data: CreateInput): Promise<T> {
    return this.repository.create(data);
  }

  async createMany(data: CreateInput[]): Promise<number> {
    if (data.length === 0) return 0;
    return this.repository.createMany(data);
  }

  async remove(id: string): Promise<void> {
    await this.repository.delete(id);
  }
}
