/**
 * Scheduling priority of the calling thread: keepalived's vrrp_priority / checker_priority (a
 * nice value) and vrrp_rt_priority / checker_rt_priority (SCHED_RR), as lib/process.c
 * set_process_priorities applies them to its VRRP and checker processes. keepvip's are threads of
 * one process; on Linux setpriority(PRIO_PROCESS, 0) and sched_setscheduler(0) act on the calling
 * thread only, so each thread sets its own (a new thread starts with its creator's values, which
 * is why the checker thread always sets its nice value, 0 when none is configured).
 *
 * As keepalived: a real-time priority wins over the nice value (which is then not set), and the
 * policy is SCHED_RESET_ON_FORK, so scripts and threads started later run SCHED_OTHER again.
 * Deviation: keepalived also sets RLIMIT_RTTIME (vrrp_rlimit_rttime, default 10 ms between
 * blocking system calls); a Node thread's garbage collection or a reload's configuration parse
 * runs longer than that without blocking, and RLIMIT_RTTIME is SIGKILL at the hard limit, so
 * keepvip sets no RLIMIT_RTTIME (the rlimit_rttime keywords stay unsupported).
 */
import { setPriority } from 'node:os';
import { loadNative } from './native.js';

/** ThreadPriority is what one thread runs at: a nice value, or a SCHED_RR priority. */
export interface ThreadPriority {
  /** nice is the thread's nice value (-20..19); undefined leaves it as it is. */
  nice?: number;
  /** realtime is a SCHED_RR priority (1..99); it wins over nice. */
  realtime?: number;
}

/**
 * setThreadPriority applies p to the calling thread. It never throws: what could not be done
 * (EPERM without CAP_SYS_NICE, an addon that is not built) comes back as log lines, as keepalived
 * logs "cannot raise priority" / "Unable to set process priority" and carries on.
 */
export function setThreadPriority(p: ThreadPriority, what: string): string[] {
  const problems: string[] = [];
  if (p.realtime !== undefined && p.realtime > 0) {
    try {
      loadNative().schedSetRealtime(p.realtime);
    } catch (err) {
      problems.push(`${what} thread: cannot set real-time priority ${p.realtime}: ${describe(err)}`);
    }
    return problems;
  }
  if (p.nice !== undefined) {
    try {
      setPriority(0, p.nice);
    } catch (err) {
      problems.push(`${what} thread: unable to set priority ${p.nice}: ${describe(err)}`);
    }
  }
  return problems;
}

/** describe names an error by its errno (os.setPriority's SystemError keeps it in info.code). */
function describe(err: unknown): string {
  const e = err as { code?: unknown; info?: { code?: unknown }; message?: unknown };
  const code = e.info?.code ?? e.code;
  return typeof code === 'string' ? code : String(e.message ?? err);
}
