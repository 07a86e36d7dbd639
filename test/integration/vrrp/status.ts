/**
 * Reading keepvip's own view (`keepvip status --json` over the control socket) in VRRP tests.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { VrrpDaemon } from '../../helpers/keepalived.js';

/** InstanceStatus is the part of one instance's status document the VRRP tests read. */
export interface InstanceStatus {
  name: string;
  state: string;
  basePriority: number;
  effectivePriority: number;
  masterAddress?: string;
  counters: {
    advertsSent: number;
    advertsReceived: number;
    priorityZeroSent: number;
    priorityZeroReceived: number;
    drops: Record<string, number>;
  };
  transitions: { from: string; to: string; reason: string }[];
}

/** keepvipInstance returns the status of instance `name` of a running keepvip daemon. */
export async function keepvipInstance(d: VrrpDaemon, name = 'VI_1'): Promise<InstanceStatus> {
  const doc = (await d.status()) as { instances: InstanceStatus[] };
  const inst = doc.instances.find((i) => i.name === name);
  if (!inst) throw new Error(`${d.node.name}: keepvip reports no instance ${name}`);
  return inst;
}

/** keepvipCounters returns the counters of instance `name` of a running keepvip daemon. */
export async function keepvipCounters(d: VrrpDaemon, name = 'VI_1'): Promise<InstanceStatus['counters']> {
  return (await keepvipInstance(d, name)).counters;
}

/**
 * dumpDaemonLogs writes each daemon's captured lines to $KEEPVIP_TEST_LOGS/<label>-<node>-<preset>.log
 * when that variable names a directory, so a failed run can be read after the topology is gone.
 */
export async function dumpDaemonLogs(label: string, daemons: (VrrpDaemon | undefined)[]): Promise<void> {
  const dir = process.env.KEEPVIP_TEST_LOGS;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  for (const d of daemons) {
    if (!d) continue;
    const text = d.lines.map((l) => `${l.t.toFixed(1)} ${l.text}`).join('\n');
    await appendFile(join(dir, `${label}-${d.node.name}-${d.preset}.log`), `${text}\n`);
  }
}
