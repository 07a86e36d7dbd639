import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../../bench/lib/clock.js';
import { linkDown, linkUp } from '../../helpers/faults.js';
import { startVrrpDaemon, type VrrpDaemon, type VrrpPreset } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { SEED_CONFIGS } from '../../helpers/seeds.js';
import { createTopology, leftoverNetns, type TopoNode, type Topology } from '../../helpers/topology.js';
import { sleep } from '../../helpers/wait.js';
import { dumpDaemonLogs } from './status.js';
import { ensureDist } from '../../helpers/dist.js';

// The seed's active/active pair (003-lb01/lb02-dual-master.conf): VI_1 (vrid 51, VIP .3, label
// ens33:3) is MASTER on lb01, VI_2 (vrid 52, VIP .4, label ens33:4) on lb02, each the other's
// backup. The seed text runs unchanged except for the interface and the subnet.
const PREFIX = 'kvid';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[dual-master.test] SKIPPED: ${skipReason}`);

/** seedFor reads a node's seed config and moves it onto the topology: ens33 -> eth0, 192.168.178.x -> subnet. */
function seedFor(node: 'lb01' | 'lb02', subnet4Base: string): string {
  const text = readFileSync(join(SEED_CONFIGS, `003-${node}-dual-master.conf`), 'utf8');
  return text.replaceAll('ens33', 'eth0').replaceAll('192.168.178.', `${subnet4Base}.`);
}

/** labelOf returns the label `ip addr` shows for `address` on the node's eth0, or undefined. */
async function labelOf(node: TopoNode, address: string): Promise<string | undefined> {
  const res = await node.exec('ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth0']);
  const line = res.stdout.split('\n').find((l) => l.includes(` ${address}/`));
  return line ? /\s(eth0:\d+)\\?\s/.exec(line)?.[1] : undefined;
}

describe.skipIf(skipReason !== undefined)('dual-master seed layout', () => {
  let topo: Topology;
  let vip3: string;
  let vip4: string;

  beforeAll(async () => {
    // The seeds are part of the checkout's surroundings: a missing directory fails loudly.
    await ensureDist();
    topo = await createTopology({ prefix: PREFIX, nodes: ['lb01', 'lb02'] });
    vip3 = topo.addr4(3);
    vip4 = topo.addr4(4);
  });

  afterAll(async () => {
    await topo?.destroy();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  describe.each([
    { lb01: 'keepvip' as VrrpPreset, lb02: 'keepvip' as VrrpPreset },
    { lb01: 'keepvip' as VrrpPreset, lb02: 'keepalived' as VrrpPreset },
  ])('lb01 $lb01 + lb02 $lb02', ({ lb01, lb02 }) => {
    const daemons = new Map<string, VrrpDaemon>();
    const started: VrrpDaemon[] = [];
    const tag = `[kvid ${lb01}+${lb02}]`;
    const start = async (name: 'lb01' | 'lb02'): Promise<VrrpDaemon> => {
      const d = await startVrrpDaemon(topo.node(name), {
        preset: name === 'lb01' ? lb01 : lb02,
        config: seedFor(name, topo.subnet4Base),
      });
      daemons.set(name, d);
      started.push(d);
      return d;
    };
    const d = (name: string) => daemons.get(name)!;
    /** expectLayout checks who holds .3 and .4, each with its seed label. */
    const expectLayout = async (holder3: 'lb01' | 'lb02', holder4: 'lb01' | 'lb02', timeoutMs: number) => {
      await topo.waitForVipOn(holder3, vip3, timeoutMs);
      await topo.waitForVipOn(holder4, vip4, timeoutMs);
      expect(await labelOf(topo.node(holder3), vip3)).toBe('eth0:3');
      expect(await labelOf(topo.node(holder4), vip4)).toBe('eth0:4');
    };

    afterAll(async () => {
      await linkUp(topo.node('lb01')).catch(() => undefined);
      for (const dm of daemons.values()) await dm.stop(3000).catch(() => undefined);
      await dumpDaemonLogs(`${PREFIX}-${lb01}-${lb02}`, started);
      for (const n of ['lb01', 'lb02']) {
        for (const a of [vip3, vip4]) {
          await topo.node(n).exec('ip', ['addr', 'del', `${a}/24`, 'dev', 'eth0'], { reject: false });
        }
      }
    });

    it('each node holds its own VIP with its label (VI_1 .3 eth0:3 on lb01, VI_2 .4 eth0:4 on lb02)', async () => {
      const t0 = nowMs();
      await start('lb01');
      await start('lb02');
      const m1 = await d('lb01').waitForLog(/\(VI_1\) Entering MASTER STATE/, 15_000);
      const m2 = await d('lb02').waitForLog(/\(VI_2\) Entering MASTER STATE/, 15_000);
      await expectLayout('lb01', 'lb02', 10_000);
      // Several adverts later nothing has moved.
      await sleep(2500);
      expect(await topo.whoHas(vip3)).toEqual(['lb01']);
      expect(await topo.whoHas(vip4)).toEqual(['lb02']);
      const ipAddr = (await topo.node('lb01').exec('ip', ['-4', 'addr', 'show', 'dev', 'eth0'])).stdout;
      console.log(
        `${tag} VI_1 MASTER on lb01 after ${(m1.t - t0).toFixed(0)} ms, VI_2 MASTER on lb02 after ${(m2.t - t0).toFixed(0)} ms; lb01 ip addr:\n${ipAddr.trim()}`,
      );
    });

    it('lb01 losing its link moves .3 to lb02, which keeps .4; the link back returns .3', async () => {
      const s1 = d('lb01').lines.length;
      const s2 = d('lb02').lines.length;
      const tDown = nowMs();
      await linkDown(topo.node('lb01'));
      const m = await d('lb02').waitForLog(/\(VI_1\) Entering MASTER STATE/, 10_000, s2);
      await expectLayout('lb02', 'lb02', 5000);
      const tUp = nowMs();
      await linkUp(topo.node('lb01'));
      const back = await d('lb01').waitForLog(/\(VI_1\) Entering MASTER STATE/, 10_000, s1);
      await expectLayout('lb01', 'lb02', 5000);
      // lb02's own instance never left MASTER.
      expect(
        d('lb02')
          .lines.slice(s2)
          .some((l) => /\(VI_2\) Entering (BACKUP|FAULT)/.test(l.text)),
      ).toBe(false);
      console.log(
        `${tag} linkDown(lb01): .3 on lb02 (VI_1 MASTER after ${(m.t - tDown).toFixed(0)} ms) beside .4; linkUp: .3 back on lb01 after ${(back.t - tUp).toFixed(0)} ms`,
      );
    });

    it('SIGTERM on lb02 moves .4 to lb01, which keeps .3; restarting lb02 returns .4', async () => {
      const s1 = d('lb01').lines.length;
      const tStop = nowMs();
      const stopping = d('lb02').stop();
      const m = await d('lb01').waitForLog(/\(VI_2\) Entering MASTER STATE/, 10_000, s1);
      await stopping;
      await expectLayout('lb01', 'lb01', 5000);
      const takeoverMs = m.t - tStop;
      const t0 = nowMs();
      await start('lb02');
      const back = await d('lb02').waitForLog(/\(VI_2\) Entering MASTER STATE/, 15_000);
      await expectLayout('lb01', 'lb02', 5000);
      expect(
        d('lb01')
          .lines.slice(s1)
          .some((l) => /\(VI_1\) Entering (BACKUP|FAULT)/.test(l.text)),
      ).toBe(false);
      console.log(
        `${tag} SIGTERM lb02: VI_2 MASTER on lb01 after ${takeoverMs.toFixed(0)} ms (priority 0 hand-off; Master_Down_Interval 3609); restart lb02: .4 back after ${(back.t - t0).toFixed(0)} ms`,
      );
      // A priority 0 hand-off takes Skew_Time (609 ms for priority 100), not Master_Down_Interval.
      expect(takeoverMs).toBeLessThan(2000);
    });
  });
});
