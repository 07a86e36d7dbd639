/**
 * pidfdExitWatcher is the real ExitWatcher: a pidfd per process from the native addon
 * (native/src/pidfd.c), readable the moment the process exits.
 */
import { callNative, loadNative } from '../kernel/native.js';
import { SystemCallError } from '../util/errors.js';
import type { ExitWatcher } from './process-tracker.js';

/** pidfdExitWatcher watches one pid; undefined when the process is already gone (ESRCH). */
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
