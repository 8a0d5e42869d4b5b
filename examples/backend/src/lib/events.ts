import { EventEmitter } from 'node:events';

export interface ActivityEvent {
  type: 'readlist.created' | 'readlist.updated' | 'item.added';
  readListId: string;
  actorId: string;
  at: string;
}

/** In-process bus for the live activity feed (one per process). */
class ActivityBus extends EventEmitter {
  publish(event: ActivityEvent): void {
    this.emit('activity', event);
  }
}

export const activityBus = new ActivityBus();
activityBus.setMaxListeners(1000);
