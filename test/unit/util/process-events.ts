/** Waiting for real process events in unit tests, without sleeping on a timer. */
import { existsSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ManualClock } from '../../../src/util/manual-clock.js';

/** fileAppears resolves once `path` exists (a script writes it when it is ready); it watches the directory. */
export function fileAppears(path: string): Promise<void> {
  return new Promise((resolve) => {
    const w = watch(dirname(path), (_e, name) => {
      if ((name === null || name === basename(path)) && existsSync(path)) {
        w.close();
        resolve();
      }
    });
    if (existsSync(path)) {
      w.close();
      resolve();
    }
  });
}

/** untilArmed yields to the event loop until `clock` has at least `n` timers armed (a process was started). */
export async function untilArmed(clock: ManualClock, n = 1): Promise<void> {
  while (clock.pending < n) await new Promise((r) => setImmediate(r));
}
