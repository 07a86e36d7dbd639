/** Waiting for real process events in unit tests, without sleeping on a timer. */
import { existsSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
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

/** groupMembers lists the live (not zombie) processes of process group `pgid`, from /proc. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(name));
  }
  return out;
}

/**
 * writeForker writes a script that forks 200 children (20 of them ignore SIGTERM, an inherited
 * SIG_IGN, and need the SIGKILL), writes its pid (the process group id) to `ready`, and hangs.
 */
export function writeForker(path: string, ready: string): void {
  writeFileSync(
    path,
    `#!/bin/bash
for i in $(seq 180); do sleep 600 & done
for i in $(seq 20); do (trap '' TERM; exec sleep 600) & done
echo $$ > ${ready}.tmp && mv ${ready}.tmp ${ready}
sleep 600
`,
    { mode: 0o755 },
  );
}
