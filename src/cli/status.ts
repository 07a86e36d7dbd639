/**
 * `keepvip status [--json] [--watch] [--control PATH]`: what the running daemon says about
 * itself. `--watch` is a live view for the operator at a director during maintenance: it asks
 * the control socket every 200 ms and redraws the terminal only when the text changed.
 */
import { requestControl } from '../control/client.js';
import { formatStatus, type StatusDocument } from '../control/status-text.js';
import { systemClock, type Clock } from '../util/clock.js';

/** WATCH_INTERVAL_MS is how often `status --watch` asks the daemon. */
export const WATCH_INTERVAL_MS = 200;

/**
 * STATUS_TIMEOUT_MS is how long `keepvip status` waits: the daemon asks the checker thread for
 * its snapshot first (up to SNAPSHOT_WAIT_MS, 6 s), which a 1-CPU guest checking 12,000 servers
 * needs more than a second for, and then builds an 8 MB document (10 s were not enough there);
 * the client's default 3 s timed out with no answer.
 */
export const STATUS_TIMEOUT_MS = 20_000;

/** runStatus prints the daemon's status and returns the exit code. */
export async function runStatus(opts: { json?: boolean; watch?: boolean; control: string }): Promise<number> {
  if (opts.watch) return watchStatus(opts.control, process.stdout, systemClock);
  try {
    const doc = (await requestControl(opts.control, 'status', STATUS_TIMEOUT_MS)) as StatusDocument;
    process.stdout.write(opts.json ? `${JSON.stringify(doc, null, 2)}\n` : `${formatStatus(doc)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`keepvip status: ${(err as Error).message}\n`);
    return 3;
  }
}

/** watchFrame is one screen of `status --watch`: the status text, or why the daemon did not answer. */
export async function watchFrame(control: string): Promise<string> {
  try {
    return formatStatus((await requestControl(control, 'status', 1000)) as StatusDocument);
  } catch (err) {
    return `keepvip status --watch: ${(err as Error).message}`;
  }
}

/** WatchOutput is where the watch draws (a terminal, or a buffer in tests). */
export interface WatchOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** StatusWatch draws frames and redraws only when the text changed. */
export class StatusWatch {
  private last: string | undefined;

  constructor(
    private readonly fetchFrame: () => Promise<string>,
    private readonly out: WatchOutput,
    private readonly header: string,
  ) {}

  /** tick fetches one frame; returns true when it redrew the screen. */
  async tick(): Promise<boolean> {
    const frame = await this.fetchFrame();
    if (frame === this.last) return false;
    this.last = frame;
    // Home + clear on a terminal; a plain separator when the output is a pipe or a file.
    this.out.write(`${this.out.isTTY ? '\x1b[H\x1b[2J' : '\n'}${this.header}\n\n${frame}\n`);
    return true;
  }
}

/** watchStatus redraws the status on change until SIGINT / SIGTERM; returns 0. */
export function watchStatus(control: string, out: WatchOutput, clock: Clock): Promise<number> {
  return new Promise((resolve) => {
    let stopped = false;
    let timer: { cancel(): void } | undefined;
    const watch = new StatusWatch(
      () => watchFrame(control),
      out,
      `keepvip status --watch (${control}, every ${WATCH_INTERVAL_MS} ms, Ctrl-C quits)`,
    );
    // The alternate screen keeps the operator's scrollback; the cursor is hidden while drawing.
    if (out.isTTY) out.write('\x1b[?1049h\x1b[?25l');
    const stop = () => {
      stopped = true;
      timer?.cancel();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (out.isTTY) out.write('\x1b[?25h\x1b[?1049l');
      resolve(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const tick = async () => {
      await watch.tick();
      if (!stopped) timer = clock.at(clock.nowMs() + WATCH_INTERVAL_MS, () => void tick());
    };
    void tick();
  });
}
