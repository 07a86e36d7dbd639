/**
 * Runs one MISC_CHECK script: in its own process group, as its user, killed at the timeout
 * (SIGTERM to the group, SIGKILL two seconds later, as keepalived's misc_check_child_thread
 * does). The timeout is armed on the injected Clock.
 */
import { spawn } from 'node:child_process';
import type { Clock, TimerHandle } from '../util/clock.js';

/** ProcessOutcome is how a check script ended. */
export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** error is set when the program could not start (ENOENT, EACCES). */
  error?: string;
}

/** KILL_AFTER_TERM_MS is keepalived's 2 s between SIGTERM and SIGKILL of a timed-out script. */
export const KILL_AFTER_TERM_MS = 2000;

/** runCheckProcess runs file with args and resolves when it and its timeout handling are over. */
export function runCheckProcess(
  file: string,
  args: string[],
  o: { timeoutMs: number; clock: Clock; uid?: number; gid?: number },
): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    let timedOut = false;
    let term: TimerHandle | undefined;
    let kill: TimerHandle | undefined;
    const child = spawn(file, args, {
      detached: true,
      stdio: 'ignore',
      ...(o.uid === undefined ? {} : { uid: o.uid }),
      ...(o.gid === undefined ? {} : { gid: o.gid }),
    });
    const signalGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is gone already.
      }
    };
    term = o.clock.at(o.clock.nowMs() + o.timeoutMs, () => {
      timedOut = true;
      signalGroup('SIGTERM');
      kill = o.clock.at(o.clock.nowMs() + KILL_AFTER_TERM_MS, () => signalGroup('SIGKILL'));
    });
    child.once('error', (err) => {
      term?.cancel();
      kill?.cancel();
      resolve({ exitCode: null, signal: null, timedOut: false, error: err.message });
    });
    child.once('exit', (code, signal) => {
      term?.cancel();
      kill?.cancel();
      // Children the script left behind die with it (keepalived: kill(-pid, SIGKILL)).
      if (timedOut) signalGroup('SIGKILL');
      resolve({ exitCode: code, signal, timedOut });
    });
  });
}
