import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVrrpDaemon, type VrrpDaemon, type VrrpPreset } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import type { AdvertPlan } from './fixtures/advert-inject.js';
import { BACKUP_RE, buildOnce, MASTER_RE } from './interop.js';
import { dumpDaemonLogs } from './status.js';

// unicast_peer { ADDR min_ttl N max_ttl M }: adverts from that peer whose TTL is outside the
// window are dropped. The client plays the peer (priority 150, one advert a second, TTL chosen
// per case); n1 (priority 100) stays BACKUP when it accepts them and takes over after
// Master_Down_Interval when it drops them. keepvip and keepalived 2.2.7 must decide alike.
const PREFIX = 'kvtl';
const INJECT = fileURLToPath(new URL('./fixtures/advert-inject.ts', import.meta.url));
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[unicast-ttl.test] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('unicast_peer min_ttl / max_ttl vs keepalived', () => {
  let topo: Topology;
  let vip: string;
  const started: VrrpDaemon[] = [];

  const config = (peer: string) => `global_defs {
  router_id n1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 95
  priority 100
  advert_int 1
  unicast_src_ip ${topo.node('n1').addr4}
  unicast_peer {
    ${peer} min_ttl 250 max_ttl 254
  }
  virtual_ipaddress {
    ${vip}/24 dev eth0
  }
}
`;

  /** outcome starts `preset` on n1, has the client advertise with `ttl` for 6 s, and says what n1 became. */
  const outcome = async (preset: VrrpPreset, ttl: number): Promise<'MASTER' | 'BACKUP'> => {
    const client = topo.client!;
    const n1 = await startVrrpDaemon(topo.node('n1'), { preset, config: config(client.addr4) });
    started.push(n1);
    await n1.waitForLog(BACKUP_RE, 15_000);
    const plan: AdvertPlan = {
      ifname: 'eth0',
      srcAddress: client.addr4,
      dstAddress: topo.node('n1').addr4,
      vrid: 95,
      priority: 150,
      advertIntervalMs: 1000,
      vips: [vip],
      count: 6,
      gapMs: 1000,
      ttl,
    };
    await client.exec(process.execPath, ['--import', 'tsx', INJECT, JSON.stringify(plan)], {
      timeoutMs: 30_000,
    });
    // Six adverts over 5 s: an n1 that accepts them never reaches Master_Down_Interval (3.6 s).
    const became = n1.lines.some((l) => MASTER_RE.test(l.text)) ? 'MASTER' : 'BACKUP';
    console.log(`[unicast-ttl.test] ${preset}, peer window 250..254, TTL ${ttl}: ${became}`);
    await n1.stop();
    return became;
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

  it.each([
    [252, 'BACKUP'],
    [255, 'MASTER'],
    [249, 'MASTER'],
  ])('TTL %i from the peer: n1 ends %s, as keepalived', async (ttl, expected) => {
    expect(await outcome('keepvip', ttl)).toBe(expected);
    expect(await outcome('keepalived', ttl)).toBe(expected);
  });
});
