/**
 * Fault: a notify script that forks 200 children and hangs. Through the real Notifier on the
 * system clock: the instance's later notify scripts still run (after the hanging one's
 * timeout), the whole process group is gone after SIGTERM and the SIGKILL grace, and the
 * figures are printed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { Notifier } from '../../../src/notify/notifier.js';
import { silentLogger } from '../../../src/util/logger.js';
import { fileAppears, groupMembers, writeForker } from '../../unit/util/process-events.js';
import { notifierConfig } from './notifier-config.js';

const dir = mkdtempSync(join(tmpdir(), 'kv-notify-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('notify script faults', () => {
  it('a notify script that forks 200 children and hangs is killed with its process group', async () => {
    const ready = join(dir, 'ready');
    const events = join(dir, 'events.log');
    const master = join(dir, 'master.sh');
    const any = join(dir, 'notify.sh');
    // notify_master forks 200 children (20 ignore SIGTERM) and hangs; notify records events.
    writeForker(master, ready);
    writeFileSync(any, `#!/bin/bash\necho "$*" >> ${events}\n`, { mode: 0o755 });
    const config = notifierConfig(dir, '', `  notify_master ${master}\n  notify ${any}`);
    // keepvip's default is 15 s. Long enough for the script to fork its 200 children first: on a
    // loaded host 200 forks took 2.9 s (a 1.5 s timeout killed it before it wrote `ready`).
    config.globalDefs.notifyScriptTimeoutMs = 8000;
    const warnings: string[] = [];
    const n = new Notifier(
      config,
      { ...silentLogger, warn: (m: string) => warnings.push(m) },
      {
        prober: null,
        mailTransport: null,
      },
    );
    const inst = config.vrrpInstances[0]!;
    const t0 = performance.now();
    n.instanceTransition(inst, 'MASTER', 100);
    n.instanceTransition(inst, 'BACKUP', 100);
    await fileAppears(ready);
    const pgid = Number(readFileSync(ready, 'utf8'));
    const forked = groupMembers(pgid).length;
    expect(forked).toBeGreaterThanOrEqual(201);
    await n.drain(); // the queue goes on after the hanging script's timeout
    const drainedMs = performance.now() - t0;
    let left = groupMembers(pgid);
    // SIGKILL follows SIGTERM after the 1 s grace, for the 20 that ignore SIGTERM.
    for (let i = 0; i < 300 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      left = groupMembers(pgid);
    }
    const goneMs = performance.now() - t0;
    console.log(
      `[notify-faults] ${forked} processes in the group; queue moved on after ${Math.round(drainedMs)} ms ` +
        `(timeout 8000 ms); group empty after ${Math.round(goneMs)} ms; ${left.length} left`,
    );
    expect(left).toEqual([]);
    expect(warnings.some((w) => /timed out after 8000 ms; killed/.test(w))).toBe(true);
    expect(readFileSync(events, 'utf8')).toBe('INSTANCE VI_1 MASTER 100\nINSTANCE VI_1 BACKUP 100\n');
  });
});
