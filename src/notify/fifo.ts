/**
 * notify_fifo / vrrp_notify_fifo: keepalived writes one line per event to a FIFO, in the form
 * `INSTANCE "VI_1" MASTER 100`, and may start `notify_fifo_script` with the FIFO's path to read
 * it. keepvip holds the FIFO open read-write and non-blocking (as keepalived does), so opening
 * never waits for a reader, and a reader that goes away or stops reading only fills the pipe
 * buffer: further lines are dropped and counted, the daemon never stalls.
 */
import { chownSync, closeSync, constants, lstatSync, openSync, writeSync } from 'node:fs';
import { makeFifo } from '../kernel/fifo.js';
import { resolveInvocation } from '../util/command.js';
import type { Logger } from '../util/logger.js';
import { type ProcessHandle, startProcess } from '../util/spawn.js';
import type { NotifyEvent, NotifyRunOptions } from './notify-scripts.js';

/** DROP_LOG_INTERVAL_MS: dropped lines are logged at most this often. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** fifoLine formats one event as keepalived writes it to a notify FIFO, newline included. */
export function fifoLine(
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  state: NotifyEvent,
  priority: number,
): string {
  return `${kind} "${name}" ${state} ${priority}\n`;
}

/** NotifyFifo is one open notify FIFO (and the reader script keepvip started for it, if any). */
export class NotifyFifo {
  /** written and dropped count lines; dropped lines found the pipe full. */
  written = 0;
  dropped = 0;
  private fd: number | undefined;
  /** reader is the running `*_fifo_script`, if any (its `exited` resolves when it ends). */
  reader: ProcessHandle | undefined;
  private lastDropLogMs = -Infinity;

  private constructor(
    readonly path: string,
    private readonly log: Logger,
    private readonly run: NotifyRunOptions,
  ) {}

  /**
   * open creates the FIFO when missing (mkfifo, mode 0600), opens it, and starts the reader
   * script with the path as its last argument (as script_user, through the spawn helper). It
   * returns undefined, after logging, when the path exists and is not a FIFO or cannot be
   * opened: notifications must not stop the daemon.
   */
  static open(
    path: string,
    script: string | undefined,
    log: Logger,
    run: NotifyRunOptions,
  ): NotifyFifo | undefined {
    const fifo = new NotifyFifo(path, log, run);
    try {
      let st = lstatSync(path, { throwIfNoEntry: false });
      if (!st) {
        makeFifo(path, 0o600);
        // The reader script runs as script_user: a FIFO keepvip made is that user's to read.
        if (script && run.identity) chownSync(path, run.identity.uid, run.identity.gid);
        st = lstatSync(path);
      }
      if (!st.isFIFO()) {
        log.error(`notify FIFO ${path} exists and is not a FIFO; not writing notifications to it`);
        return undefined;
      }
      fifo.fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (err) {
      log.error(`cannot open notify FIFO ${path}: ${(err as Error).message}`);
      return undefined;
    }
    if (script) fifo.startReader(script);
    return fifo;
  }

  /** write puts one line into the FIFO without ever blocking; a full pipe drops the line. */
  write(line: string): void {
    if (this.fd === undefined) return;
    try {
      // A line shorter than PIPE_BUF is written whole or not at all (POSIX write(2) on pipes).
      writeSync(this.fd, line);
      this.written++;
    } catch (err) {
      this.dropped++;
      const now = this.run.clock.nowMs();
      if (now - this.lastDropLogMs >= DROP_LOG_INTERVAL_MS) {
        this.lastDropLogMs = now;
        this.log.warn(
          `notify FIFO ${this.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; ` +
            `reader gone or slow, ${this.dropped} line(s) dropped so far`,
        );
      }
    }
  }

  /** close stops the reader script (its process group) and closes the FIFO. */
  close(): void {
    this.reader?.stop();
    this.reader = undefined;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private startReader(script: string): void {
    const inv = resolveInvocation(script);
    const call = inv.viaShell
      ? { file: '/bin/bash', args: ['-c', `${script} "$@"`, 'notify_fifo', this.path] }
      : { file: inv.file, args: [...inv.args, this.path] };
    const reader = startProcess(call, {
      clock: this.run.clock,
      identity: this.run.identity,
      output: 'stderr',
    });
    this.reader = reader;
    void reader.exited.then((r) => {
      if (r.error) this.log.error(`notify FIFO script ${script}: ${r.error}`);
      else if (this.reader === reader) {
        this.log.warn(
          `notify FIFO script ${script} exited (${r.exitCode ?? r.signal}) ${r.output.trim().slice(-200)}`,
        );
      }
    });
  }
}
