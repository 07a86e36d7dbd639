/**
 * `real_server_setup` in a DR real server's own keepalived.conf: the daemon does what
 * `keepvip realserver up` does at start (VIPs on lo as /32 and /128, arp_ignore/arp_announce
 * raised to 1/2 in the node's namespace), drops a VIP removed from the list on SIGHUP, and
 * undoes exactly what it did at SIGTERM (an address that was on lo before stays).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from '../../helpers/dist.js';
import { startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';

const PREFIX = 'kvrss';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[lvs/real-server-setup.test] SKIPPED: ${skipReason}`);

const config = (vips: string[]) => `global_defs {
  router_id rs1
  real_server_setup {
${vips.map((v) => `    ${v}`).join('\n')}
  }
}
`;

describe.skipIf(skipReason !== undefined)('real_server_setup on a DR real server', () => {
  let topo: Topology;
  let d: VrrpDaemon | undefined;
  const sysctl = async (name: string) =>
    (await topo.node('rs1').exec('cat', [`/proc/sys/net/ipv4/conf/all/${name}`])).stdout.trim();
  const lo = async () => (await topo.node('rs1').exec('ip', ['-o', 'addr', 'show', 'dev', 'lo'])).stdout;

  beforeAll(async () => {
    await ensureDist();
    topo = await createTopology({ prefix: PREFIX, nodes: ['rs1'] });
  }, 300_000);

  afterAll(async () => {
    await d?.stop().catch(() => undefined);
    await topo?.destroy();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  it('VIPs on lo and ARP sysctls at start, a dropped VIP removed on SIGHUP, everything undone at stop', async () => {
    const rs1 = topo.node('rs1');
    await rs1.exec('ip', ['addr', 'add', '10.9.9.9/32', 'dev', 'lo']); // there before: must stay
    expect(await sysctl('arp_ignore')).toBe('0');
    d = await startVrrpDaemon(rs1, {
      preset: 'keepvip',
      config: config(['192.168.23.20', 'fd00::20', '10.9.9.9/32']),
    });
    await d.waitForLog(/real_server_setup: net\.ipv4\.conf\.all\.arp_announce = 2/, 30_000);
    expect(await lo()).toMatch(/inet 192\.168\.23\.20\/32/);
    expect(await lo()).toMatch(/inet6 fd00::20\/128/);
    expect([await sysctl('arp_ignore'), await sysctl('arp_announce')]).toEqual(['1', '2']);
    expect(d.lines.map((l) => l.text).join('\n')).toMatch(/10\.9\.9\.9\/32 already on lo/);

    const mark = d.lines.length;
    await d.rewriteConfig(config(['192.168.23.20', '10.9.9.9']));
    await d.reload();
    await d.waitForLog(/real_server_setup: fd00::20\/128 removed from lo/, 15_000, mark);
    expect(await lo()).not.toMatch(/fd00::20/);
    expect(await lo()).toMatch(/inet 192\.168\.23\.20\/32/);

    const exit = await d.stop();
    d = undefined;
    expect(exit.exitCode).toBe(0);
    expect(await lo()).not.toMatch(/192\.168\.23\.20/);
    expect(await lo()).toMatch(/inet 10\.9\.9\.9\/32/);
    expect([await sysctl('arp_ignore'), await sysctl('arp_announce')]).toEqual(['0', '0']);
  });
});
