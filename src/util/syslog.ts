/**
 * Syslog output, keepalived's default log destination: a detached daemon (no -n) and one run
 * without -l outside systemd log to syslog with keepalived's facility rules (`-S`: 0-7 for
 * local0..local7, or a facility name; default daemon). Node has no Unix datagram sockets, so
 * lines go through one long-running util-linux `logger --prio-prefix` reading a pipe (started
 * with the spawn helper), which writes each to /dev/log (or another socket) with its level.
 *
 * Logging must never stall the daemon: a write only appends to the pipe; when the pipe holds
 * more than SYSLOG_MAX_BUFFERED bytes (logger stuck) lines are dropped and counted; a logger
 * that exits is restarted at the next line, at most once per SYSLOG_RESTART_MS.
 */
import type { Clock } from './clock.js';
import { type ProcessHandle, startProcess } from './spawn.js';

/** SyslogLevel is the part of a syslog priority keepvip uses (RFC 5424 severities). */
export type SyslogLevel = 'error' | 'warn' | 'info' | 'debug';

/** SEVERITY is RFC 5424 6.2.1's severity number of each level. */
const SEVERITY: Record<SyslogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** SYSLOG_MAX_BUFFERED: bytes waiting in the pipe to logger beyond which lines are dropped. */
export const SYSLOG_MAX_BUFFERED = 256 * 1024;

/** SYSLOG_RESTART_MS: a logger that exited is started again at most this often. */
export const SYSLOG_RESTART_MS = 1000;

const FACILITY_NAMES = new Set([
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  ...Array.from({ length: 8 }, (_, i) => `local${i}`),
]);

/** parseFacility reads keepalived's -S value: 0-7 mean local0..local7, else a facility name; undefined when invalid. */
export function parseFacility(value: string): string | undefined {
  if (/^[0-7]$/.test(value)) return `local${value}`;
  const v = value.toLowerCase().replace(/^log_/, '');
  return FACILITY_NAMES.has(v) ? v : undefined;
}

/** syslogLine is one line for `logger --prio-prefix`: severity prefix, no newline inside. */
export function syslogLine(level: SyslogLevel, message: string): string {
  return `<${SEVERITY[level]}>${message.replace(/[\r\n]+/g, ' ')}\n`;
}

/** SyslogOptions: the tag (keepalived: Keepalived_vrrp), pid shown, facility, socket, clock. */
export interface SyslogOptions {
  tag: string;
  pid: number;
  facility: string;
  /** socket defaults to /dev/log. */
  socket?: string;
  clock: Clock;
}

/** SyslogWriter sends lines to syslog without ever blocking the caller. */
export class SyslogWriter {
  /** dropped counts lines lost while logger was stuck or gone. */
  dropped = 0;
  private proc: ProcessHandle | undefined;
  private alive = false;
  private lastStartMs = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(private readonly o: SyslogOptions) {}

  /** write sends one message at a level. */
  write(level: SyslogLevel, message: string): void {
    if (this.closed) return;
    if (!this.alive) this.start();
    const stdin = this.proc?.stdin as (NodeJS.WritableStream & { writableLength?: number }) | undefined;
    if (!this.alive || !stdin || (stdin.writableLength ?? 0) > SYSLOG_MAX_BUFFERED) {
      this.dropped++;
      return;
    }
    stdin.write(syslogLine(level, message));
  }

  /** close ends the logger process after it has read what was written. */
  close(): void {
    this.closed = true;
    this.proc?.stdin?.end();
    this.proc = undefined;
    this.alive = false;
  }

  private start(): void {
    const now = this.o.clock.nowMs();
    if (now - this.lastStartMs < SYSLOG_RESTART_MS) return;
    this.lastStartMs = now;
    const args = [
      '--prio-prefix',
      '-t',
      this.o.tag,
      `--id=${this.o.pid}`,
      '-p',
      `${this.o.facility}.notice`,
      '--socket-errors=off',
      ...(this.o.socket ? ['-u', this.o.socket] : []),
    ];
    const proc = startProcess(
      { file: 'logger', args },
      { clock: this.o.clock, stdin: 'pipe', output: 'none' },
    );
    this.proc = proc;
    this.alive = proc.pid !== undefined;
    void proc.exited.then(() => {
      if (this.proc === proc) this.alive = false;
    });
  }
}
