import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

/** Thin wrapper that hands listeners to the socket it owns. */
export class ClubChannel {
  constructor(private readonly socket: Socket) {}

  on(event: string, cb: (...args: unknown[]) => void) {
    this.socket.on(event, cb); // not A402
  }

  off(event: string, cb: (...args: unknown[]) => void) {
    this.socket.off(event, cb);
  }
}

export const bus = new EventEmitter();
