import { rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../../bench/lib/clock.js';
import { analyzeProbes, formatReport } from '../../../bench/lib/outage.js';
import type { Prober } from '../../../bench/lib/prober.js';
import { startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { type NginxInstance, startNginx } from '../../helpers/nginx.js';
import { startClientProber } from '../../helpers/prober.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import { buildDist, pairConfig } from './configs.js';

// A keepvip pair with real nginx in isolated nodes (own PID namespace, /etc/keepalived, /run):
// nginx killed on the master, the down file created and removed, and a script that times out.
const PREFIX = 'kvtrk';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[tracking] SKIPPED: ${skipReason}`);

interface StatusTrack {
  name: string;
  good: boolean;
  lastRun?: { timedOut: boolean; trigger: string };
}
interface StatusInstance {
  name: string;
  state: string;
  effectivePriority: number;
  tracks: StatusTrack[];
}

describe.skipIf(skipReason !== undefined)(
  'tracking with real nginx: kill, down file, timeout (keepvip pair)',
  () => {
    let topo: Topology;
    let vip: string;
    const daemons = new Map<string, VrrpDaemon>();
    const nginxes = new Map<string, NginxInstance>();
    let prober: Prober | undefined;

    const instanceOf = async (node: string): Promise<StatusInstance> => {
      const doc = (await daemons.get(node)!.status()) as { instances: StatusInstance[] };
      return doc.instances[0]!;
    };

    beforeAll(async () => {
      buildDist();
      topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'], client: true });
      vip = topo.addr4(100);
      const slow = {
        name: 'chk_slow',
        // Sleeps past its timeout while /etc/keepalived/slow exists.
        block:
          'vrrp_script chk_slow {\n  script "[[ -f /etc/keepalived/slow ]] && sleep 5; exit 0"\n  interval 1\n  timeout 0.3\n  weight -3\n}\n',
      };
      for (const [name, priority] of [
        ['n1', 100],
        ['n2', 90],
      ] as const) {
        nginxes.set(name, await startNginx(topo.node(name), { isolated: true }));
        daemons.set(
          name,
          await startVrrpDaemon(topo.node(name), {
            preset: 'keepvip',
            isolated: true,
            config: pairConfig({
              routerId: name,
              priority,
              vip,
              vrid: 71,
              version: 2,
              advertIntSec: 1,
              trackProcess: true,
              extraScripts: [slow],
            }),
          }),
        );
      }
      await daemons.get('n1')!.waitForLog(/\(VI_1\) Entering MASTER STATE/, 15_000);
      await topo.waitForVipOn('n1', vip, 5000);
    }, 120_000);

    afterAll(async () => {
      if (process.env.KV_TRACK_DEBUG)
        for (const [n, d] of daemons) console.log(`--- ${n}\n${d.lines.map((l) => l.text).join('\n')}`);
      await prober?.stop().catch(() => undefined);
      await topo?.destroy();
      expect(leftoverNetns(PREFIX)).toEqual([]);
    });

    it('nginx killed on the master moves the VIP to the backup within Skew_Time, and back when it returns', async () => {
      prober = await startClientProber(topo, vip);
      await prober.waitFor((s) => s.ok && s.node === 'n1', 5000);
      const tKill = nowMs();
      await nginxes.get('n1')!.kill();
      const first = await prober.waitFor((s) => s.ok && s.node === 'n2' && s.t > tKill, 10_000);
      await prober.waitFor((s) => s.ok && s.t > first.t + 300, 5000);
      const r = analyzeProbes(await prober.stop());
      prober = undefined;
      console.log(
        `[tracking] kill -9 nginx on n1: ${formatReport(r)}; first n2 answer ${(first.t - tKill).toFixed(0)} ms after the kill`,
      );
      expect(r.switchTo).toBe('n2');
      // Skew_Time for priority 90 is (256 - 90) / 256 s = 648 ms (RFC 3768 6.1); keepalived's
      // chk_nginx alone would need up to 2 s (fall 2) plus a 3.65 s Master_Down_Interval.
      expect(first.t - tKill).toBeLessThan(2000);
      expect(r.nodeChanges).toBe(1);
      // The process watch (-20) acts at once; chk_nginx (-20) follows after fall 2.
      await expect.poll(async () => (await instanceOf('n1')).effectivePriority, { timeout: 6000 }).toBe(60);
      expect((await instanceOf('n2')).state).toBe('MASTER');

      const since = daemons.get('n1')!.lines.length;
      nginxes.set('n1', await startNginx(topo.node('n1'), { isolated: true }));
      await daemons.get('n1')!.waitForLog(/\(VI_1\) Entering MASTER STATE/, 10_000, since);
      await topo.waitForVipOn('n1', vip, 5000);
      expect((await instanceOf('n1')).effectivePriority).toBe(100);
    });

    it('creating the down file moves the VIP with no failed request; removing it brings it back (preempt)', async () => {
      const down = await topo.node('n1').hostPath('/etc/keepalived/down');
      prober = await startClientProber(topo, vip);
      await prober.waitFor((s) => s.ok && s.node === 'n1', 5000);
      const since = daemons.get('n1')!.lines.length;
      const tTouch = nowMs();
      await writeFile(down, '');
      const first = await prober.waitFor((s) => s.ok && s.node === 'n2' && s.t > tTouch, 10_000);
      await prober.waitFor((s) => s.ok && s.t > first.t + 300, 5000);
      const moved = analyzeProbes(await prober.stop());
      prober = undefined;
      console.log(
        `[tracking] touch down on n1: ${formatReport(moved)}; n2 answers ${(first.t - tTouch).toFixed(0)} ms after the touch`,
      );
      // The directory watch runs chk_down at once, not at its next 1 s interval.
      const failed = await daemons.get('n1')!.waitForLog(/VRRP_Script\(chk_down\) failed/, 1000, since);
      console.log(`[tracking] chk_down failed ${(failed.t - tTouch).toFixed(0)} ms after the touch`);
      expect(failed.t - tTouch).toBeLessThan(500);
      expect(first.t - tTouch).toBeLessThan(2000);
      // The goal is zero; allow a stray probe on a loaded machine.
      expect(moved.failed).toBeLessThanOrEqual(2);

      prober = await startClientProber(topo, vip);
      await prober.waitFor((s) => s.ok && s.node === 'n2', 5000);
      const tRm = nowMs();
      await rm(down);
      const back = await prober.waitFor((s) => s.ok && s.node === 'n1' && s.t > tRm, 10_000);
      await prober.waitFor((s) => s.ok && s.t > back.t + 300, 5000);
      const returned = analyzeProbes(await prober.stop());
      prober = undefined;
      console.log(
        `[tracking] rm down on n1: ${formatReport(returned)}; n1 answers ${(back.t - tRm).toFixed(0)} ms after the rm`,
      );
      expect(back.t - tRm).toBeLessThan(2000);
      expect(returned.failed).toBeLessThanOrEqual(2);
      await topo.waitForVipOn('n1', vip, 5000);
    });

    it('a script that times out counts as a failure', async () => {
      const slow = await topo.node('n1').hostPath('/etc/keepalived/slow');
      await writeFile(slow, '');
      try {
        await expect.poll(async () => (await instanceOf('n1')).effectivePriority, { timeout: 8000 }).toBe(97);
        const t = (await instanceOf('n1')).tracks.find((x) => x.name === 'script chk_slow')!;
        console.log(`[tracking] chk_slow: ${JSON.stringify(t)}`);
        expect(t.good).toBe(false);
        expect(t.lastRun?.timedOut).toBe(true);
        expect((await instanceOf('n1')).state).toBe('MASTER');
      } finally {
        await rm(slow, { force: true });
      }
      await expect.poll(async () => (await instanceOf('n1')).effectivePriority, { timeout: 8000 }).toBe(100);
    });
  },
);
