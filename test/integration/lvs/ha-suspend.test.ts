import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from '../../helpers/dist.js';
import { simpleVrrpConfig, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import type { ManagedProcess } from '../../helpers/processes.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import { waitUntil } from '../../helpers/wait.js';
import { BACKUP_RE, MASTER_RE } from '../vrrp/interop.js';

// ha_suspend on two keepvip directors (no IPVS needed: the checkers are what is under test).
// The real server is a TCP listener on the client that prints the source of every connection,
// so it sees which director's TCP_CHECK runs: only the one holding the VIP. When the master
// stops, the VIP moves and the backup's checker starts.
const PREFIX = 'kvhs';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[lvs/ha-suspend.test] SKIPPED: ${skipReason}`);

const LISTENER = `const net = require('net');
for (const port of [8080, 8081])
  net.createServer((s) => { console.log('conn ' + s.localPort + ' ' + s.remoteAddress); s.destroy(); })
    .listen(port, '0.0.0.0', () => console.log('listening ' + port));`;

describe.skipIf(skipReason !== undefined)('ha_suspend: a backup director runs no checker', () => {
  let topo: Topology;
  let vip: string;
  let rs: ManagedProcess;
  const daemons = new Map<string, VrrpDaemon>();

  const config = (name: 'n1' | 'n2') =>
    simpleVrrpConfig({
      routerId: name,
      state: name === 'n1' ? 'MASTER' : 'BACKUP',
      virtualRouterId: 83,
      priority: name === 'n1' ? 150 : 100,
      vips: [`${vip}/24`],
      topLevelExtra: `virtual_server ${vip} 80 {
  delay_loop 1
  lb_kind NAT
  protocol TCP
  ha_suspend
  real_server ${topo.client!.addr4} 8080 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
virtual_server ${vip} 81 {
  delay_loop 1
  lb_kind NAT
  protocol TCP
  real_server ${topo.client!.addr4} 8081 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`,
    });
  /** connections counts the real server's connections on a port (8080: the ha_suspend service's) from one director. */
  const connections = (port: number, name: string) =>
    rs.lines.filter((l) => l.text === `conn ${port} ${topo.node(name).addr4}`).length;

  /** seen waits for a condition and, if it never comes, says what the real server and the daemons logged. */
  const seen = async (what: string, check: () => boolean) => {
    try {
      await waitUntil(check, { timeoutMs: 40_000, what });
    } catch (e) {
      const tail = (lines: readonly { text: string }[]) =>
        lines
          .slice(-25)
          .map((l) => l.text)
          .join('\n');
      const logs = [...daemons].map(([n, d]) => `--- ${n}\n${tail(d.lines)}`).join('\n');
      throw new Error(`${(e as Error).message}\n--- real server\n${tail(rs.lines)}\n${logs}`);
    }
  };

  beforeAll(async () => {
    await ensureDist();
    topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'], client: true });
    vip = topo.addr4(100);
    rs = topo.client!.spawn('rs', process.execPath, ['-e', LISTENER]);
    await rs.waitForLine(/listening 8080/, 10_000);
    await rs.waitForLine(/listening 8081/, 10_000);
  }, 300_000);

  afterAll(async () => {
    for (const d of daemons.values()) await d.stop().catch(() => undefined);
    await topo?.destroy();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  it('the master checks its ha_suspend service, the backup only the other one; after a failover the new master checks', async () => {
    const n1 = await startVrrpDaemon(topo.node('n1'), { preset: 'keepvip', config: config('n1') });
    daemons.set('n1', n1);
    await n1.waitForLog(MASTER_RE, 15_000);
    const n2 = await startVrrpDaemon(topo.node('n2'), { preset: 'keepvip', config: config('n2') });
    daemons.set('n2', n2);
    await n2.waitForLog(BACKUP_RE, 15_000);
    await n2.waitForLog(/Suspending healthchecker for service \[10\.[\d.]+\]:tcp:80$/, 10_000);
    // Over six runs of n2's other checker (no ha_suspend, once a second), n1 (master) checks both
    // services and n2 never connects for the ha_suspend one.
    const n2Other = connections(8081, 'n2');
    await seen("n2's port-81 checker runs", () => connections(8081, 'n2') >= n2Other + 6);
    expect(connections(8080, 'n1')).toBeGreaterThanOrEqual(3);
    expect(connections(8080, 'n2')).toBe(0);
    expect(n2.lines.some((l) => /Activating healthchecker/.test(l.text))).toBe(false);
    // n1 starts as a backup too (suspended) and activates when it becomes master and adds the VIP.
    expect(n1.lines.filter((l) => /(Suspending|Activating) healthchecker/.test(l.text)).at(-1)?.text).toMatch(
      /Activating healthchecker for service \[10\.[\d.]+\]:tcp:80$/,
    );
    // Failover: n1 stops, the VIP moves to n2 and its ha_suspend checker starts.
    await n1.stop();
    daemons.delete('n1');
    await n2.waitForLog(MASTER_RE, 15_000);
    await n2.waitForLog(/Activating healthchecker for service \[10\.[\d.]+\]:tcp:80$/, 10_000);
    await seen("n2's ha_suspend checker runs", () => connections(8080, 'n2') >= 3);
  }, 120_000);
});
