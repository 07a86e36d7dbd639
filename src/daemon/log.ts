/**
 * The daemon's logger: where its lines go (util/logger.ts logTarget: -l console, journal under
 * systemd, else syslog as keepalived does, with -S's facility) and in which form.
 */
import { systemClock } from '../util/clock.js';
import { createLogger, type Logger, logTarget } from '../util/logger.js';
import { SyslogWriter } from '../util/syslog.js';

/** DaemonLogOptions are the command line's logging choices. */
export interface DaemonLogOptions {
  logConsole: boolean;
  logDetail: boolean;
  logJson: boolean;
  /** logFacility is a syslog facility name (parsed from -S; default daemon). */
  logFacility?: string;
  /** syslogSocket replaces /dev/log (containers, tests). */
  syslogSocket?: string;
}

/** DaemonLog is the logger and how to close its syslog pipe at exit. */
export interface DaemonLog {
  log: Logger;
  target: ReturnType<typeof logTarget>;
  close(): void;
}

/** SYSLOG_TAG is the program name in syslog lines (keepalived's is Keepalived_vrrp). */
export const SYSLOG_TAG = 'Keepvip_vrrp';

/** daemonLog builds the daemon's logger for its options and environment. */
export function daemonLog(o: DaemonLogOptions, env: NodeJS.ProcessEnv = process.env): DaemonLog {
  const target = logTarget(o.logConsole, env);
  const syslog =
    target === 'syslog'
      ? new SyslogWriter({
          tag: SYSLOG_TAG,
          pid: process.pid,
          facility: o.logFacility ?? 'daemon',
          socket: o.syslogSocket,
          clock: systemClock,
        })
      : undefined;
  const log = createLogger({
    detail: o.logDetail,
    json: o.logJson,
    stream: target === 'console' ? process.stderr : process.stdout,
    journal: target === 'journal',
    syslog,
    prefix: `${SYSLOG_TAG}[${process.pid}]`,
    batch: true,
  });
  return { log, target, close: () => syslog?.close() };
}
