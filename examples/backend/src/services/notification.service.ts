import { redis, subscriber } from '@/lib/redis';

export interface Notification {
  kind: 'comment' | 'list.shared' | 'system';
  message: string;
  readListId?: string;
}

const channelFor = (userId: string) => `notifications:${userId}`;

export class NotificationService {
  async publish(userId: string, notification: Notification): Promise<void> {
    await redis.publish(channelFor(userId), JSON.stringify(notification));
  }

  /** Called for every EventSource that opens /api/activity/notifications. */
  async subscribe(userId: string, onNotification: (n: Notification) => void): Promise<void> {
    const channel = channelFor(userId);
    subscriber.on('message', (ch: string, message: string) => {
      if (ch === channel) onNotification(JSON.parse(message) as Notification);
    });
    await subscriber.subscribe(channel);
  }
}

export const notificationService = new NotificationService();
