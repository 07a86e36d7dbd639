/**
 * Logger writes keepalived-style lines. With `console` it writes to stderr (keepalived's -l);
 * otherwise to syslog-less stdout for journald. `detail` enables debug lines (keepalived's -D).
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

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
}

/** createLogger builds a Logger; lines look like `Sun Nov 22 02:11:45 2026: (VI_1) Entering MASTER STATE`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const sinks = options.sinks ?? [];
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    for (const sink of sinks) sink(level, message, fields);
    if (level === 'debug' && !options.detail) return;
    const now = new Date();
    if (options.json) {
      stream.write(`${JSON.stringify({ time: now.toISOString(), level, msg: message, ...fields })}\n`);
    } else {
      const stamp = now.toISOString().replace('T', ' ').replace('Z', '');
      stream.write(`${stamp} ${options.prefix ?? 'Keepvip'}: ${message}\n`);
    }
  };
  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
  };
}

/** silentLogger discards everything; for unit tests. */
export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };
