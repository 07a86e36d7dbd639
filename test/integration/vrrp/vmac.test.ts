/**
 * use_vmac against keepalived 2.2.7 (issue 11 item 2): keepvip on one node, keepalived on the
 * other, both with `use_vmac`. The VIP lives on the macvlan vrrp.VRID whose MAC is the virtual
 * router MAC 00:00:5e:00:01:VRID, so the client's neighbour entry for the VIP is that MAC and
 * stays it across failovers; only the bridge's forwarding entry for it moves to the new master's
 * port. Both directions: keepvip as the higher priority node, then keepalived. After keepvip stops
 * no vrrp.* link is left on its node and eth0's arp_ignore / arp_filter are back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../../bench/lib/clock.js';
import { startVrrpDaemon, type VrrpDaemon, type VrrpPreset } from '../../helpers/keepalived.js';
import { integrationSkipReason, run } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type TopoNode, type Topology } from '../../helpers/topology.js';
import { waitUntil } from '../../helpers/wait.js';
import { BACKUP_RE, buildOnce, configComplaints, MASTER_RE } from './interop.js';
import { dumpDaemonLogs } from './status.js';

const PREFIX = 'kvvm';
const VRID = 71;
const VMAC = '00:00:5e:00:01:47';
const VMAC_IF = `vrrp.${VRID}`;
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[vmac] SKIPPED: ${skipReason}`);

/** vmacConfig is the keepalived.conf both daemons read: VRRPv3 at 0.5 s, the VIP on the VMAC. */
function vmacConfig(
  name: string,
  priority: number,
  state: 'MASTER' | 'BACKUP',
  vip: string,
  xmitBase = false,
): string {
  return [
    `global_defs {`,
    `  router_id ${name}`,
    `}`,
    `vrrp_instance VI_1 {`,
    `  state ${state}`,
    `  interface eth0`,
    `  use_vmac`,
    ...(xmitBase ? [`  vmac_xmit_base`] : []),
    `  virtual_router_id ${VRID}`,
    `  priority ${priority}`,
    `  advert_int 0.5`,
    `  version 3`,
    `  virtual_ipaddress {`,
    `    ${vip}/24`,
    `  }`,
    `}`,
    ``,
  ].join('\n');
}

/** linkOf reads one link of a node as `ip -j link` gives it, or undefined. */
async function linkOf(
  node: TopoNode,
  dev: string,
): Promise<{ address: string; linkinfo?: unknown } | undefined> {
  const r = await node.exec('ip', ['-j', '-d', 'link', 'show', 'dev', dev], { reject: false });
  if (r.exitCode !== 0) return undefined;
  return (JSON.parse(r.stdout) as { address: string }[])[0];
}

/** vrrpLinks lists a node's vrrp.* links. */
async function vrrpLinks(node: TopoNode): Promise<string[]> {
  const r = await node.exec('ip', ['-o', 'link', 'show']);
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => n?.startsWith('vrrp') === true);
}

