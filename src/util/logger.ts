/**
 * Logger writes keepalived-style lines to one destination (see logTarget): the console
 * (stderr, keepalived's -l), the systemd journal (stdout with sd-daemon `<N>` level prefixes,
 * journald adds time and pid), or syslog (keepalived's default, util/syslog.ts). `detail`
 * enables debug lines (keepalived's -D).
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** LogTarget is where a daemon's lines go. */
export type LogTarget = 'console' | 'journal' | 'syslog';

/**
 * logTarget picks the destination as keepalived does, with systemd in mind: -l means the
 * console; under systemd (INVOCATION_ID or JOURNAL_STREAM set, stdout is the journal) the
 * journal; otherwise syslog, also for a detached daemon, whose stdout and stderr are /dev/null.
 */
export function logTarget(logConsole: boolean, env: NodeJS.ProcessEnv = process.env): LogTarget {
  if (logConsole) return 'console';
  if (env.JOURNAL_STREAM || env.INVOCATION_ID) return 'journal';
  return 'syslog';
}

/** SD_LEVEL is the sd-daemon(3) prefix journald reads a line's priority from. */
const SD_LEVEL: Record<LogLevel, string> = { error: '<3>', warn: '<4>', info: '<6>', debug: '<7>' };

/** SyslogSink receives formatted messages with their level (util/syslog.ts SyslogWriter). */
export interface SyslogSink {
  write(level: LogLevel, message: string): void;
}

/** LogSink receives every emitted line; tests and the status socket subscribe through it. */
export type LogSink = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** Logger is the one logging interface passed to every component. */
export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** LoggerOptions chooses where lines go and in which form. */
export interface LoggerOptions {
  detail?: boolean;
  json?: boolean;
  stream?: NodeJS.WritableStream;
  prefix?: string;
  sinks?: LogSink[];
  /** journal writes `<N>message` lines to `stream` (journald adds time, tag and pid). */
  journal?: boolean;
  /** syslog replaces `stream`: each message goes to syslog with its level. */
  syslog?: SyslogSink;
  /**
   * batch gathers the lines of one event-loop callback into one write to `stream` (flushed on
   * process.nextTick, and at exit): 255 instances taking over at once log ~770 lines, and a
   * write(2) to a pipe each held the takeover loop ~30 us per line.
   */
  batch?: boolean;
}

/** createLogger builds a Logger; lines look like `Sun Nov 22 02:11:45 2026: (VI_1) Entering MASTER STATE`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const sinks = options.sinks ?? [];
  const write = options.batch ? batchedWriter(stream) : (line: string) => void stream.write(line);
  // Batched, the lines of one callback share one reading of the clock: 12,000 real servers
  // coming up log 12,000 lines, and a Date each was a system call each in the UML guest.
  let batchNow: Date | undefined;
  const clearNow = () => {
    batchNow = undefined;
  };
  const readNow = (): Date => {
    if (!options.batch) return new Date();
    if (batchNow === undefined) {
      batchNow = new Date();
      process.nextTick(clearNow);
    }
    return batchNow;
  };
  let stampOf: Date | undefined;
  let stamp = '';
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    for (const sink of sinks) sink(level, message, fields);
    if (level === 'debug' && !options.detail) return;
    const now = readNow();
    if (options.syslog) {
      options.syslog.write(
        level,
        options.json ? JSON.stringify({ level, msg: message, ...fields }) : message,
      );
    } else if (options.json) {
      write(`${JSON.stringify({ time: now.toISOString(), level, msg: message, ...fields })}\n`);
    } else if (options.journal) {
      write(`${SD_LEVEL[level]}${message}\n`);
    } else {
      if (stampOf !== now) {
        stampOf = now;
        stamp = now.toISOString().replace('T', ' ').replace('Z', '');
      }
      write(`${stamp} ${options.prefix ?? 'Keepvip'}: ${message}\n`);
    }
  };
  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
  };
}

/** batchedWriter queues lines and writes them to stream together at the end of the callback. */
function batchedWriter(stream: NodeJS.WritableStream): (line: string) => void {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    stream.write(text);
  };
  // process.stdout/stderr write synchronously to files, pipes and terminals on Linux, so lines
  // queued before an exit (a fatal error's last words) still reach the stream from here.
  process.once('exit', flush);
  return (line) => {
    if (pending.push(line) === 1) process.nextTick(flush);
  };
}

/** silentLogger discards everything; for unit tests. */
export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };
