import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, simpleVrrpConfig, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import type { InjectPlan } from './fixtures/inject.js';
import { type InstanceShape, MALFORMED_CASES } from './fixtures/malformed.js';
import { ensureDist } from '../../helpers/dist.js';

// Issue 3: malformed advertisements on the wire must be counted per reason and change nothing.
// Two keepvip nodes (VRRPv2, PASS auth, 150/100) hold a stable election; a third namespace on
// the same bridge sends every malformed advert of fixtures/malformed.ts to the VRRP group and
// to each node's unicast address, half of them with priority 250 (a master that believed one
// would step down) and half with priority 1 (a backup in `fast` hand-off would take over).
const PREFIX = 'kvmal';
const VRID = 63;
const PASS = 'kvmalpw';
const PER_TARGET = 6;
const INJECT = fileURLToPath(new URL('./fixtures/inject.ts', import.meta.url));
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[malformed.test] SKIPPED: ${skipReason}`);

interface InstanceStatus {
  name: string;
  state: string;
  vips: string[];
  counters: {
    advertsReceived: number;
    becameMaster: number;
    releasedMaster: number;
    drops: Record<string, number>;
  };
  transitions: { wallTime: string; from: string; to: string; reason: string }[];
}
interface DaemonStatus {
  pid: number;
  instances: InstanceStatus[];
  drops: Record<string, number>;
}

/** dropDelta is after - before for every reason either side counted. */
function dropDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

describe.skipIf(skipReason !== undefined)('malformed VRRP adverts from a third host (issue 3)', () => {
  let topo: Topology;
  let vip: string;
  const daemons = new Map<string, VrrpDaemon>();
  const status = async (name: string) => (await daemons.get(name)!.status()) as DaemonStatus;

  beforeAll(async () => {
    // The daemon runs from dist/: build it from the current sources first.
    // tsc emits even with type errors (which typecheck reports); only a failed emit stops here.
    await ensureDist();
    expect(existsSync(`${REPO_ROOT}/dist/cli/main.js`)).toBe(true);
    topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'], client: true });
    vip = topo.addr4(100);
    for (const [name, priority] of [
      ['n1', 150],
      ['n2', 100],
    ] as const) {
      const config = simpleVrrpConfig({
        routerId: `kvmal-${name}`,
        virtualRouterId: VRID,
        priority,
        authPass: PASS,
        vips: [`${vip}/24`],
      });
      daemons.set(name, await startVrrpDaemon(topo.node(name), { preset: 'keepvip', config }));
    }
    await daemons.get('n1')!.waitForLog(/\(VI_1\) Entering MASTER STATE/, 20_000);
    await daemons.get('n2')!.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 20_000);
    await topo.waitForVipOn('n1', vip, 5000);
  });

  afterAll(async () => {
    await topo?.destroy();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  it('counts every malformed advert per reason and keeps the election as it was', async () => {
    // Let the backup hear a few adverts first, so the election is settled before the snapshot.
    await new Promise((r) => setTimeout(r, 1500));
    const before = { n1: await status('n1'), n2: await status('n2') };
    expect(before.n1.instances[0]!.state).toBe('MASTER');
    expect(before.n2.instances[0]!.state).toBe('BACKUP');

    const shape: InstanceShape = { vrid: VRID, advertIntervalMs: 1000, authPass: PASS, vips: [vip] };
    const client = topo.client!;
    const plan: InjectPlan = {
      ifname: 'eth0',
      srcAddress: client.addr4,
      targets: ['224.0.0.18', topo.node('n1').addr4, topo.node('n2').addr4],
      perTarget: PER_TARGET,
      priorities: [250, 1],
      shape,
      gapMs: 2,
    };
    const res = await client.exec(process.execPath, ['--import', 'tsx', INJECT, JSON.stringify(plan)], {
      timeoutMs: 60_000,
    });
    const { sent } = JSON.parse(res.stdout.trim().split('\n').pop()!) as { sent: Record<string, number> };
    for (const c of MALFORMED_CASES) expect(sent[c.name]).toBe(PER_TARGET * plan.targets.length);

    // A wrongly accepted advert acts within Skew_Time (609 ms for priority 100) on the backup and
    // at once on the master; wait well past both before looking.
    await new Promise((r) => setTimeout(r, 2500));
    const after = { n1: await status('n1'), n2: await status('n2') };

    // Each node gets every case twice over: from the group and at its own unicast address.
    const expectedInstance: Record<string, number> = {};
    const expectedDaemon: Record<string, number> = {};
    for (const c of MALFORMED_CASES) {
      const into = c.where === 'instance' ? expectedInstance : expectedDaemon;
      into[c.reason] = (into[c.reason] ?? 0) + 2 * PER_TARGET;
    }
    const rows: string[] = [];
    const deltas: { name: string; instance: Record<string, number>; daemon: Record<string, number> }[] = [];
    for (const name of ['n1', 'n2'] as const) {
      const b = before[name];
      const a = after[name];
      const inst = dropDelta(b.instances[0]!.counters.drops, a.instances[0]!.counters.drops);
      const daemon = dropDelta(b.drops, a.drops);
      for (const reason of new Set([...Object.keys(expectedInstance), ...Object.keys(expectedDaemon)])) {
        rows.push(
          `| ${name} | ${reason.padEnd(13)} | ${String(expectedInstance[reason] ?? 0).padStart(8)} | ${String(inst[reason] ?? 0).padStart(8)} | ${String(expectedDaemon[reason] ?? 0).padStart(6)} | ${String(daemon[reason] ?? 0).padStart(6)} |`,
        );
      }
      for (const reason of Object.keys({ ...inst, ...daemon })) {
        if (!(reason in expectedInstance) && !(reason in expectedDaemon))
          rows.push(
            `| ${name} | ${reason.padEnd(13)} | unexpected: instance ${inst[reason] ?? 0}, daemon ${daemon[reason] ?? 0} |`,
          );
      }
      deltas.push({ name, instance: inst, daemon });
    }
    console.log(
      [
        `[malformed] sent ${Object.values(sent).reduce((x, y) => x + y, 0)} packets: ${MALFORMED_CASES.length} cases x ${PER_TARGET} x [224.0.0.18, n1, n2], priorities 250/1`,
        '| node | reason        | instance expected | counted | daemon expected | counted |',
        ...rows,
      ].join('\n'),
    );
    for (const d of deltas) {
      expect(d).toEqual({ name: d.name, instance: expectedInstance, daemon: expectedDaemon });
    }

    // Nothing moved: same states, no transition since the snapshot, VIP still on n1, both alive.
    for (const name of ['n1', 'n2'] as const) {
      const b = before[name].instances[0]!;
      const a = after[name].instances[0]!;
      expect(a.state).toBe(b.state);
      expect(a.transitions).toEqual(b.transitions);
      expect(a.counters.becameMaster).toBe(b.counters.becameMaster);
      expect(a.counters.releasedMaster).toBe(b.counters.releasedMaster);
      expect(after[name].pid).toBe(before[name].pid);
      expect(daemons.get(name)!.proc.running).toBe(true);
    }
    expect(after.n1.instances[0]!.state).toBe('MASTER');
    expect(after.n2.instances[0]!.state).toBe('BACKUP');
    expect(await topo.whoHas(vip)).toEqual(['n1']);
    // The backup still hears the real master: the flood did not deafen it.
    expect(after.n2.instances[0]!.counters.advertsReceived).toBeGreaterThan(
      before.n2.instances[0]!.counters.advertsReceived,
    );
    console.log(
      `[malformed] after: n1 ${after.n1.instances[0]!.state}, n2 ${after.n2.instances[0]!.state}, VIP ${vip} on n1; transitions unchanged (${after.n1.instances[0]!.transitions.length}/${after.n2.instances[0]!.transitions.length})`,
    );
  });
});
