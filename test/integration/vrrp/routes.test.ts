import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type Topology, type TopoNode } from '../../helpers/topology.js';
import { BACKUP_RE, buildOnce, MASTER_RE } from './interop.js';
import { dumpDaemonLogs } from './status.js';

// virtual_ipaddress_excluded, virtual_routes, virtual_rules and promote_secondaries, keepvip
// against real keepalived 2.2.7 on the same configuration: n1 runs keepvip (priority 150), n2
// keepalived (100). What keepvip installs as MASTER must be what keepalived installs as MASTER
// (addresses, `ip route`, `ip rule`), nothing of it may stay on a node that is not MASTER, and
// keepalived as the backup must accept keepvip's adverts (so the excluded addresses are not in them).
const PREFIX = 'kvrt';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[routes.test] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)(
  'virtual_ipaddress_excluded, virtual_routes, virtual_rules vs keepalived',
  () => {
    let topo: Topology;
    let vip: string;
    let gw: string;
    const started: VrrpDaemon[] = [];

    const config = (routerId: string, priority: number) => `global_defs {
  router_id ${routerId}
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 93
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${vip}/24 dev eth0
  }
  virtual_ipaddress_excluded {
    10.99.0.1/32 dev eth0
    fd99::1/128 dev eth0
  }
  virtual_routes {
    10.98.0.0/16 via ${gw} dev eth0
    src ${vip} 10.97.0.0/16 dev eth0 table 100
    blackhole 10.96.0.0/16
    10.95.0.0/16 via ${gw} metric 50
  }
  virtual_rules {
    from ${vip}/32 table 100 priority 100
    to 10.94.0.0/16 table 100 priority 101
    from all fwmark 7 table 100 priority 102
  }
  promote_secondaries
}
`;

    /** installed is what VI_1 puts in a node: its addresses, routes and rules as iproute2 prints them. */
    const installed = async (node: TopoNode) => {
      const lines = async (args: string[]) =>
        // A table that never held a route does not exist (`ip route show table 100` fails): empty.
        (await node.exec('ip', args, { reject: false })).stdout
          .split('\n')
          .map((l) => l.trim().replace(/\s+/g, ' '))
          .filter((l) => l !== '');
      const addrs = (await lines(['-o', 'addr', 'show', 'dev', 'eth0']))
        .map((l) => /inet6? (\S+)/.exec(l)?.[1] ?? '')
        .filter((a) => ['10.99.0.1/32', 'fd99::1/128', `${vip}/24`].includes(a))
        .sort();
      const routes = [
        ...(await lines(['route', 'show', 'table', 'main'])).filter((l) =>
          /^(blackhole )?10\.9[5-8]\./.test(l),
        ),
        ...(await lines(['route', 'show', 'table', '100'])).map((l) => `table 100: ${l}`),
      ].sort();
      const rules = (await lines(['rule', 'show'])).filter((l) => /^10[0-2]:/.test(l)).sort();
      return { addrs, routes, rules };
    };
    const promoteSecondaries = async (node: TopoNode) =>
      (await node.exec('sysctl', ['-n', 'net.ipv4.conf.eth0.promote_secondaries'])).stdout.trim();
    const EMPTY = { addrs: [], routes: [], rules: [] };

    beforeAll(async () => {
      await buildOnce();
      topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'], client: false, ipv6: true });
      vip = topo.addr4(100);
      gw = topo.addr4(254);
    });

    afterAll(async () => {
      await dumpDaemonLogs(PREFIX, started);
      await topo?.destroy();
      expect(leftoverNetns(PREFIX)).toEqual([]);
    });

    let keepvipSet: Awaited<ReturnType<typeof installed>>;

    it('keepvip as MASTER installs excluded addresses, routes and rules; keepalived as BACKUP accepts its adverts', async () => {
      const n1 = await startVrrpDaemon(topo.node('n1'), { preset: 'keepvip', config: config('n1', 150) });
      started.push(n1);
      await n1.waitForLog(MASTER_RE, 15_000);
      const n2 = await startVrrpDaemon(topo.node('n2'), { preset: 'keepalived', config: config('n2', 100) });
      started.push(n2);
      await n2.waitForLog(BACKUP_RE, 15_000);
      // keepalived refuses an advert whose address list differs from its own ("expected 1 VIPs"):
      // had keepvip advertised the excluded addresses, n2 would take over after Master_Down_Interval
      // (3.6 s). Wait past it and look.
      await new Promise((r) => setTimeout(r, 5000));
      expect(
        n2.lines.map((l) => l.text).filter((t) => /Entering MASTER|VIPs but received|not present/.test(t)),
      ).toEqual([]);
      expect(
        n1.lines.map((l) => l.text).filter((t) => /not supported by keepvip|cannot add/.test(t)),
      ).toEqual([]);
      keepvipSet = await installed(topo.node('n1'));
      console.log('[routes.test] keepvip as MASTER installed:', JSON.stringify(keepvipSet, null, 1));
      expect(keepvipSet.addrs).toEqual(['10.99.0.1/32', `${vip}/24`, 'fd99::1/128'].sort());
      expect(keepvipSet.routes).toHaveLength(4);
      expect(keepvipSet.rules).toHaveLength(3);
      expect(await promoteSecondaries(topo.node('n1'))).toBe('1');
      expect(await installed(topo.node('n2'))).toEqual(EMPTY);
    });

    it('keepvip stopping removes all of it; keepalived as MASTER installs exactly the same set', async () => {
      const [n1, n2] = started;
      const since = n2!.lines.length;
      await n1!.stop();
      await n2!.waitForLog(MASTER_RE, 15_000, since);
      expect(await installed(topo.node('n1'))).toEqual(EMPTY);
      // As keepalived does at exit, keepvip puts promote_secondaries back to what it found.
      expect(await promoteSecondaries(topo.node('n1'))).toBe('0');
      expect(await promoteSecondaries(topo.node('n2'))).toBe('1');
      // keepalived adds routes and rules a moment after the addresses: wait until its set is complete.
      let keepalivedSet = await installed(topo.node('n2'));
      for (let i = 0; i < 50 && keepalivedSet.rules.length + keepalivedSet.routes.length < 7; i++) {
        await new Promise((r) => setTimeout(r, 100));
        keepalivedSet = await installed(topo.node('n2'));
      }
      console.log('[routes.test] keepalived as MASTER installed:', JSON.stringify(keepalivedSet, null, 1));
      expect(keepvipSet).toEqual(keepalivedSet);
    });

    it('keepvip preempting takes it all back; keepalived as BACKUP removes its copy', async () => {
      const n2 = started[1]!;
      const since = n2.lines.length;
      const n1 = await startVrrpDaemon(topo.node('n1'), { preset: 'keepvip', config: config('n1', 150) });
      started.push(n1);
      await n1.waitForLog(MASTER_RE, 15_000);
      await n2.waitForLog(BACKUP_RE, 15_000, since);
      // keepvip adds the routes after the addresses and GARPs; the set is complete when the chain is done.
      let set = await installed(topo.node('n1'));
      for (let i = 0; i < 50 && set.rules.length < 3; i++) {
        await new Promise((r) => setTimeout(r, 100));
        set = await installed(topo.node('n1'));
      }
      expect(set).toEqual(keepvipSet);
      expect(await installed(topo.node('n2'))).toEqual(EMPTY);
      await n1.stop();
      await n2.stop();
      expect(await installed(topo.node('n1'))).toEqual(EMPTY);
      expect(await installed(topo.node('n2'))).toEqual(EMPTY);
      expect(await promoteSecondaries(topo.node('n1'))).toBe('0');
      expect(await promoteSecondaries(topo.node('n2'))).toBe('0');
    });
  },
);
