/**
 * Process exit watches through pidfds (pidfd_open(2), native/src/pidfd.c): a pidfd is readable
 * the moment its process exits, in any PID or network namespace, which is what
 * vrrp_track_process needs to move a VIP within milliseconds of nginx dying.
 */
import { SystemCallError } from '../util/errors.js';
import { callNative, loadNative } from './native.js';

/** ExitWatcher calls onExit once when process `pid` exits; returns undefined when it is already gone. */
export type ExitWatcher = (pid: number, onExit: () => void) => { close(): void } | undefined;

/** pidfdExitWatcher is the real ExitWatcher; undefined when the process is already gone (ESRCH). */
export const pidfdExitWatcher: ExitWatcher = (pid, onExit) => {
  const addon = loadNative();
  try {
    const handle = callNative('pidfd_open', () => addon.pidfdWatch(pid, onExit));
    return { close: () => addon.pidfdUnwatch(handle) };
  } catch (err) {
    if (err instanceof SystemCallError && err.errno === 'ESRCH') return undefined;
    throw err;
  }
};
