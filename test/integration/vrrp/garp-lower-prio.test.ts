import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVrrpDaemon, type VrrpDaemon, type VrrpPreset } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import type { AdvertPlan } from './fixtures/advert-inject.js';
import { buildOnce, MASTER_RE } from './interop.js';
import { dumpDaemonLogs } from './status.js';

// garp_lower_prio_repeat / garp_lower_prio_delay: a MASTER that hears a lower-priority advert
// (here: one advert from a third router on the wire) sends that many gratuitous ARPs at once and
// again after the delay. Counted on the wire from the client and compared with keepalived 2.2.7
// in the same role.
const PREFIX = 'kvlp';
const INJECT = fileURLToPath(new URL('./fixtures/advert-inject.ts', import.meta.url));
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[garp-lower-prio.test] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)(
  'garp_lower_prio_repeat / garp_lower_prio_delay vs keepalived',
  () => {
    let topo: Topology;
    let vip: string;
    const started: VrrpDaemon[] = [];

    const config = `global_defs {
  router_id n1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 94
  priority 150
  advert_int 1
  garp_master_delay 0
  garp_master_repeat 1
  garp_lower_prio_repeat 3
  garp_lower_prio_delay 1
  virtual_ipaddress {
    VIP/24 dev eth0
  }
}
`;

    const macOf = async (node: string) =>
      /link\/ether (\S+)/.exec(
        (await topo.node(node).exec('ip', ['-o', 'link', 'show', 'eth0'])).stdout,
      )![1]!;

    /**
     * lowerPrioGarps runs one round: `preset` on n1 (priority 150) becomes master; the client, a
     * third router, sends one advert with priority 100 for the same VRID. Counts n1's broadcast ARP
     * requests for the VIP from that advert on.
     */
    const lowerPrioGarps = async (preset: VrrpPreset): Promise<number> => {
      const n1 = await startVrrpDaemon(topo.node('n1'), { preset, config: config.replace('VIP', vip) });
      started.push(n1);
      await n1.waitForLog(MASTER_RE, 15_000);
      await topo.waitForVipOn('n1', vip, 5000);
      // Let n1's own burst (garp_master_repeat 1, garp_master_delay 0: one ARP) pass before counting.
      await new Promise((r) => setTimeout(r, 1000));
      const mac = await macOf('n1');
      const dump = topo.client!.spawn('tcpdump', 'tcpdump', [
        '-l',
        '-nn',
        '-e',
        '-i',
        'eth0',
        `arp and ether src ${mac} and ether dst ff:ff:ff:ff:ff:ff`,
      ]);
      await dump.waitForLine(/listening on/, 5000);
      const plan: AdvertPlan = {
        ifname: 'eth0',
        srcAddress: topo.client!.addr4,
        dstAddress: '224.0.0.18',
        vrid: 94,
        priority: 100,
        advertIntervalMs: 1000,
        vips: [vip],
        count: 1,
        gapMs: 0,
      };
      await topo.client!.exec(process.execPath, ['--import', 'tsx', INJECT, JSON.stringify(plan)], {
        timeoutMs: 30_000,
      });
      // The second burst follows garp_lower_prio_delay (1 s) after the first: wait well past it.
      await new Promise((r) => setTimeout(r, 3000));
      await dump.stop('SIGINT');
      // A gratuitous ARP asks for the VIP on behalf of the VIP; keepvip's split-brain probes
      // (`arping -D`, sender 0.0.0.0, every 2 s) are not gratuitous ARPs.
      const garps = dump.lines.filter((l) =>
        l.text.includes(`Request who-has ${vip} (ff:ff:ff:ff:ff:ff) tell ${vip}`),
      ).length;
      console.log(
        `[garp-lower-prio.test] ${preset} as master, one advert of priority 100 heard: ${garps} gratuitous ARPs`,
      );
      expect(n1.lines.some((l) => /lower priority 100, ours 150/.test(l.text))).toBe(true);
      await n1.stop();
      return garps;
    };

    beforeAll(async () => {
      await buildOnce();
      topo = await createTopology({ prefix: PREFIX, nodes: ['n1'], client: true });
      vip = topo.addr4(100);
    });

    afterAll(async () => {
      await dumpDaemonLogs(PREFIX, started);
      await topo?.destroy();
      expect(leftoverNetns(PREFIX)).toEqual([]);
    });

    it("keepvip as master answers a lower-priority advert with keepalived's GARP bursts", async () => {
      const keepvip = await lowerPrioGarps('keepvip');
      const keepalived = await lowerPrioGarps('keepalived');
      // Two bursts of garp_lower_prio_repeat (3) each; keepalived the same in the same role.
      expect(keepvip).toBe(6);
      expect(keepvip).toBe(keepalived);
    });
  },
);
