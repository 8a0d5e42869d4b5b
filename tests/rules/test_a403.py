"""A403 interval-never-cleared."""

from pathlib import Path

from perfaudit.server.analysis.parsing import parse
from helpers import line_containing, lines_of, run_rules

WARMER = """
    import { refreshPopular } from './stats';

    export function startCacheWarmer(everyMs = 5 * 60_000): void {
      setInterval(async () => {
        await refreshPopular();
      }, everyMs);
    }

    // Started once when the module loads.
    setInterval(() => console.log('alive'), 60_000).unref();
    """

POLLER = """
    export class MetadataPoller {
      private timer?: NodeJS.Timeout;

      startPolling(intervalMs = 60_000): void {
        if (this.timer) return;
        this.timer = setInterval(() => void this.tick(), intervalMs);
        this.timer.unref();
      }

      stopPolling(): void {
        if (this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      }

      private async tick(): Promise<void> {}
    }
    """

HEARTBEAT = """
    import { Router, type Request, type Response } from 'express';

    export const router = Router();

    router.get('/stream', (req: Request, res: Response) => {
      const heartbeat = setInterval(() => res.write(': ping\\n\\n'), 25_000);
      req.on('close', () => clearInterval(heartbeat));
    });

    export function every(ms: number, fn: () => void) {
      const handle = setInterval(fn, ms);
      return handle;
    }
    """


def test_dropped_handle_fires_module_level_does_not(tmp_path):
    found = run_rules(tmp_path, {"src/jobs/cacheWarmer.ts": WARMER}, "A403")
    assert lines_of(tmp_path, found) == [("src/jobs/cacheWarmer.ts", line_containing(WARMER, "setInterval(async"), "A403")]


def test_cleared_in_stop_method_in_close_handler_or_returned(tmp_path):
    files = {"src/jobs/poller.ts": POLLER, "src/routes/stream.ts": HEARTBEAT}
    assert run_rules(tmp_path, files, "A403") == []


def test_kept_on_this_never_cleared_gets_clear_in_stop(tmp_path):
    text = POLLER.replace("          clearInterval(this.timer);\n", "")
    found = run_rules(tmp_path, {"src/jobs/poller.ts": text}, "A403")
    assert lines_of(tmp_path, found) == [("src/jobs/poller.ts", line_containing(text, "this.timer = setInterval"), "A403")]
    (edit,) = found[0].fixes[0].edits
    data = Path(found[0].path).read_bytes()
    fixed = data[: edit.start] + edit.new_text.encode() + data[edit.end :]
    assert b"stopPolling(): void {\n    clearInterval(this.timer);" in fixed
    assert not parse(fixed, "typescript").root_node.has_error
