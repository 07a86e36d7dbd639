/**
 * auth_type AH against keepalived 2.2.7 (issue 11 item 2): VRRPv2 adverts wrapped in IPsec AH
 * (IP protocol 51, HMAC-MD5-96 keyed with auth_pass). keepvip on one node, keepalived on the
 * other, in both directions: the higher priority node is the one master, the other stays BACKUP
 * for several advert intervals (it accepts the master's AH adverts: a refused advert would make
 * it MASTER after Master_Down_Interval), keepvip counts the adverts it received and drops none,
 * and keepalived logs no IPSEC-AH complaint. With a wrong auth_pass on the keepvip node the ICV
 * fails: keepvip counts `ah-icv` drops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVrrpDaemon, type VrrpDaemon, type VrrpPreset } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import { sleep } from '../../helpers/wait.js';
import { BACKUP_RE, buildOnce, configComplaints, MASTER_RE } from './interop.js';
import { dumpDaemonLogs, keepvipCounters } from './status.js';

const PREFIX = 'kvah';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[ah] SKIPPED: ${skipReason}`);

function ahConfig(
  name: string,
  priority: number,
  state: 'MASTER' | 'BACKUP',
  vip: string,
  pass: string,
): string {
  return [
    `global_defs {`,
    `  router_id ${name}`,
    `}`,
    `vrrp_instance VI_1 {`,
    `  state ${state}`,
    `  interface eth0`,
    `  virtual_router_id 81`,
    `  priority ${priority}`,
    `  advert_int 1`,
    `  version 2`,
    `  authentication {`,
    `    auth_type AH`,
    `    auth_pass ${pass}`,
    `  }`,
    `  virtual_ipaddress {`,
    `    ${vip}/24 dev eth0`,
    `  }`,
    `}`,
    ``,
  ].join('\n');
}

describe.skipIf(skipReason !== undefined)('auth_type AH interop with keepalived', () => {
  let topo: Topology;
  let vip: string;

  beforeAll(async () => {
    await buildOnce();
    topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'] });
    vip = topo.addr4(100);
  });

  afterAll(async () => {
    await topo?.destroy();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  describe.each([
    { high: 'keepvip' as VrrpPreset, low: 'keepalived' as VrrpPreset },
    { high: 'keepalived' as VrrpPreset, low: 'keepvip' as VrrpPreset },
  ])('n1 $high (150) + n2 $low (100)', ({ high, low }) => {
    const all: VrrpDaemon[] = [];
    const tag = `[ah ${high}>${low}]`;

    afterAll(async () => {
      for (const d of all) await d.stop(3000).catch(() => undefined);
      await dumpDaemonLogs(`${PREFIX}-${high}-${low}`, all);
    });

    const start = async (which: 1 | 2, pass = 'kvahpass'): Promise<VrrpDaemon> => {
      const node = topo.node(`n${which}`);
      const d = await startVrrpDaemon(node, {
        preset: which === 1 ? high : low,
        config: ahConfig(node.name, which === 1 ? 150 : 100, which === 1 ? 'MASTER' : 'BACKUP', vip, pass),
      });
      all.push(d);
      return d;
    };

    it('elects one master and both accept the other’s AH adverts', async () => {
      const a = await start(1);
      await a.waitForLog(BACKUP_RE, 10_000);
      const b = await start(2);
      await a.waitForLog(MASTER_RE, 15_000);
      await b.waitForLog(BACKUP_RE, 10_000);
      await topo.waitForVipOn('n1', vip, 5000);
      // Well past Master_Down_Interval (3.6 s): a backup refusing the adverts would be MASTER by now.
      await sleep(6000);
      expect(b.lines.some((l) => MASTER_RE.test(l.text))).toBe(false);
      expect(await topo.whoHas(vip)).toEqual(['n1']);
      expect([...configComplaints(a), ...configComplaints(b)]).toEqual([]);
      const kv = a.preset === 'keepvip' ? a : b;
      const ka = a.preset === 'keepvip' ? b : a;
      const counters = await keepvipCounters(kv);
      expect(ka.lines.filter((l) => /IPSEC-AH|IPSEC AH/.test(l.text)).map((l) => l.text)).toEqual([]);
      if (kv === b) expect(counters.advertsReceived).toBeGreaterThan(3);
      expect(counters.drops).toEqual({});
      console.log(
        `${tag} one master (n1); n2 BACKUP for 6 s; keepvip received ${counters.advertsReceived}, sent ${counters.advertsSent}, drops ${JSON.stringify(counters.drops)}`,
      );
      await b.stop();
      await a.stop();
    });

    it('hears a restarted peer whose AH sequence starts again', async () => {
      const a = await start(1);
      await a.waitForLog(BACKUP_RE, 10_000);
      const b = await start(2);
      await a.waitForLog(MASTER_RE, 15_000);
      await b.waitForLog(BACKUP_RE, 10_000);
      await sleep(3000);
      // n1 restarts: n2 takes over (priority 0), then n1 (sequence from the start again) preempts.
      const s2 = b.lines.length;
      await a.stop();
      await b.waitForLog(MASTER_RE, 10_000, s2);
      const a2 = await start(1);
      await a2.waitForLog(MASTER_RE, 15_000);
      await b.waitForLog(BACKUP_RE, 10_000, s2);
      await sleep(6000);
      expect(b.lines.slice(s2).filter((l) => MASTER_RE.test(l.text))).toHaveLength(1);
      expect(await topo.whoHas(vip)).toEqual(['n1']);
      const kv = a2.preset === 'keepvip' ? a2 : b;
      const counters = await keepvipCounters(kv);
      console.log(
        `${tag} n1 restarted: n1 MASTER again, n2 BACKUP for 6 s; keepvip drops ${JSON.stringify(counters.drops)}`,
      );
      await b.stop();
      await a2.stop();
    });

    it('with a different auth_pass on the keepvip node the ICV fails and keepvip counts ah-icv', async () => {
      const kvWhich = high === 'keepvip' ? 1 : 2;
      const a = await start(1, kvWhich === 1 ? 'wrongpw' : 'kvahpass');
      await a.waitForLog(BACKUP_RE, 10_000);
      const b = await start(2, kvWhich === 2 ? 'wrongpw' : 'kvahpass');
      await b.waitForLog(BACKUP_RE, 10_000);
      await sleep(5000);
      const kv = kvWhich === 1 ? a : b;
      const counters = await keepvipCounters(kv);
      expect(counters.drops['ah-icv'] ?? 0).toBeGreaterThan(0);
      console.log(`${tag} wrong auth_pass: keepvip drops ${JSON.stringify(counters.drops)}`);
      await b.stop();
      await a.stop();
    });
  });
});
