import bcrypt from 'bcrypt';
import { prisma } from '@/lib/prisma';
import { HttpError } from '@/lib/errors';
import { config } from '@/config';
import { cache } from './cache.service';
import { sessionCacheKey, sessionService, type SessionUser } from './session.service';

export interface RegisterInput {
  email: string;
  password: string;
  displayName: string;
}

export class AuthService {
  async register(input: RegisterInput): Promise<SessionUser> {
    const existing = await prisma.user.findUnique({ where: { email: input.email }, select: { id: true } });
    if (existing) throw new HttpError(409, 'Email already registered');
    const passwordHash = bcrypt.hashSync(input.password, 12);
    return prisma.user.create({
      data: { email: input.email, displayName: input.displayName, passwordHash },
      select: { id: true, email: true, displayName: true },
    });
  }

  async login(email: string, password: string) {
    const user = await prisma.user.findUnique({
      where: { email },
      select: { id: true, email: true, displayName: true, passwordHash: true },
    });
    if (!user || !(await bcrypt.compare(password, user.passwordHash))) {
      throw new HttpError(401, 'Invalid email or password');
    }
    const session = await sessionService.create(user.id);
    const sessionUser: SessionUser = { id: user.id, email: user.email, displayName: user.displayName };
    await cache.set(sessionCacheKey(session.token), sessionUser, config.sessionTtlSeconds);
    return { token: session.token, expiresAt: session.expiresAt, user: sessionUser };
  }

  async logout(token: string): Promise<void> {
    await sessionService.revoke(token);
  }
}

export const authService = new AuthService();
