import { prisma } from '@/lib/prisma';
import { redis } from '@/lib/redis';

export class UserService {
  /** Public profile: the user and their latest comments. */
  async getProfile(userId: string) {
    const user = await prisma.user.findUniqueOrThrow({
      where: { id: userId },
      select: { id: true, displayName: true, createdAt: true },
    });
    const comments = await prisma.comment.findMany({
      where: { userId },
      select: { id: true, body: true, createdAt: true, book: { select: { id: true, title: true } } },
      take: 20,
    });
    return { ...user, comments };
  }

  /** Last-seen timestamp for the "friends online" badge. */
  async touchLastSeen(userId: string): Promise<void> {
    await redis.set(`user:${userId}:last-seen`, Date.now().toString());
  }
}

export const userService = new UserService();
