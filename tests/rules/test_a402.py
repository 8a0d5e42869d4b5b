"""A402 listener-leak."""

from helpers import line_containing, lines_of, run_rules
from fixtures.redis.shapes import IOREDIS_LIB

NOTIFICATIONS = """
    import { subscriber } from '../lib/redis';

    export class NotificationService {
      async subscribe(userId: string, onMessage: (m: string) => void) {
        const channel = `notifications:${userId}`;
        subscriber.on('message', (ch: string, message: string) => {
          if (ch === channel) onMessage(message);
        });
        await subscriber.subscribe(channel);
      }
    }
    """

SERVER = """
    import express from 'express';
    import { redis } from './lib/redis';

    const app = express();
    const server = app.listen(3000);

    async function shutdown(signal: string) {
      server.close();
      await redis.quit();
    }

    process.on('SIGTERM', (signal) => void shutdown(signal));
    process.on('SIGINT', (signal) => void shutdown(signal));

    export function bootstrap() {
      process.on('unhandledRejection', (err) => console.error(err));
    }
    """

ACTIVITY = """
    import { EventEmitter } from 'node:events';
    import { Router, type Request, type Response } from 'express';

    export const activityBus = new EventEmitter();
    export const activityRouter = Router();

    activityRouter.get('/stream', (req: Request, res: Response) => {
      const send = (event: unknown) => res.write(`data: ${JSON.stringify(event)}\\n\\n`);
      activityBus.on('activity', send);
      req.on('close', () => {
        activityBus.off('activity', send);
      });
    });

    activityRouter.get('/leaky', (req: Request, res: Response) => {
      activityBus.on('alert', (event: unknown) => res.write(String(event)));
      res.on('finish', () => console.log('done'));
    });

    export function watchSocket(url: string) {
      const socket = new EventEmitter();
      socket.on('data', (d) => console.log(d));
      return socket;
    }
    """


def test_subscribe_method_adds_a_listener_per_call(tmp_path):
    found = run_rules(tmp_path, {**IOREDIS_LIB, "src/services/notification.service.ts": NOTIFICATIONS}, "A402")
    assert lines_of(tmp_path, found) == [("src/services/notification.service.ts", line_containing(NOTIFICATIONS, "subscriber.on"), "A402")]
    assert "off('message'" in found[0].message


def test_startup_and_module_level_registrations_are_clean(tmp_path):
    assert run_rules(tmp_path, {**IOREDIS_LIB, "src/server.ts": SERVER}, "A402") == []


def test_removed_listeners_and_per_request_emitters(tmp_path):
    found = run_rules(tmp_path, {"src/routes/activity.ts": ACTIVITY}, "A402")
    assert lines_of(tmp_path, found) == [("src/routes/activity.ts", line_containing(ACTIVITY, "activityBus.on('alert'"), "A402")]


def test_this_member_emitter_in_a_method(tmp_path):
    text = """
        import { EventEmitter } from 'node:events';

        export class JobQueue {
          private readonly events = new EventEmitter();

          constructor() {
            this.events.on('error', (err) => console.error(err));
          }

          waitFor(jobId: string): Promise<void> {
            return new Promise((resolve) => {
              this.events.on('done', (id: string) => {
                if (id === jobId) resolve();
              });
            });
          }
        }
        """
    found = run_rules(tmp_path, {"src/jobs/queue.ts": text}, "A402")
    assert lines_of(tmp_path, found) == [("src/jobs/queue.ts", line_containing(text, "'done'"), "A402")]


def test_an_event_named_by_a_variable_is_shown_as_written(tmp_path):
    files = {
        "src/services/feed.service.ts": """\
            import { EventEmitter } from 'node:events';
            export const bus = new EventEmitter();
            export class FeedService {
              follow(topic: string, push: (m: unknown) => void) {
                bus.on(topic, push);
              }
            }
        """,
    }
    [finding] = run_rules(tmp_path, files, "A402", schema=False)
    assert finding.message.startswith("`bus.on(topic, ...)` adds a listener")
    assert "this event" not in finding.message and "bus.off(topic, handler)" in finding.message