describe.skipIf(skipReason !== undefined)('use_vmac interop with keepalived', () => {
  let topo: Topology;
  let vip: string;

  beforeAll(async () => {
    await buildOnce();
    topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'], client: true });
    vip = topo.addr4(100);
  });

  afterAll(async () => {
    await topo?.destroy();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  /** fdbPortOf is the bridge port the bridge forwards the VMAC to (its learned entry). */
  async function fdbPortOf(): Promise<string | undefined> {
    const r = await run('ip', ['netns', 'exec', topo.node('n1').bridgeNetns, 'bridge', 'fdb', 'show'], {
      reject: false,
    });
    return new RegExp(`^${VMAC} dev (\\S+)`, 'm').exec(r.stdout)?.[1];
  }

  /** advertSources captures two adverts on the client (tcpdump -e) and returns their source MACs. */
  async function advertSources(): Promise<string[]> {
    const args = ['5', 'tcpdump', '-c', '2', '-e', '-n', '-l', '-i', 'eth0', 'ip proto 112'];
    const dump = await topo.client!.exec('timeout', args, { reject: false });
    return [...dump.stdout.matchAll(/^\S+ ([0-9a-f:]{17}) > /gm)].map((m) => m[1]!);
  }

  /** refused: a TCP connection from the client to port 9 of `address` was answered with a reset (curl exit 7). */
  async function refused(address: string): Promise<boolean> {
    const r = await topo.client!.exec('curl', ['-sS', '--max-time', '1', `http://${address}:9/`], {
      reject: false,
    });
    return r.exitCode === 7;
  }

  /**
   * clientSees checks what the client sees of the VIP: the holder answers it, ARP resolves it to the
   * VMAC (arping and the client's neighbour entry), and the bridge forwards the VMAC to `master`.
   * The client first talks to both nodes' own addresses, as hosts on a LAN do, so the nodes know
   * its MAC: otherwise the holder's reply goes out of eth0 after an ARP request of eth0's whose
   * sender is the VIP, which (with keepalived as with keepvip) rewrites the client's entry.
   */
  async function clientSees(master: TopoNode): Promise<void> {
    const client = topo.client!;
    for (const n of [topo.node('n1'), topo.node('n2')]) expect(await refused(n.addr4)).toBe(true);
    await client.exec('ip', ['neigh', 'del', vip, 'dev', 'eth0'], { reject: false });
    await waitUntil(() => refused(vip), { timeoutMs: 5000, what: `a TCP reset from ${vip}` });
    const neigh = (await client.exec('ip', ['neigh', 'show', vip, 'dev', 'eth0'])).stdout;
    expect(neigh).toContain(`lladdr ${VMAC}`);
    const arping = (await client.exec('arping', ['-c', '1', '-w', '2', '-I', 'eth0', vip], { reject: false }))
      .stdout;
    expect(arping).toContain(`[${VMAC.toUpperCase()}]`);
    await waitUntil(async () => (await fdbPortOf()) === master.bridgePort, {
      timeoutMs: 3000,
      what: `the bridge forwarding ${VMAC} to ${master.name}`,
    });
  }

  describe.each([
    { high: 'keepvip' as VrrpPreset, low: 'keepalived' as VrrpPreset },
    { high: 'keepalived' as VrrpPreset, low: 'keepvip' as VrrpPreset },
  ])('n1 $high (150) + n2 $low (100)', ({ high, low }) => {
    const all: VrrpDaemon[] = [];
    let d1: VrrpDaemon;
    let d2: VrrpDaemon;
    const tag = `[vmac ${high}>${low}]`;
    const keepvipNode = () => (high === 'keepvip' ? topo.node('n1') : topo.node('n2'));

    const start = async (which: 1 | 2): Promise<VrrpDaemon> => {
      const node = topo.node(`n${which}`);
      const d = await startVrrpDaemon(node, {
        preset: which === 1 ? high : low,
        config: vmacConfig(node.name, which === 1 ? 150 : 100, which === 1 ? 'MASTER' : 'BACKUP', vip),
      });
      all.push(d);
      if (which === 1) d1 = d;
      else d2 = d;
      return d;
    };

    afterAll(async () => {
      await d1?.stop(3000).catch(() => undefined);
      await d2?.stop(3000).catch(() => undefined);
      await dumpDaemonLogs(`${PREFIX}-${high}-${low}`, all);
      await topo.client!.exec('ip', ['neigh', 'flush', 'dev', 'eth0'], { reject: false });
    });

    it('puts the VIP on vrrp.VRID with the virtual MAC; the client sees that MAC', async () => {
      // keepalived leaves eth0's arp_ignore / arp_filter set after it stops: start from 0 on both nodes.
      for (const n of [topo.node('n1'), topo.node('n2')])
        await n.exec('sysctl', [
          '-q',
          '-w',
          'net.ipv4.conf.eth0.arp_ignore=0',
          'net.ipv4.conf.eth0.arp_filter=0',
        ]);
      const a = await start(1);
      await a.waitForLog(BACKUP_RE, 10_000);
      const b = await start(2);
      const t0 = nowMs();
      await a.waitForLog(MASTER_RE, 10_000);
      await b.waitForLog(BACKUP_RE, 10_000);
      await topo.waitForVipOn('n1', vip, 5000);
      for (const n of [topo.node('n1'), topo.node('n2')]) {
        const link = await linkOf(n, VMAC_IF);
        expect(link?.address, `${n.name} ${VMAC_IF}`).toBe(VMAC);
        expect(JSON.stringify(link?.linkinfo)).toContain('"mode":"private"');
      }
      expect(await topo.node('n1').addresses(VMAC_IF)).toContain(vip);
      // What keepalived sets (vrrp_if_config.c): on the VMAC and on its base interface.
      const kv = keepvipNode();
      const sysctl = async (k: string) =>
        (await kv.exec('cat', [`/proc/sys/net/ipv4/conf/${k}`])).stdout.trim();
      expect(await sysctl(`${VMAC_IF}/arp_ignore`)).toBe('1');
      expect(await sysctl(`${VMAC_IF}/accept_local`)).toBe('1');
      expect(await sysctl(`${VMAC_IF}/rp_filter`)).toBe('0');
      expect(await sysctl('eth0/arp_ignore')).toBe('1');
      expect(await sysctl('eth0/arp_filter')).toBe('1');
      expect([...configComplaints(a), ...configComplaints(b)]).toEqual([]);
      await clientSees(topo.node('n1'));
      // Adverts leave from the VMAC (no vmac_xmit_base), whichever daemon is the master.
      expect(new Set(await advertSources())).toEqual(new Set([VMAC]));
      console.log(
        `${tag} n1 MASTER after ${(nowMs() - t0).toFixed(0)} ms; client's neighbour ${vip} = ${VMAC}`,
      );
    });

    it('fails over to n2 when n1 stops and back when it returns; the client keeps the VMAC', async () => {
      const s2 = d2.lines.length;
      const tStop = nowMs();
      await d1.stop();
      await d2.waitForLog(MASTER_RE, 10_000, s2);
      await topo.waitForVipOn('n2', vip, 5000);
      await clientSees(topo.node('n2'));
      const overMs = nowMs() - tStop;
      // The stopped node took its VMAC with it.
      expect(await vrrpLinks(topo.node('n1'))).toEqual([]);
      const tBack = nowMs();
      const a = await start(1);
      await a.waitForLog(MASTER_RE, 15_000);
      await d2.waitForLog(BACKUP_RE, 10_000, s2);
      await topo.waitForVipOn('n1', vip, 5000);
      await clientSees(topo.node('n1'));
      console.log(
        `${tag} stop n1: n2 MASTER, client reached ${vip} at ${VMAC} via n2 after ${overMs.toFixed(0)} ms; n1 back MASTER after ${(nowMs() - tBack).toFixed(0)} ms`,
      );
    });

    it('leaves no vrrp.* link and restores eth0 when keepvip stops', async () => {
      await d1.stop();
      await d2.stop();
      const kv = keepvipNode();
      expect(await vrrpLinks(kv)).toEqual([]);
      expect((await kv.exec('sysctl', ['-n', 'net.ipv4.conf.eth0.arp_ignore'])).stdout.trim()).toBe('0');
      expect((await kv.exec('sysctl', ['-n', 'net.ipv4.conf.eth0.arp_filter'])).stdout.trim()).toBe('0');
      console.log(`${tag} after stop: no vrrp.* link on ${kv.name}, eth0 arp_ignore/arp_filter back to 0`);
    });
  });

  describe('vmac_xmit_base: n1 keepvip (150) + n2 keepalived (100)', () => {
    const all: VrrpDaemon[] = [];
    afterAll(async () => {
      for (const d of all) await d.stop(3000).catch(() => undefined);
      await dumpDaemonLogs(`${PREFIX}-xmit-base`, all);
    });

    it('sends adverts from eth0 (its own MAC) while the VIP stays on the VMAC', async () => {
      const [n1, n2] = [topo.node('n1'), topo.node('n2')];
      const a = await startVrrpDaemon(n1, {
        preset: 'keepvip',
        config: vmacConfig('n1', 150, 'MASTER', vip, true),
      });
      all.push(a);
      await a.waitForLog(BACKUP_RE, 10_000);
      const b = await startVrrpDaemon(n2, {
        preset: 'keepalived',
        config: vmacConfig('n2', 100, 'BACKUP', vip, true),
      });
      all.push(b);
      await a.waitForLog(MASTER_RE, 10_000);
      await b.waitForLog(BACKUP_RE, 10_000);
      await topo.waitForVipOn('n1', vip, 5000);
      expect(await n1.addresses(VMAC_IF)).toContain(vip);
      const eth0Mac = (await linkOf(n1, 'eth0'))!.address;
      const sources = await advertSources();
      expect(sources.length).toBeGreaterThan(0);
      expect(new Set(sources)).toEqual(new Set([eth0Mac]));
      await clientSees(n1);
      const s2 = b.lines.length;
      await a.stop();
      await b.waitForLog(MASTER_RE, 10_000, s2);
      await topo.waitForVipOn('n2', vip, 5000);
      await clientSees(n2);
      expect(await vrrpLinks(n1)).toEqual([]);
      console.log(
        `[vmac xmit_base] adverts from n1's eth0 ${eth0Mac} (${sources.length} seen), VIP answered at ${VMAC}; n2 took over after n1 stopped`,
      );
    });
  });
});

describe.skipIf(skipReason !== undefined)('use_vmac IPv6 interop with keepalived', () => {
  let topo: Topology;
  let vip: string;
  const VMAC6 = '00:00:5e:00:02:47';
  const all: VrrpDaemon[] = [];

  beforeAll(async () => {
    await buildOnce();
    topo = await createTopology({ prefix: 'kvvm6', nodes: ['n1', 'n2'], client: true, ipv6: true });
    vip = topo.addr6(0x100);
  });

  afterAll(async () => {
    for (const d of all) await d.stop(3000).catch(() => undefined);
    await dumpDaemonLogs('kvvm6', all);
    await topo?.destroy();
    expect(leftoverNetns('kvvm6')).toEqual([]);
  });

  it('keepvip (150) + keepalived (100): the VIP on vrrp.VRID with 00:00:5e:00:02:VRID, failover on stop, nothing left', async () => {
    const [n1, n2] = [topo.node('n1'), topo.node('n2')];
    const config = (name: string, priority: number, state: 'MASTER' | 'BACKUP') =>
      vmacConfig(name, priority, state, vip).replace(`${vip}/24`, `${vip}/64`);
    const a = await startVrrpDaemon(n1, { preset: 'keepvip', config: config('n1', 150, 'MASTER') });
    all.push(a);
    await a.waitForLog(BACKUP_RE, 10_000);
    const b = await startVrrpDaemon(n2, { preset: 'keepalived', config: config('n2', 100, 'BACKUP') });
    all.push(b);
    await a.waitForLog(MASTER_RE, 10_000);
    await b.waitForLog(BACKUP_RE, 10_000);
    await topo.waitForVipOn('n1', vip, 5000);
    expect((await linkOf(n1, VMAC_IF))?.address).toBe(VMAC6);
    expect(await n1.addresses(VMAC_IF)).toContain(vip);
    await waitUntil(
      async () =>
        (await topo.client!.exec('curl', ['-sS', '--max-time', '1', `http://[${vip}]:9/`], { reject: false }))
          .exitCode === 7,
      { timeoutMs: 5000, what: `a TCP reset from ${vip}` },
    );
    const neigh = (await topo.client!.exec('ip', ['-6', 'neigh', 'show', vip, 'dev', 'eth0'])).stdout;
    expect(neigh).toContain(`lladdr ${VMAC6}`);
    const s2 = b.lines.length;
    await a.stop();
    await b.waitForLog(MASTER_RE, 10_000, s2);
    await topo.waitForVipOn('n2', vip, 5000);
    expect(await vrrpLinks(n1)).toEqual([]);
    console.log(
      `[vmac6] n1 keepvip MASTER with ${vip} on ${VMAC_IF} (${VMAC6}); client neighbour ${neigh.trim()}; n2 took over on stop`,
    );
  });
});
